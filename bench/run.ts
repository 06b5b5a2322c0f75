// `npm run bench`: throughput and memory figures of the runtime core. Prints numbers; asserts nothing.
//  1. decode + classify in memory (no I/O): events/s and heap per 100k events;
//  2. with `--stack` (the local stack must be up): processBatch against real MariaDB and OpenSearch in
//     chunks of 2,000, i.e. the consumer's hot path without Kafka;
//  3. with `--e2e` (the local stack must be up): the real consumer process against a raw _bulk client, and
//     produce -> searchable latency (bench/e2e.ts).
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { accountIdsOf, classify, decodeAll } from '../core/classify.js';
import { templateName } from '../core/index-templates.js';
import { silentLogger } from '../core/logger.js';
import type { SourceRecord } from '../core/source-record.js';
import {
  DEFAULT_SEEDED_ACCOUNTS,
  defaultDeviceFor,
  ensureUsersSchema,
  seedUsers,
} from '../core/users-schema.js';
import { createEventSource } from '../generator/events.js';
import {
  createCommand,
  integer,
  nonEmpty,
  parseCommand,
  refreshInterval,
  runCli,
  UsageError,
  valueOption,
} from '../local/cli.js';
import { endpointsHelp, localEndpoints } from '../local/endpoints.js';
import { createLocalPipeline, prepareIndices } from '../local/pipeline.js';
import { startupTimeoutOption, waitForLocalStack } from '../local/startup.js';
import { formatE2e, formatLatency, runE2eBench, runLatencyBench } from './e2e.js';
import { cannotPin, cannotPlaceStack, type Placement } from './placement.js';

export function benchCommand() {
  return createCommand(
    'npm run bench --',
    'Throughput and memory of the classifier in memory, and with --stack of processBatch against the local stack.',
  )
    .addOption(valueOption('--events <n>', 'events per run', integer(), 200_000))
    .option('--stack', 'also measure processBatch against the local stack (npm run stack:start first)')
    .option(
      '--e2e',
      'instead: npm run consume end to end against a raw _bulk client on the same documents, alternating, and produce -> searchable latency (local stack up)',
    )
    .addOption(valueOption('--runs <n>', 'alternating runs of each with --e2e', integer(), 2))
    .addOption(
      valueOption(
        '--warm-up <n>',
        'rounds of each run first and left out of the figures with --e2e, latency runs with --latency-only (a fresh node indexes at half speed)',
        integer({ min: 0 }),
        1,
      ),
    )
    .addOption(
      valueOption(
        '--latency-rate <n>',
        'events/s during the latency run (default: half the fastest consume run)',
        integer(),
      ),
    )
    .addOption(valueOption('--latency-seconds <n>', 'length of the latency run', integer(), 30))
    .addOption(
      valueOption(
        '--refresh-interval <interval>',
        "the latency run's consumer sets this index refresh interval (npm run consume --refresh-interval), e.g. 250ms (default: the consumer's, 500ms)",
        refreshInterval,
      ),
    )
    .option('--latency-only', 'with --e2e and --latency-rate: only the latency run')
    .option(
      '--no-pinned',
      'with --e2e, only the unpinned runs (default: each round also runs the consumer and the raw client pinned to core 1, the stack to core 0)',
    )
    .addOption(
      valueOption(
        '--baseline <dir>',
        "with --e2e, also run that checkout's consumer in each round, right after this one's, and print after / before (e.g. a git worktree of the code before a change, npm ci done)",
        nonEmpty,
      ),
    )
    .addOption(valueOption('--json <file>', 'also write the --e2e figures to this file', nonEmpty))
    .addOption(startupTimeoutOption())
    .addHelpText('after', endpointsHelp());
}

const fmt = new Intl.NumberFormat('en-US');
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

function makeRecords(n: number): SourceRecord[] {
  const source = createEventSource({
    seed: 'bench',
    badRatio: 0.1,
    suspiciousRatio: 0.15,
    accounts: DEFAULT_SEEDED_ACCOUNTS,
    nowSeconds: 1_763_900_000,
  });
  const now = Date.now();
  return Array.from({ length: n }, (_, i) => {
    const event = source.next();
    return {
      topic: 'bench',
      partition: 0,
      offset: String(i),
      timestampMs: now,
      key: Buffer.from(event.key),
      value: event.value,
    };
  });
}

