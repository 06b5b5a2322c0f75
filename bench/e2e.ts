// The end-to-end bench (`npm run bench -- --e2e`, local stack up): how close the real consumer process comes
// to the sink's ceiling on this machine, and what it costs.
//  - pre-produces N events (3 partitions, 10 % bad, 15 % suspicious);
//  - alternates, `runs` times: the real `npm run consume` process (new group, until caught up), timed from
//    process start to its "caught up" line and from its first committed batch to that line, with its own CPU
//    time and RSS (bench/report-usage.mjs); then a minimal raw `_bulk` client posting the very documents that run
//    produced (5 MB bodies, 3 requests in flight, the same index templates): the ceiling. Each round does both
//    unpinned and pinned (bench/placement.ts: the stack on core 0, the consumer or the raw client on core 1);
//  - produce -> searchable latency: the consumer following a topic fed at a steady rate (default half the
//    measured maximum), with a probe record every 100 ms whose document is looked for by its id.
// Prints one table and the figures as JSON (also to --json <file>) for comparison across commits.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@opensearch-project/opensearch';
import type { Admin } from 'kafkajs';
import { indexName, recordId } from '../core/documents.js';
import { templateName } from '../core/index-templates.js';
import { silentLogger } from '../core/logger.js';
import { createIdempotentProducer } from '../core/producer.js';
import { sleep } from '../core/retry.js';
import { DEFAULT_SEEDED_ACCOUNTS } from '../core/users-schema.js';
import { runGenerator } from '../generator/run.js';
import { PROJECT_ROOT } from '../local/components/paths.js';
import { consumeArgs, RUN_BUILT } from '../local/consume-process.js';
import { localEndpoints } from '../local/endpoints.js';
import {
  createLocalPipeline,
  DEFAULT_LOCAL_REFRESH_INTERVAL,
  type LocalPipeline,
  prepareIndices,
  refreshIndices,
} from '../local/pipeline.js';
import type { LambdaHandlerRun } from './lambda-handler.js';
import { type CpuSplit, cpuSnapshot, cpuSplit } from './machine-cpu.js';
import { type Placement, place, placedCommand } from './placement.js';

export interface E2eOptions {
  readonly events: number;
  readonly runs: number;
  /** Rounds of both run first and left out of the figures: a fresh node indexes at half speed. */
  readonly warmUp: number;
  /** Events/s fed during the latency run. @default half the fastest pipeline run */
  readonly latencyRate?: number;
  readonly latencySeconds: number;
  /** The index refresh interval the consumers set. @default DEFAULT_LOCAL_REFRESH_INTERVAL */
  readonly refreshInterval?: string;
  /** Where each round runs the consumer and the raw client, in this order (bench/placement.ts). */
  readonly placements: readonly Placement[];
  /** Another checkout (e.g. a git worktree of the code before a change) whose consumer each round runs too. */
  readonly baseline?: string;
  readonly log: (line: string) => void;
}

export interface PipelineRun {
  readonly placement: Placement;
  /** From process start to "caught up". */
  readonly eventsPerSecond: number;
  /** The events after the first committed batch, over the time from it to "caught up": start-up left out. */
  readonly fromFirstBatchEventsPerSecond: number;
  readonly seconds: number;
  readonly firstBatchMs: number;
  readonly cpuUsPerEvent: number;
  readonly maxRssMb: number;
  /** The highest RSS in each tenth of the run, in MB: flat when memory does not grow with the backlog. */
  readonly rssPerTenthMb: readonly number[];
  /** The machine's CPU per event during the run, and OpenSearch's and Kafka's share of it. */
  readonly machine: CpuSplit;
}

export interface RawRun {
  readonly placement: Placement;
  readonly docsPerSecond: number;
  readonly seconds: number;
  readonly machine: CpuSplit;
}

export interface E2eResult {
  readonly events: number;
  readonly pipeline: PipelineRun[];
  /** The baseline checkout's consumer, run right after this one's in each round and placement. */
  readonly baseline?: { readonly root: string; readonly runs: PipelineRun[] };
  readonly raw: RawRun[];
  /** Consume over raw `_bulk` (medians) per placement, from process start and from the first batch. */
  readonly ratios: Partial<
    Record<Placement, { readonly fromStart: number; readonly fromFirstBatch: number }>
  >;
  /**
   * The best ratio these CPU costs allow on this machine, unpinned: the raw run's machine CPU per document over
   * the pipeline's per event (medians). When both runs keep every core busy, their rates stand in that ratio.
   */
  readonly cpuBound: number;
  readonly lambda: LambdaHandlerRun;
  readonly latency: LatencyRun;
}

