// `npm run demo`: the whole pipeline end to end on the local stack. Starts the stack (reusing it when up),
// resets the demo topic and indices, seeds users, produces N events with every category while the
// consumer classifies and indexes them, then compares expected and indexed counts. Exit 1 on any mismatch.
import { runConsumer } from '../core/consumer.js';
import { CATEGORIES, type Category } from '../core/documents.js';
import { createLogger, logLevelFromEnv } from '../core/logger.js';
import { DEFAULT_SEEDED_ACCOUNTS } from '../core/users-schema.js';
import { createEventSource } from '../generator/events.js';
import { type GroundTruth, runGenerator } from '../generator/run.js';
import {
  createCommand,
  decimal,
  formatCount,
  indexPrefix,
  integer,
  nonEmpty,
  parseCommand,
  ratio,
  runCli,
  topicName,
  UsageError,
  valueOption,
} from './cli.js';
import { componentStatus } from './components/status.js';
import { dashboardHint } from './dashboard/hint.js';
import { DEFAULT_INDEX_PREFIX, DEFAULT_TOPIC, localEndpoints } from './endpoints.js';
import { countIndexed, createLocalPipeline, prepareIndices, refreshIndices } from './pipeline.js';
import { ensureStackUp, stopStack } from './stack.js';

/** The demo's own names: it recreates them, so they must never be the consumer's (server-logs, logs-*). */
export const DEMO_TOPIC = 'demo-logs';
export const DEMO_INDEX_PREFIX = 'demo';

interface DemoOptions extends Record<string, unknown> {
  readonly events: number;
  readonly rate: number;
  readonly badRatio: number;
  readonly suspiciousRatio: number;
  readonly partitions: number;
  readonly seed: string;
  readonly topic: string;
  readonly indexPrefix: string;
  readonly keepStack?: boolean;
}

export function demoCommand() {
  return createCommand(
    'npm run demo --',
    'Runs the pipeline end to end on the local stack (real Kafka, MariaDB, OpenSearch) and checks that every ' +
      'event was indexed in the category the generator intended. It recreates its own topic and indices only ' +
      `(never ${DEFAULT_TOPIC} or ${DEFAULT_INDEX_PREFIX}-*), and validates every option before touching anything.`,
  )
    .addOption(valueOption('--events <n>', 'events to generate', integer(), 100_000))
    .addOption(valueOption('--rate <n>', 'events per second, 0 = as fast as possible', decimal(), 0))
    .addOption(valueOption('--bad-ratio <r>', 'share of bad events', ratio, 0.1))
    .addOption(valueOption('--suspicious-ratio <r>', 'share of suspicious events', ratio, 0.15))
    .addOption(valueOption('--partitions <n>', 'partitions of the demo topic', integer(), 3))
    .addOption(valueOption('--seed <s>', 'generator seed', nonEmpty, 'demo'))
    .addOption(
      valueOption(
        '--topic <name>',
        'the demo topic, recreated empty',
        demoName('topic', topicName),
        DEMO_TOPIC,
      ),
    )
    .addOption(
      valueOption(
        '--index-prefix <p>',
        'index prefix of the demo, its indices are recreated',
        demoName('index prefix', indexPrefix),
        DEMO_INDEX_PREFIX,
      ),
    )
    .option(
      '--keep-stack',
      'leave the stack running when the demo started it (it is always left up when it was already running)',
    );
}

/** A name the demo may recreate: not the consumer's own (the demo deletes what it names). */
function demoName(what: string, parse: (flag: string, raw: string) => string) {
  return (flag: string, raw: string): string => {
    const value = parse(flag, raw);
    if (value === DEFAULT_TOPIC || value === DEFAULT_INDEX_PREFIX) {
      throw new UsageError(
        `${flag} '${raw}' is the consumer's ${what}: the demo deletes its own, so pick another`,
      );
    }
    return value;
  };
}

const fmt = { format: formatCount };

