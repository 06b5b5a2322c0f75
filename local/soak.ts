// `npm run soak`: a bounded chaos soak of the whole pipeline on the local stack. The generator produces at a
// steady rate while the consumer runs as a child process, and a seeded schedule SIGKILLs Kafka, OpenSearch,
// MariaDB and the consumer and restarts them; at the end every acknowledged event must be indexed once, in its
// expected category. Runs in a topic, group, index prefix and database of its own, removed afterwards.
import { join } from 'node:path';
import { Client } from '@opensearch-project/opensearch';
import { Kafka, logLevel } from 'kafkajs';
import { createCommand, decimal, integer, nonEmpty, parseCommand, runCli, valueOption } from './cli.js';
import { LOGS_DIR } from './components/paths.js';
import { createProgress } from './components/progress.js';
import { localEndpoints } from './endpoints.js';
import { prepareIndices } from './pipeline.js';
import { Chaos } from './soak/chaos.js';
import { behaviourChecks, inspectIndices, verdictChecks } from './soak/checks.js';
import { SupervisedConsumer } from './soak/consumer-process.js';
import { GroupWatch } from './soak/group-watch.js';
import { startProduction } from './soak/production.js';
import { watchProgress } from './soak/progress-line.js';
import { formatReport, type SoakReport } from './soak/report.js';
import { createSandbox, removeSandbox, sandboxNames } from './soak/sandbox.js';
import { planFaults } from './soak/schedule.js';
import { ensureStackUp } from './stack.js';

interface SoakOptions extends Record<string, unknown> {
  readonly minutes: number;
  readonly rate: number;
  readonly seed: string;
  readonly keep?: boolean;
  readonly json?: boolean;
}

export function soakCommand() {
  return createCommand(
    'npm run soak --',
    'A chaos soak: produces events at a steady rate while the consumer runs, and on a seeded schedule SIGKILLs ' +
      'and restarts Kafka, OpenSearch, MariaDB (each held down a few seconds) and the consumer process. ' +
      'Afterwards it checks that every acknowledged event is indexed once, in its expected category, and that ' +
      'the index holds one document per record of the topic. Exit 0 when every check holds, 1 otherwise.',
  )
    .addOption(
      valueOption(
        '--minutes <n>',
        'how long to produce at least (production goes on until the last fault has recovered); every run ' +
          'faults each of Kafka, OpenSearch, MariaDB and the consumer, a longer one some of them again',
        decimal({ min: 1 }),
        10,
      ),
    )
    .addOption(valueOption('--rate <n>', 'events per second', integer(), 1000))
    .addOption(valueOption('--seed <s>', 'seed of the events and of the fault schedule', nonEmpty, 'soak'))
    .option('--keep', "leave the soak's topic, indices and database for inspection")
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      '\nKafka is killed only while production is paused, so the ground truth stays exact. The local stack is ' +
        "started if it is down and left running; progress goes to stderr, the consumer's log to " +
        `${LOGS_DIR}/soak-*-consumer.log.`,
    );
}

const PARTITIONS = 3;
const ACCOUNTS = 1_000;
const BAD_RATIO = 0.1;
const SUSPICIOUS_RATIO = 0.15;
/** The least time given to the consumer to catch up after production; a long run gets as long as it produced. */
const MIN_CATCH_UP_MS = 300_000;