const BODY_BYTES = 5 * 1024 * 1024;
/** How often a consumer's committed offsets are asked for until the first commit: its figure is late by half of it. */
const FIRST_COMMIT_POLL_MS = 10;
/** Events of the Lambda handler run, at most. */
const LAMBDA_EVENTS = 200_000;
const RAW_IN_FLIGHT = 3;
const fmt = new Intl.NumberFormat('en-US');

export async function runE2eBench(options: E2eOptions): Promise<E2eResult> {
  const { log } = options;
  const run = `e2e-${Date.now().toString(36)}`;
  const endpoints = localEndpoints();
  const pipeline = createLocalPipeline({ ...endpoints, indexPrefix: run, logger: silentLogger });
  const topics: string[] = [];
  try {
    const topic = `bench-${run}`;
    topics.push(topic);
    log(`producing ${fmt.format(options.events)} events to ${topic} (3 partitions, 10% bad, 15% suspicious)`);
    await runGenerator({
      topic,
      brokers: endpoints.brokers,
      count: options.events,
      rate: 0,
      badRatio: 0.1,
      suspiciousRatio: 0.15,
      seed: 'bench-e2e',
      accounts: DEFAULT_SEEDED_ACCOUNTS,
      mysqlUrl: endpoints.mysqlUrl,
      partitions: 3,
    });

    const { baseline } = options;
    buildConsumer(PROJECT_ROOT);
    if (baseline !== undefined) buildConsumer(baseline);
    // Connected before any clock starts: it watches each consumer's first commit.
    const admin = pipeline.kafka.admin();
    await admin.connect();
    const baselineRuns: PipelineRun[] = [];
    const pipelineRuns: PipelineRun[] = [];
    const rawRuns: RawRun[] = [];
    const rounds = options.warmUp + options.runs;
    try {
      for (let i = 1; i <= rounds; i++) {
        const warmUp = i <= options.warmUp;
        const name = warmUp ? `warm-up ${i}/${options.warmUp}` : `run ${i - options.warmUp}/${options.runs}`;
        for (const placement of options.placements) {
          place(placement);
          const prefix = `bench-${run}-p${i}${placement[0]}`;
          log(`${name}, ${placement}: npm run consume until caught up`);
          const measured = await timeConsumer(pipeline, admin, topic, prefix, options.events, placement);
          if (!warmUp) pipelineRuns.push(measured);
          log(
            `  ${fmt.format(measured.eventsPerSecond)} ev/s from process start, ${fmt.format(measured.fromFirstBatchEventsPerSecond)} from the first batch (${measured.firstBatchMs} ms), ${measured.cpuUsPerEvent.toFixed(1)} µs CPU/event, max RSS ${measured.maxRssMb} MB; ${describeCpu(measured.machine)}`,
          );
          log(`${name}, ${placement}: raw _bulk of the same documents`);
          const rawPrefix = `bench-${run}-r${i}${placement[0]}`;
          place('unpinned'); // the bodies are read back at full speed
          const bodies = await bulkBodies(pipeline.search, prefix, rawPrefix);
          await dropPrefix(pipeline.search, prefix);
          place(placement);
          const raw = await timeRawBulk(pipeline.search, rawPrefix, bodies, options.events, placement);
          if (!warmUp) rawRuns.push(raw);
          log(`  ${fmt.format(raw.docsPerSecond)} docs/s; ${describeCpu(raw.machine)}`);
          await dropPrefix(pipeline.search, rawPrefix);
          if (baseline !== undefined) {
            const basePrefix = `bench-${run}-b${i}${placement[0]}`;
            log(`${name}, ${placement}: the baseline's npm run consume (${baseline}) until caught up`);
            const before = await timeConsumer(
              pipeline,
              admin,
              topic,
              basePrefix,
              options.events,
              placement,
              baseline,
            );
            if (!warmUp) baselineRuns.push(before);
            log(
              `  ${fmt.format(before.eventsPerSecond)} ev/s from process start, ${fmt.format(before.fromFirstBatchEventsPerSecond)} from the first batch (${before.firstBatchMs} ms), ${before.cpuUsPerEvent.toFixed(1)} µs CPU/event, max RSS ${before.maxRssMb} MB; ${describeCpu(before.machine)}`,
            );
            await dropPrefix(pipeline.search, basePrefix);
          }
        }
      }
    } finally {
      place('unpinned');
      await admin.disconnect();
    }

    // Its CPU per event is steady long before a million events: larger runs need not wait for it.
    const lambdaEvents = Math.min(options.events, LAMBDA_EVENTS);
    log(`Lambda handler: ${fmt.format(lambdaEvents)} events in MSK events of the deployed batch size`);
    const lambda = runLambdaHandler(lambdaEvents, `bench-${run}-lambda`);
    log(`  ${lambda.cpuUsPerEvent.toFixed(1)} µs CPU/event, ${fmt.format(lambda.eventsPerSecond)} ev/s`);
    await dropPrefix(pipeline.search, `bench-${run}-lambda`);

    const unpinned = pipelineRuns.filter((r) => r.placement === 'unpinned');
    const best = Math.max(...(unpinned.length > 0 ? unpinned : pipelineRuns).map((r) => r.eventsPerSecond));
    const rate = options.latencyRate ?? Math.max(100, Math.round(best / 2 / 100) * 100);
    const latencyTopic = `bench-${run}-latency`;
    topics.push(latencyTopic);
    log(latencyLine(rate, options.latencySeconds));
    const latency = await measureLatency(
      pipeline,
      latencyTopic,
      `bench-${run}-l`,
      rate,
      options.latencySeconds,
      options.refreshInterval,
    );

    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    const ratios: E2eResult['ratios'] = {};
    for (const placement of options.placements) {
      const consumed = pipelineRuns.filter((r) => r.placement === placement);
      const ceiling = median(rawRuns.filter((r) => r.placement === placement).map((r) => r.docsPerSecond));
      ratios[placement] = {
        fromStart: round2(median(consumed.map((r) => r.eventsPerSecond)) / ceiling),
        fromFirstBatch: round2(median(consumed.map((r) => r.fromFirstBatchEventsPerSecond)) / ceiling),
      };
    }
    const unpinnedRaw = rawRuns.filter((r) => r.placement === 'unpinned');
    return {
      events: options.events,
      pipeline: pipelineRuns,
      ...(baseline === undefined ? {} : { baseline: { root: baseline, runs: baselineRuns } }),
      raw: rawRuns,
      ratios,
      cpuBound: round2(
        median((unpinnedRaw.length > 0 ? unpinnedRaw : rawRuns).map((r) => r.machine.machineUs)) /
          median((unpinned.length > 0 ? unpinned : pipelineRuns).map((r) => r.machine.machineUs)),
      ),
      lambda,
      latency,
    };
  } finally {
    await removeRun(pipeline, run, topics);
  }
}