function benchClassify(records: SourceRecord[]): void {
  const defaults = new Map<number, string | null>();
  const run = () => {
    const decoded = decodeAll(records);
    for (const id of accountIdsOf(decoded))
      defaults.set(id, id <= DEFAULT_SEEDED_ACCOUNTS ? defaultDeviceFor(id) : null);
    return classify(decoded, defaults, 'bench', new Date().toISOString());
  };
  run(); // warm-up
  globalThis.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const start = performance.now();
  const docs = run();
  const seconds = (performance.now() - start) / 1000;
  const heapAfter = process.memoryUsage().heapUsed;
  console.log(
    `classify (in memory)   ${fmt.format(Math.round(records.length / seconds))} events/s   ${fmt.format(records.length)} events in ${seconds.toFixed(2)} s   heap +${mb(heapAfter - heapBefore)} holding ${fmt.format(docs.length)} documents   rss ${mb(process.memoryUsage().rss)}`,
  );
}

async function benchStack(records: SourceRecord[]): Promise<void> {
  const prefix = `bench-${Date.now().toString(36)}`;
  const pipeline = createLocalPipeline({ ...localEndpoints(), indexPrefix: prefix, logger: silentLogger });
  try {
    await ensureUsersSchema(pipeline.pool);
    await seedUsers(pipeline.pool, { accounts: DEFAULT_SEEDED_ACCOUNTS });
    await prepareIndices(pipeline.search, prefix);
    const start = performance.now();
    for (let i = 0; i < records.length; i += 2_000) {
      await pipeline.process(records.slice(i, i + 2_000));
      if ((i / 2_000) % 20 === 0)
        process.stderr.write(`  ${fmt.format(i)} / ${fmt.format(records.length)}\r`);
    }
    const seconds = (performance.now() - start) / 1000;
    console.log(
      `processBatch (stack)   ${fmt.format(Math.round(records.length / seconds))} events/s   ${fmt.format(records.length)} events in ${seconds.toFixed(2)} s   users queries ${pipeline.users.queries}   rss ${mb(process.memoryUsage().rss)}`,
    );
  } finally {
    await pipeline.search.indices.delete({
      index: `${prefix}-*`,
      ignore_unavailable: true,
      allow_no_indices: true,
    });
    await pipeline.search.indices.deleteIndexTemplate({ name: templateName(prefix) });
    await pipeline.close();
  }
}

async function main(): Promise<number> {
  const { options } = parseCommand<{
    events: number;
    stack?: boolean;
    e2e?: boolean;
    runs: number;
    warmUp: number;
    latencyRate?: number;
    latencySeconds: number;
    refreshInterval?: string;
    latencyOnly?: boolean;
    pinned: boolean;
    json?: string;
    baseline?: string;
    startupTimeout: number;
  }>(benchCommand(), process.argv.slice(2));
  const { events } = options;
  if (options.baseline !== undefined && !existsSync(join(options.baseline, 'local', 'run-built.mjs'))) {
    throw new UsageError(
      `--baseline ${options.baseline} is not a checkout of this project (no local/run-built.mjs)`,
    );
  }
  // Before the minute of generating: a stack that is down is said at once.
  if (options.stack === true || options.e2e === true) {
    const needs =
      options.e2e === true ? (['kafka', 'mysql', 'opensearch'] as const) : (['mysql', 'opensearch'] as const);
    await waitForLocalStack([...needs], localEndpoints(), { timeoutMs: options.startupTimeout });
  }
  if (options.latencyOnly === true) {
    if (options.e2e !== true || options.latencyRate === undefined) {
      throw new UsageError('--latency-only needs --e2e and --latency-rate');
    }
    const latency = await runLatencyBench({
      rate: options.latencyRate,
      seconds: options.latencySeconds,
      refreshInterval: options.refreshInterval,
      warmUp: options.warmUp,
      log: (line) => console.error(line),
    });
    console.log(formatLatency(latency).join('\n'));
    console.log(JSON.stringify(latency));
    if (options.json !== undefined) writeFileSync(options.json, `${JSON.stringify(latency, null, 2)}\n`);
    return 0;
  }
  if (options.e2e === true) {
    const placements: Placement[] = ['unpinned'];
    const why = options.pinned ? (cannotPin() ?? cannotPlaceStack()) : undefined;
    if (options.pinned && why === undefined) placements.push('pinned');
    else if (why !== undefined) console.error(`no pinned runs: ${why}`);
    const result = await runE2eBench({
      placements,
      events,
      runs: options.runs,
      warmUp: options.warmUp,
      latencyRate: options.latencyRate,
      latencySeconds: options.latencySeconds,
      refreshInterval: options.refreshInterval,
      baseline: options.baseline === undefined ? undefined : resolve(options.baseline),
      log: (line) => console.error(line),
    });
    console.log(formatE2e(result));
    console.log(JSON.stringify(result));
    if (options.json !== undefined) writeFileSync(options.json, `${JSON.stringify(result, null, 2)}\n`);
    return 0;
  }
  console.log(`generating ${fmt.format(events)} events (10% bad, 15% suspicious)...`);
  const records = makeRecords(events);
  benchClassify(records);
  if (options.stack === true) await benchStack(records);
  return 0;
}

runCli('bench', main);