async function main(): Promise<number> {
  const { options: values } = parseCommand<SoakOptions>(soakCommand(), process.argv.slice(2));
  const { minutes, rate, seed } = values;
  const durationMs = Math.round(minutes * 60_000);
  const plan = planFaults(durationMs, seed);

  const log = (line: string) => console.error(line);
  await ensureStackUp({ progress: createProgress(false, log) });
  const endpoints = localEndpoints();
  const sandbox = sandboxNames(endpoints.mysqlUrl);
  // Quiet and quick to give up: the soak polls through broker outages it causes itself.
  const kafka = new Kafka({
    clientId: 'log-soak',
    brokers: endpoints.brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2_000,
    requestTimeout: 10_000,
    retry: { retries: 2 },
  });
  const search = new Client({ node: endpoints.opensearchUrl, requestTimeout: 30_000 });
  const watch = new GroupWatch(kafka, sandbox.group, sandbox.topic);
  const consumerLog = join(LOGS_DIR, `${sandbox.topic}-consumer.log`);
  const consumer = new SupervisedConsumer({ ...sandbox, logPath: consumerLog });
  const interrupt = new AbortController();
  process.once('SIGINT', () => {
    log('soak: interrupted, finishing the fault in progress and cleaning up (Ctrl-C again to quit now)');
    interrupt.abort();
  });
  log(
    `soak: topic/group/prefix ${sandbox.topic}, database ${sandbox.database}, consumer log ${consumerLog}\n` +
      `soak: ${plan.length} faults planned: ${plan.map((f) => `${f.kind}@${Math.round(f.atMs / 1000)}s`).join(' ')}`,
  );
  let consumerRunning = false;
  try {
    await createSandbox(sandbox, { kafka, serverUrl: endpoints.mysqlUrl, partitions: PARTITIONS });
    await prepareIndices(search, sandbox.indexPrefix);
    consumer.start();
    consumerRunning = true;
    const startedAt = Date.now();
    const production = startProduction({
      topic: sandbox.topic,
      brokers: endpoints.brokers,
      rate,
      durationMs,
      seed,
      accounts: ACCOUNTS,
      badRatio: BAD_RATIO,
      suspiciousRatio: SUSPICIOUS_RATIO,
      mysqlUrl: sandbox.mysqlUrl,
      signal: interrupt.signal,
    });
    const chaos = new Chaos({
      watch,
      consumer,
      production,
      startedAt,
      signal: interrupt.signal,
    });
    let phase = () => chaos.status();
    const progress = watchProgress({
      search,
      watch,
      production,
      indexPrefix: sandbox.indexPrefix,
      startedAt,
      phase: () => phase(),
      log,
    });
    const [faults, produced] = await Promise.all([chaos.run(plan), production.done]);
    const productionEnded = Date.now();
    phase = () => 'catching up';
    const caughtUpAfterMs = await catchUp(watch, Math.max(MIN_CATCH_UP_MS, durationMs), interrupt.signal);
    progress.stop();
    const finalExitCode = await consumer.stop();
    consumerRunning = false;
    if (interrupt.signal.aborted) return 130;

    const topic = await watch.topicRecords();
    const found = await inspectIndices(search, sandbox.indexPrefix);
    const checks = [
      ...verdictChecks(produced.expected, topic, found),
      ...behaviourChecks({
        faults,
        unexpectedExits: consumer.unexpectedExits,
        finalExitCode,
        caughtUpAfterMs: caughtUpAfterMs === null ? null : caughtUpAfterMs - productionEnded,
        productionFailures: produced.failures,
      }),
    ];
    const report: SoakReport = {
      seed,
      minutes,
      rate,
      // Names only: the database URL may carry a password.
      sandbox: {
        topic: sandbox.topic,
        group: sandbox.group,
        indexPrefix: sandbox.indexPrefix,
        database: sandbox.database,
      },
      faults,
      production: {
        sent: produced.sent,
        segments: produced.segments,
        elapsedMs: produced.elapsedMs,
        failures: produced.failures,
      },
      consumer: { unexpectedExits: consumer.unexpectedExits, finalExitCode },
      caughtUpAfterMs: caughtUpAfterMs === null ? null : caughtUpAfterMs - productionEnded,
      expected: produced.expected,
      indexed: found.indexed,
      topicRecords: topic.records,
      documents: found.documents,
      checks,
      verdict: checks.every((c) => c.ok) ? 'pass' : 'fail',
    };
    console.log(values.json === true ? JSON.stringify(report, null, 2) : formatReport(report));
    return report.verdict === 'pass' ? 0 : 1;
  } finally {
    if (consumerRunning) await consumer.stop();
    // A failure in the middle of a fault must not leave a component of the shared stack down.
    await ensureStackUp({ quiet: true }).catch((error: unknown) =>
      log(`soak: could not bring the local stack back up: ${(error as Error).message}`),
    );
    if (values.keep === true) {
      log(
        `soak: kept topic ${sandbox.topic}, group ${sandbox.group}, indices ${sandbox.indexPrefix}-*, database ${sandbox.database}`,
      );
    } else {
      const failures = await removeSandbox(sandbox, { kafka, search, serverUrl: endpoints.mysqlUrl });
      for (const failure of failures) log(`soak: cleanup of ${failure}`);
    }
    await watch.close();
    await search.close();
  }
}

/** When the group has committed every record (the time), or null once `timeoutMs` has passed. */
async function catchUp(watch: GroupWatch, timeoutMs: number, signal: AbortSignal): Promise<number | null> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !signal.aborted) {
    if ((await watch.lag().catch(() => -1)) === 0) return Date.now();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  return null;
}

runCli('soak', main);