/** Only the latency run (`--latency-only`): produce -> indexed and -> searchable at a given rate. */
export async function runLatencyBench(options: {
  readonly rate: number;
  readonly seconds: number;
  readonly refreshInterval?: string;
  /** Latency runs first and left out: on a freshly started node the first minute's figures are several times worse. */
  readonly warmUp: number;
  readonly log: (line: string) => void;
}): Promise<LatencyRun> {
  const run = `lat-${Date.now().toString(36)}`;
  const pipeline = createLocalPipeline({ ...localEndpoints(), indexPrefix: run, logger: silentLogger });
  const topics: string[] = [];
  try {
    buildConsumer(PROJECT_ROOT);
    for (let i = 0; ; i++) {
      const warmUp = i < options.warmUp;
      const topic = `bench-${run}-latency${i}`;
      topics.push(topic);
      options.log(
        `${warmUp ? `warm-up ${i + 1}/${options.warmUp}, ` : ''}${latencyLine(options.rate, options.seconds)}`,
      );
      const latency = await measureLatency(
        pipeline,
        topic,
        `bench-${run}-l${i}`,
        options.rate,
        options.seconds,
        options.refreshInterval,
      );
      if (!warmUp) return latency;
    }
  } finally {
    await removeRun(pipeline, run, topics);
  }
}

/** Deletes what a bench run made (its topics, and its indices and templates, all named after it), then disconnects. */
async function removeRun(pipeline: LocalPipeline, run: string, topics: string[]): Promise<void> {
  const admin = pipeline.kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.disconnect();
  await dropPrefix(pipeline.search, `bench-${run}`);
  await pipeline.close();
}

/** Builds a checkout's consumer bundle before any clock starts, as on any machine that ran it since its last change. */
function buildConsumer(root: string): void {
  spawnSync(process.execPath, consumeArgs(['--help']), { cwd: root, stdio: 'ignore' });
}

/** The latency run's first line of progress. */
const latencyLine = (rate: number, seconds: number) =>
  `latency: ${fmt.format(rate)} ev/s for ${seconds} s, a probe every 100 ms`;