async function resetDemoData(
  pipeline: ReturnType<typeof createLocalPipeline>,
  topic: string,
  prefix: string,
  partitions: number,
  group: string,
) {
  const admin = pipeline.kafka.admin();
  await admin.connect();
  try {
    if ((await admin.listTopics()).includes(topic)) {
      await admin.deleteTopics({ topics: [topic], timeout: 30_000 });
      // Deletion is asynchronous: creating the topic again too early fails with TOPIC_ALREADY_EXISTS.
      for (let i = 0; i < 60 && (await admin.listTopics()).includes(topic); i++)
        await new Promise((r) => setTimeout(r, 500));
    }
    await admin.deleteGroups([group]).catch(() => undefined);
    await admin.createTopics({
      topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }],
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
  await pipeline.search.indices.delete({
    index: `${prefix}-*`,
    ignore_unavailable: true,
    allow_no_indices: true,
  });
  await prepareIndices(pipeline.search, prefix);
}

function table(expected: Record<Category, number>, indexed: Record<Category, number>): string {
  const rows = CATEGORIES.map((c) => [
    c,
    fmt.format(expected[c]),
    fmt.format(indexed[c]),
    expected[c] === indexed[c] ? 'ok' : 'MISMATCH',
  ]);
  const total = (r: Record<Category, number>) => CATEGORIES.reduce((n, c) => n + r[c], 0);
  rows.push([
    'total',
    fmt.format(total(expected)),
    fmt.format(total(indexed)),
    total(expected) === total(indexed) ? 'ok' : 'MISMATCH',
  ]);
  const header = ['category', 'expected', 'indexed', ''];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** What a person can look at once the demo is over and the stack stays up. */
function printStackKept(topic: string, prefix: string): void {
  console.log(
    [
      '',
      'the local stack is still running (npm run stack:stop stops it); to look at the demo data:',
      `  npm run monitor -- --topic ${topic} --index-prefix ${prefix} --group log-pipeline-demo-${topic}`,
      `  npm run stack:status -- --topic ${topic} --index-prefix ${prefix}`,
      `  ${dashboardHint(prefix)}`,
    ].join('\n'),
  );
}

async function main(): Promise<number> {
  // Everything is checked before the stack or any data is touched.
  const { options } = parseCommand<DemoOptions>(demoCommand(), process.argv.slice(2));
  const { events, rate, badRatio, suspiciousRatio, partitions, topic, seed } = options;
  const prefix = options.indexPrefix;
  if (badRatio + suspiciousRatio > 1 + 1e-9) {
    throw new UsageError(
      `--bad-ratio + --suspicious-ratio must be <= 1, got ${badRatio} + ${suspiciousRatio}`,
    );
  }
  // The generator's own checks, also before anything is touched.
  try {
    createEventSource({ seed, badRatio, suspiciousRatio, accounts: DEFAULT_SEEDED_ACCOUNTS });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const group = `log-pipeline-demo-${topic}`;
  const started = Date.now();
  const logger = createLogger({ service: 'demo' }, logLevelFromEnv('warn'));

  console.log('1/4 local stack');
  const { startedHere } = await ensureStackUp();
  const endpoints = localEndpoints();
  const pipeline = createLocalPipeline({
    ...endpoints,
    indexPrefix: prefix,
    logger,
    clientId: 'log-pipeline-demo',
  });
  try {
    console.log(`2/4 resetting topic ${topic} (${partitions} partitions) and indices ${prefix}-*`);
    await resetDemoData(pipeline, topic, prefix, partitions, group);

    console.log(`3/4 producing ${fmt.format(events)} events while the consumer classifies and indexes them`);
    let consumed = 0;
    const consumer = await runConsumer({
      kafka: pipeline.kafka,
      groupId: group,
      topic,
      process: pipeline.process,
      logger,
      onBatch: (summary) => {
        consumed += summary.total;
      },
    });
    let produced = 0;
    const progress = setInterval(() => {
      const s = (Date.now() - started) / 1000;
      process.stdout.write(
        `    ${s.toFixed(0).padStart(4)}s  produced ${fmt.format(produced).padStart(9)}  indexed ${fmt.format(consumed).padStart(9)}\n`,
      );
    }, 5_000);
    let truth: GroundTruth;
    const pipelineStart = Date.now();
    try {
      truth = await runGenerator(
        {
          topic,
          brokers: endpoints.brokers,
          count: events,
          rate,
          badRatio,
          suspiciousRatio,
          seed,
          accounts: DEFAULT_SEEDED_ACCOUNTS,
          mysqlUrl: endpoints.mysqlUrl,
        },
        { onProgress: (p) => (produced = p.sent) },
      );
      // Done when every offset is committed, which happens only after its documents are indexed.
      let last = -1;
      let lastChange = Date.now();
      while ((await pipeline.lag(group, topic)) > 0) {
        if (consumed !== last) [last, lastChange] = [consumed, Date.now()];
        if (Date.now() - lastChange > 120_000)
          throw new Error(`the consumer made no progress for 120 s at ${fmt.format(consumed)} events`);
        await new Promise((r) => setTimeout(r, 250));
      }
    } finally {
      clearInterval(progress);
      await consumer.stop();
    }
    const pipelineSeconds = (Date.now() - pipelineStart) / 1000;

    console.log('4/4 counting indexed documents');
    await refreshIndices(pipeline.search, prefix);
    const indexed = await countIndexed(pipeline.search, prefix);
    const wall = (Date.now() - started) / 1000;
    console.log(`\n${table(truth.byCategory, indexed)}\n`);
    console.log(
      `produced   ${fmt.format(truth.sent)} events in ${(truth.elapsedMs / 1000).toFixed(1)} s (${fmt.format(truth.eventsPerSecond)} ev/s)`,
    );
    console.log(
      `pipeline   ${fmt.format(truth.sent)} events produced, classified and indexed in ${pipelineSeconds.toFixed(1)} s (${fmt.format(Math.round(truth.sent / pipelineSeconds))} ev/s end to end)`,
    );
    console.log(`wall time  ${wall.toFixed(1)} s including stack start and reset`);
    const memory = (await componentStatus()).map(
      (c) => `${c.name} ${c.rssKiB === undefined ? 'n/a' : `${Math.round(c.rssKiB / 1024)} MiB`}`,
    );
    memory.push(`demo process ${Math.round(process.memoryUsage().rss / 1024 / 1024)} MiB`);
    console.log(`memory     ${memory.join(', ')} (RSS)`);
    const ok = CATEGORIES.every((c) => indexed[c] === truth.byCategory[c]);
    console.log(ok ? '\nall counts match' : '\nCOUNTS DIFFER');
    return ok ? 0 : 1;
  } finally {
    await pipeline.close();
    if (startedHere && options.keepStack !== true) {
      console.log('stopping the stack (started by this demo; --keep-stack keeps it)');
      await stopStack();
    } else {
      printStackKept(topic, prefix);
    }
  }
}

runCli('demo', main);
