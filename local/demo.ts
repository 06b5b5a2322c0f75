// `npm run demo`: the whole pipeline end to end on the local stack. Starts the stack (reusing it when up),
// resets the demo topic and indices, seeds users, produces N events with every category while the
// consumer classifies and indexes them, then compares expected and indexed counts. Exit 1 on any mismatch.
import { runConsumer } from '../core/consumer.js';
import { CATEGORIES, type Category, DEFAULT_INDEX_PREFIX } from '../core/documents.js';
import { createLogger } from '../core/logger.js';
import { DEFAULT_SEEDED_ACCOUNTS } from '../core/users-schema.js';
import { type GroundTruth, runGenerator } from '../generator/run.js';
import { numberOption, parseCliArgs, runCli } from './cli.js';
import { componentStatus } from './components/status.js';
import { dashboardHint } from './dashboard/hint.js';
import { DEFAULT_TOPIC, localEndpoints } from './endpoints.js';
import { countIndexed, createLocalPipeline, prepareIndices, refreshIndices } from './pipeline.js';
import { ensureStackUp, stopStack } from './stack.js';

const HELP = `Usage: npm run demo -- [options]

Runs the pipeline end to end on the local stack (real Kafka, MariaDB, OpenSearch) and checks that every
event was indexed in the category the generator intended.

Options:
  --events <n>            events to generate (default: 100000)
  --rate <n>              events per second, 0 = as fast as possible (default: 0)
  --bad-ratio <r>         share of bad events (default: 0.1)
  --suspicious-ratio <r>  share of suspicious events (default: 0.15)
  --partitions <n>        partitions of the demo topic (default: 3)
  --seed <s>              generator seed (default: demo)
  --topic <name>          topic, recreated empty (default: ${DEFAULT_TOPIC})
  --index-prefix <p>      index prefix, its indices are recreated (default: ${DEFAULT_INDEX_PREFIX})
  --keep-stack            leave the stack running when the demo started it (it is always left up when it
                          was already running)
  -h, --help              show this help`;

const fmt = new Intl.NumberFormat('en-US');

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

async function main(): Promise<number> {
  const values = parseCliArgs({
    events: { type: 'string', default: '100000' },
    rate: { type: 'string', default: '0' },
    'bad-ratio': { type: 'string', default: '0.1' },
    'suspicious-ratio': { type: 'string', default: '0.15' },
    partitions: { type: 'string', default: '3' },
    seed: { type: 'string', default: 'demo' },
    topic: { type: 'string', default: DEFAULT_TOPIC },
    'index-prefix': { type: 'string', default: DEFAULT_INDEX_PREFIX },
    'keep-stack': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const events = numberOption('events', values.events);
  const rate = numberOption('rate', values.rate, { integer: false, min: 0 });
  const badRatio = numberOption('bad-ratio', values['bad-ratio'], { integer: false, min: 0 });
  const suspiciousRatio = numberOption('suspicious-ratio', values['suspicious-ratio'], {
    integer: false,
    min: 0,
  });
  const partitions = numberOption('partitions', values.partitions);
  const { topic, seed } = values;
  const prefix = values['index-prefix'];
  const group = `log-pipeline-demo-${topic}`;
  const started = Date.now();
  const logger = createLogger({ service: 'demo' }, (process.env.LOG_LEVEL as 'warn') ?? 'warn');

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
    if (startedHere && !values['keep-stack']) {
      console.log('stopping the stack (started by this demo; --keep-stack keeps it)');
      await stopStack();
    } else {
      console.log(dashboardHint(prefix));
    }
  }
}

runCli('demo', main);