/** The real Lambda handler as bundled JavaScript in a process of its own (bench/lambda-handler.ts). */
function runLambdaHandler(events: number, prefix: string): LambdaHandlerRun {
  const resultFile = join(tmpdir(), `${prefix}.json`);
  const child = spawnSync(
    process.execPath,
    [RUN_BUILT, 'bench/lambda-handler.ts', String(events), prefix, resultFile],
    { cwd: PROJECT_ROOT, env: { ...process.env, LOG_LEVEL: 'warn' }, encoding: 'utf8' },
  );
  if (child.status !== 0) throw new Error(`the Lambda handler bench failed: ${child.stderr.trim()}`);
  const run = JSON.parse(readFileSync(resultFile, 'utf8')) as LambdaHandlerRun;
  rmSync(resultFile, { force: true });
  return run;
}

/** `npm run consume` exactly as an operator runs it, plus the usage report preloaded, where `placement` says. */
function startConsume(
  args: readonly string[],
  usageFile: string,
  placement: Placement = 'unpinned',
  root = PROJECT_ROOT,
): ChildProcess {
  const placed = placedCommand(
    placement,
    process.execPath,
    consumeArgs(['--quiet', ...args], ['--import', './bench/report-usage.mjs']),
  );
  const child = spawn(placed.command, placed.args, {
    cwd: root,
    env: { ...process.env, BENCH_USAGE_FILE: usageFile, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  // Whatever ends the bench, no consumer of it is left running.
  const stop = () => child.kill();
  process.once('exit', stop);
  child.once('exit', () => process.off('exit', stop));
  return child;
}

async function timeConsumer(
  pipeline: LocalPipeline,
  admin: Admin,
  topic: string,
  prefix: string,
  events: number,
  placement: Placement,
  root = PROJECT_ROOT,
): Promise<PipelineRun> {
  const usageFile = join(tmpdir(), `${prefix}-usage.json`);
  const cpuAtStart = cpuSnapshot();
  const started = performance.now();
  const child = startConsume(
    ['--topic', topic, '--group', `${prefix}-group`, '--index-prefix', prefix, '--until-caught-up'],
    usageFile,
    placement,
    root,
  );
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  // Done when the consumer says it has caught up (every document acknowledged), not when it has left the group.
  let caughtUpMs = -1;
  let cpuAtCaughtUp = cpuAtStart;
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    if (caughtUpMs < 0 && /^caught up: /m.test(stderr)) {
      caughtUpMs = performance.now() - started;
      cpuAtCaughtUp = cpuSnapshot();
    }
  });
  let firstBatchMs = -1;
  let firstBatchDocs = 0;
  let done = false;
  void exited.then(() => {
    done = true;
  });
  // The first committed batch: the group's offsets, asked every FIRST_COMMIT_POLL_MS until one moves (then the
  // broker is left alone). The records before the committed offsets are what that batch took.
  while (!done && firstBatchMs < 0) {
    const committed = await admin
      .fetchOffsets({ groupId: `${prefix}-group`, topics: [topic] })
      .then(([offsets]) => offsets.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0))
      .catch(() => 0);
    if (committed > 0) {
      firstBatchMs = Math.round(performance.now() - started);
      firstBatchDocs = committed;
    } else await sleep(FIRST_COMMIT_POLL_MS);
  }
  const code = await exited;
  if (code !== 0 || caughtUpMs < 0) throw new Error(`npm run consume exited with ${code}: ${stderr.trim()}`);
  const seconds = caughtUpMs / 1000;
  await refreshIndices(pipeline.search, prefix);
  const { body } = await pipeline.search.count({ index: `${prefix}-events-*` });
  if (body.count !== events) throw new Error(`the consumer indexed ${body.count} documents of ${events}`);
  const usage = JSON.parse(readFileSync(usageFile, 'utf8')) as {
    cpuUs: number;
    maxRssBytes: number;
    rssSamples: [number, number][];
  };
  rmSync(usageFile, { force: true });
  return {
    placement,
    eventsPerSecond: Math.round(events / seconds),
    fromFirstBatchEventsPerSecond: Math.round(
      ((events - firstBatchDocs) * 1000) / Math.max(1, caughtUpMs - firstBatchMs),
    ),
    seconds: Number(seconds.toFixed(2)),
    firstBatchMs,
    cpuUsPerEvent: Number((usage.cpuUs / events).toFixed(1)),
    // From the samples, not getrusage's maxRSS: Linux keeps across exec the peak of the process it was forked
    // from, the bench itself (over 1 GB while it holds a million raw bodies), so maxRSS said 595 or 1,137 MB for a
    // consumer that never went past 300.
    maxRssMb: Math.round(Math.max(...usage.rssSamples.map(([, bytes]) => bytes)) / 1024 / 1024),
    rssPerTenthMb: peaksPerTenth(usage.rssSamples),
    machine: cpuSplit(cpuAtStart, cpuAtCaughtUp, events),
  };
}

/** The highest of `[ms, bytes]` samples in each tenth of their time span, in MB. */
export function peaksPerTenth(samples: readonly (readonly [number, number])[]): number[] {
  if (samples.length === 0) return [];
  let end = 0;
  for (const [ms] of samples) end = Math.max(end, ms);
  const peaks = new Array<number>(10).fill(0);
  for (const [ms, bytes] of samples) {
    const tenth = Math.min(9, Math.floor((ms * 10) / Math.max(1, end)));
    peaks[tenth] = Math.max(peaks[tenth], Math.round(bytes / 1024 / 1024));
  }
  // A tenth without a sample (a short run: one sample every 250 ms) shows the peak next to it.
  for (let i = 1; i < 10; i++) if (peaks[i] === 0) peaks[i] = peaks[i - 1];
  for (let i = 8; i >= 0; i--) if (peaks[i] === 0) peaks[i] = peaks[i + 1];
  return peaks;
}

const round2 = (value: number) => Number(value.toFixed(2));

/** The documents of `from` as ready-made `_bulk` bodies for the same indices under prefix `to`. */
async function bulkBodies(search: Client, from: string, to: string): Promise<Buffer[]> {
  await prepareIndices(search, to);
  const bodies: Buffer[] = [];
  let lines: string[] = [];
  let bytes = 0;
  const flush = () => {
    if (lines.length > 0) bodies.push(Buffer.from(lines.join('')));
    lines = [];
    bytes = 0;
  };
  let response = await search.search({ index: `${from}-events-*`, scroll: '1m', size: 5_000 });
  for (;;) {
    const hits = response.body.hits.hits as { _id: string; _index: string; _source: unknown }[];
    if (hits.length === 0) break;
    for (const hit of hits) {
      const action = `${JSON.stringify({ index: { _index: to + hit._index.slice(from.length), _id: hit._id } })}\n`;
      const doc = `${JSON.stringify(hit._source)}\n`;
      const size = Buffer.byteLength(action) + Buffer.byteLength(doc);
      if (bytes + size > BODY_BYTES) flush();
      lines.push(action, doc);
      bytes += size;
    }
    response = await search.scroll({ scroll_id: response.body._scroll_id as string, scroll: '1m' });
  }
  flush();
  await search.clearScroll({ scroll_id: response.body._scroll_id as string }).catch(() => undefined);
  return bodies;
}

/** The ceiling: the bodies posted as fast as the node takes them, RAW_IN_FLIGHT at a time. */
async function timeRawBulk(
  search: Client,
  prefix: string,
  bodies: readonly Buffer[],
  events: number,
  placement: Placement,
): Promise<RawRun> {
  let next = 0;
  const cpuAtStart = cpuSnapshot();
  const started = performance.now();
  const worker = async () => {
    while (next < bodies.length) {
      const body = bodies[next++];
      const { body: answer } = await search.transport.request({
        method: 'POST',
        path: '/_bulk',
        querystring: { filter_path: 'errors' },
        body,
      });
      if ((answer as { errors?: boolean }).errors) throw new Error('raw _bulk: some documents failed');
    }
  };
  await Promise.all(Array.from({ length: RAW_IN_FLIGHT }, worker));
  const seconds = (performance.now() - started) / 1000;
  const cpuAtEnd = cpuSnapshot();
  await refreshIndices(search, prefix);
  const { body } = await search.count({ index: `${prefix}-events-*` });
  if (body.count !== events) throw new Error(`raw _bulk indexed ${body.count} documents of ${events}`);
  return {
    placement,
    docsPerSecond: Math.round(events / seconds),
    seconds: Number(seconds.toFixed(2)),
    machine: cpuSplit(cpuAtStart, cpuAtEnd, events),
  };
}

/** One run's CPU on this machine, for the progress log. */
function describeCpu(cpu: CpuSplit): string {
  const share = (label: string, us: number | null) => (us === null ? '' : `, ${label} ${us.toFixed(1)}`);
  const cores = cpu.coreBusy.map((busy, i) => `core ${i} ${Math.round(busy * 100)} %`).join(', ');
  return `machine ${cpu.machineUs.toFixed(1)} µs/event${share('OpenSearch', cpu.searchUs)}${share('Kafka', cpu.brokerUs)}, ${cpu.busyCores.toFixed(2)} cores busy (${cores})`;
}

/** Produce -> indexed and produce -> searchable of the probes, in ms. */
export interface LatencyRun {
  readonly rate: number;
  readonly probes: number;
  /** The index refresh interval the consumer set (what searchable waits for after indexed). */
  readonly refreshInterval: string;
  /** Until a realtime GET finds the document: OpenSearch acknowledged it, the pipeline's own latency. */
  readonly indexed: { readonly p50Ms: number; readonly p99Ms: number };
  /** Until a search finds it: indexed, then the index's next refresh. */
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** How often the probes' documents are looked for: the figures are late by half of it on average. */
const POLL_MS = 20;

export async function measureLatency(
  pipeline: LocalPipeline,
  topic: string,
  prefix: string,
  rate: number,
  seconds: number,
  refreshInterval?: string,
): Promise<LatencyRun> {
  const admin = pipeline.kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
  const group = `${prefix}-group`;
  const child = startConsume(
    [
      '--topic',
      topic,
      '--group',
      group,
      '--index-prefix',
      prefix,
      ...(refreshInterval === undefined ? [] : ['--refresh-interval', refreshInterval]),
    ],
    join(tmpdir(), `${prefix}-usage.json`),
  );
  try {
    // Wait until the consumer has joined and been assigned the partitions.
    for (;;) {
      const { groups } = await admin.describeGroups([group]);
      if (groups[0]?.state === 'Stable') break;
      await sleep(200);
    }
    const producer = createIdempotentProducer(pipeline.kafka);
    await producer.connect();
    /** Probes not yet found by a realtime GET, and not yet by a search: when each was sent, and its index. */
    const notIndexed = new Map<string, { sentAt: number; index: string }>();
    const notSearchable = new Map<string, number>();
    const indexedMs: number[] = [];
    const searchableMs: number[] = [];
    let producing = true;
    const probes = (async () => {
      for (let i = 0; producing; i++) {
        const timestampMs = Date.now();
        const value = Buffer.from(`probe ${i}`);
        const key = Buffer.from(`probe-${i}`);
        const sentAt = performance.now();
        const [meta] = await producer.send({
          topic,
          acks: -1,
          messages: [{ key, value, partition: i % 3, timestamp: String(timestampMs) }],
        });
        const id = recordId({
          topic,
          partition: meta.partition,
          offset: String(meta.baseOffset),
          timestampMs,
          key,
          value,
        });
        notIndexed.set(id, { sentAt, index: indexName(prefix, timestampMs) });
        notSearchable.set(id, sentAt);
        await sleep(Math.max(0, 100 - (performance.now() - sentAt)));
      }
    })();
    const lookForIndexed = async () => {
      if (notIndexed.size === 0) return;
      // Realtime (the default of a GET): found as soon as OpenSearch acknowledged it, refreshed or not.
      const { body } = await pipeline.search.mget({
        body: { docs: [...notIndexed].map(([_id, { index }]) => ({ _index: index, _id, _source: false })) },
      });
      const now = performance.now();
      for (const doc of body.docs as { _id: string; found?: boolean }[]) {
        const probe = notIndexed.get(doc._id);
        if (probe === undefined || doc.found !== true) continue;
        indexedMs.push(now - probe.sentAt);
        notIndexed.delete(doc._id);
      }
    };
    const lookForSearchable = async () => {
      if (notSearchable.size === 0) return;
      const { body } = await pipeline.search
        .search({
          index: `${prefix}-events-*`,
          ignore_unavailable: true,
          allow_no_indices: true,
          body: {
            size: notSearchable.size,
            _source: false,
            query: { ids: { values: [...notSearchable.keys()] } },
          },
        })
        .catch((error: unknown) => {
          // 503 "all shards failed": the first document's index is being created; nothing searchable yet.
          if ((error as { meta?: { statusCode?: number } }).meta?.statusCode !== 503) throw error;
          return { body: { hits: { hits: [] } } };
        });
      const now = performance.now();
      for (const hit of body.hits.hits as { _id: string }[]) {
        const sentAt = notSearchable.get(hit._id);
        if (sentAt === undefined) continue;
        searchableMs.push(now - sentAt);
        notSearchable.delete(hit._id);
      }
    };
    const poll = (async () => {
      while (producing || notSearchable.size > 0 || notIndexed.size > 0) {
        await Promise.all([lookForIndexed(), lookForSearchable()]);
        await sleep(POLL_MS);
      }
    })();
    // Both loops are awaited below; a failure before then must not end the bench as an unhandled rejection,
    // which would skip the `finally` that stops the consumer started above.
    probes.catch(() => undefined);
    poll.catch(() => undefined);
    await runGenerator({
      topic,
      brokers: localEndpoints().brokers,
      durationSeconds: seconds,
      rate,
      badRatio: 0.1,
      suspiciousRatio: 0.15,
      seed: 'bench-latency',
      accounts: DEFAULT_SEEDED_ACCOUNTS,
    });
    producing = false;
    await probes;
    await Promise.race([poll, sleep(30_000)]);
    await producer.disconnect();
    if (notSearchable.size > 0) throw new Error(`${notSearchable.size} probes never became searchable`);
    const percentiles = (values: number[]) => {
      const sorted = [...values].sort((a, b) => a - b);
      const at = (q: number) =>
        Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);
      return { p50Ms: at(0.5), p99Ms: at(0.99) };
    };
    return {
      rate,
      probes: searchableMs.length,
      refreshInterval: refreshInterval ?? DEFAULT_LOCAL_REFRESH_INTERVAL,
      indexed: percentiles(indexedMs),
      ...percentiles(searchableMs),
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    await admin.disconnect();
  }
}

async function dropPrefix(search: Client, prefix: string): Promise<void> {
  await search.indices
    .delete({ index: `${prefix}*`, ignore_unavailable: true, allow_no_indices: true })
    .catch(() => undefined);
  await search.indices.deleteIndexTemplate({ name: `${prefix}*` }).catch(() => undefined);
  await search.indices.deleteIndexTemplate({ name: templateName(prefix) }).catch(() => undefined);
}

/** The machine columns of a run's row. */
function machineCells(cpu: CpuSplit): string[] {
  const us = (value: number | null) => (value === null ? '-' : value.toFixed(1));
  return [
    us(cpu.machineUs),
    us(cpu.searchUs),
    us(cpu.brokerUs),
    cpu.busyCores.toFixed(2),
    cpu.coreBusy.map((busy) => `${Math.round(busy * 100)}%`).join(' '),
  ];
}

/** The table the bench prints. */
export function formatE2e(result: E2eResult): string {
  const rows: string[][] = [
    [
      '',
      'events/s',
      'from 1st batch',
      'seconds',
      'first batch',
      'CPU µs/event',
      'max RSS',
      'machine µs/event',
      'OpenSearch',
      'Kafka',
      'busy cores',
      'per core',
    ],
  ];
  const count = new Map<string, number>();
  const label = (what: string, placement: Placement) => {
    const key = `${what} ${placement}`;
    count.set(key, (count.get(key) ?? 0) + 1);
    return `${key} ${count.get(key)}`;
  };
  for (const r of result.pipeline) {
    rows.push([
      label('consume', r.placement),
      fmt.format(r.eventsPerSecond),
      fmt.format(r.fromFirstBatchEventsPerSecond),
      String(r.seconds),
      `${r.firstBatchMs} ms`,
      r.cpuUsPerEvent.toFixed(1),
      `${r.maxRssMb} MB`,
      ...machineCells(r.machine),
    ]);
  }
  for (const r of result.baseline?.runs ?? []) {
    rows.push([
      label('baseline consume', r.placement),
      fmt.format(r.eventsPerSecond),
      fmt.format(r.fromFirstBatchEventsPerSecond),
      String(r.seconds),
      `${r.firstBatchMs} ms`,
      r.cpuUsPerEvent.toFixed(1),
      `${r.maxRssMb} MB`,
      ...machineCells(r.machine),
    ]);
  }
  for (const r of result.raw) {
    rows.push([
      label('raw _bulk', r.placement),
      fmt.format(r.docsPerSecond),
      '',
      String(r.seconds),
      '',
      '',
      '',
      ...machineCells(r.machine),
    ]);
  }
  rows.push([
    `Lambda handler (${result.lambda.batchSize}/invocation)`,
    fmt.format(result.lambda.eventsPerSecond),
    '',
    '',
    '',
    result.lambda.cpuUsPerEvent.toFixed(1),
    '',
    '',
    '',
    '',
    '',
    '',
  ]);
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  const table = rows.map((row) =>
    row
      .map((cell, c) => cell.padEnd(widths[c]))
      .join('  ')
      .trimEnd(),
  );
  const ratios = Object.entries(result.ratios).map(
    ([placement, r]) =>
      `ratio consume / raw _bulk, ${placement} (medians): ${r.fromStart.toFixed(2)} from process start, ${r.fromFirstBatch.toFixed(2)} from the first batch`,
  );
  return [
    `end to end, ${fmt.format(result.events)} events (pinned: the stack on core 0, the consumer or the raw client on core 1)`,
    ...table,
    ...ratios,
    ...baselineLines(result),
    `the machine CPU per event allows at most ${result.cpuBound.toFixed(2)} unpinned on this machine`,
    ...result.pipeline.map(
      (r, i) =>
        `RSS peak per tenth of consume run ${i + 1} (${r.placement}), MB: ${r.rssPerTenthMb.join(' ')}`,
    ),
    ...formatLatency(result.latency),
    'goals (issue 20):',
    ...goals(result).map(([goal, value, met]) => `  ${met ? 'met    ' : 'not met'}  ${goal}: ${value}`),
  ].join('\n');
}

/** Both latencies of a latency run: the pipeline's own (until indexed), and until searchable. */
export function formatLatency(latency: LatencyRun): string[] {
  const { rate, probes, indexed, refreshInterval } = latency;
  return [
    `produce -> indexed (a realtime GET finds it) at ${fmt.format(rate)} ev/s: p50 ${indexed.p50Ms} ms, p99 ${indexed.p99Ms} ms (${probes} probes)`,
    `produce -> searchable (then the next refresh, every ${refreshInterval}): p50 ${latency.p50Ms} ms, p99 ${latency.p99Ms} ms`,
  ];
}

/** This checkout against the baseline's consumer, per placement: medians, and the ratio after / before. */
export function baselineLines(result: E2eResult): string[] {
  if (result.baseline === undefined) return [];
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const lines = [`against the baseline ${result.baseline.root} (medians, this checkout / baseline):`];
  const placements = [...new Set(result.pipeline.map((r) => r.placement))];
  const figures: [string, (r: PipelineRun) => number][] = [
    ['events/s from process start', (r) => r.eventsPerSecond],
    ['events/s from the first batch', (r) => r.fromFirstBatchEventsPerSecond],
    ['first batch ms', (r) => r.firstBatchMs],
    ['CPU µs/event', (r) => r.cpuUsPerEvent],
    ['max RSS MB', (r) => r.maxRssMb],
  ];
  for (const placement of placements) {
    const after = result.pipeline.filter((r) => r.placement === placement);
    const before = result.baseline.runs.filter((r) => r.placement === placement);
    if (after.length === 0 || before.length === 0) continue;
    const cells = figures.map(([name, pick]) => {
      const a = median(after.map(pick));
      const b = median(before.map(pick));
      return `${name} ${fmt.format(a)} / ${fmt.format(b)} = ${(a / b).toFixed(2)}`;
    });
    lines.push(`  ${placement} (${after.length} + ${before.length} runs): ${cells.join('; ')}`);
  }
  return lines;
}

/** Whether a run's memory stayed flat: the second half's peak at most 10 % above the first half's. */
export function rssFlat(peaks: readonly number[]): boolean {
  if (peaks.length < 2) return true;
  const half = Math.floor(peaks.length / 2);
  return Math.max(...peaks.slice(half)) <= 1.1 * Math.max(...peaks.slice(0, half));
}

/** Each goal of the performance issue, the figure that decides it, and whether it is met. */
export function goals(result: E2eResult): [string, string, boolean][] {
  const worst = (pick: (r: PipelineRun) => number) => Math.max(...result.pipeline.map(pick));
  const cpu = worst((r) => r.cpuUsPerEvent);
  const rss = worst((r) => r.maxRssMb);
  const firstBatch = worst((r) => r.firstBatchMs);
  const flat = result.pipeline.every((r) => rssFlat(r.rssPerTenthMb));
  const ratio = (placement: Placement, goal: number): [string, string, boolean] => {
    const r = result.ratios[placement];
    return [
      `${placement}: >= ${goal} of the raw _bulk ceiling from the first batch`,
      r === undefined ? 'not measured' : r.fromFirstBatch.toFixed(2),
      r !== undefined && r.fromFirstBatch >= goal,
    ];
  };
  return [
    ratio('pinned', 0.95),
    ratio('unpinned', 0.9),
    ['first batch committed <= 1 s after process start', `${firstBatch} ms`, firstBatch <= 1000],
    ['consumer CPU <= 12 µs/event (whole process)', `${cpu.toFixed(1)} µs`, cpu <= 12],
    [
      'Lambda handler CPU <= 12 µs/event',
      `${result.lambda.cpuUsPerEvent.toFixed(1)} µs`,
      result.lambda.cpuUsPerEvent <= 12,
    ],
    ['max RSS < 200 MB', `${rss} MB`, rss < 200],
    ['RSS flat over the run (second half <= 1.1 x first half)', flat ? 'flat' : 'grows', flat],
    [
      `p99 produce -> searchable < 1 s (refresh every ${result.latency.refreshInterval})`,
      `${result.latency.p99Ms} ms`,
      result.latency.p99Ms < 1000,
    ],
  ];
}
