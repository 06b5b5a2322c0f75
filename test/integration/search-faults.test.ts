// OpenSearch faults on the real stack, each ending with every record as exactly one document: a write block
// (403) stops the consumer with exit 1 and one line, commits nothing, and a restart after unblocking
// completes the run; real 429s (the node's in-flight request breaker) and a SIGKILLed node are waited out.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runConsumer } from '../../core/consumer.js';
import { indexName } from '../../core/documents.js';
import { type GroundTruth, runGenerator } from '../../generator/run.js';
import { startComponent } from '../../local/components/lifecycle.js';
import { opensearch } from '../../local/components/opensearch.js';
import {
  countIndexed,
  createLocalPipeline,
  type LocalPipeline,
  refreshIndices,
} from '../../local/pipeline.js';
import {
  createTestEnvironment,
  disposeTestEnvironment,
  endpoints,
  indexedTotal,
  killComponent,
  recordingLogger,
  startConsumerProcess,
  type TestDatabase,
  uniqueName,
  waitFor,
  watchFailure,
} from './support.js';

const DAY_MS = 86_400_000;

describe('OpenSearch faults', () => {
  let db: TestDatabase;
  let pipeline: LocalPipeline;
  const topics: string[] = [];
  const prefix = uniqueName('it-search-');

  /** A topic of its own for each test, with `count` events and their ground truth. */
  async function produce(label: string, count: number): Promise<{ topic: string; truth: GroundTruth }> {
    const topic = uniqueName(`it-search-${label}-`);
    topics.push(topic);
    const truth = await runGenerator({
      topic,
      brokers: endpoints.brokers,
      count,
      rate: 0,
      badRatio: 0.2,
      suspiciousRatio: 0.2,
      seed: `search-${label}`,
      accounts: 500,
      mysqlUrl: db.url,
      partitions: 2,
    });
    expect(truth.sent).toBe(count);
    return { topic, truth };
  }

  async function clearIndices() {
    await pipeline.search.indices.delete({ index: `${prefix}-events-*`, allow_no_indices: true });
  }

  beforeAll(async () => {
    ({ db, pipeline } = await createTestEnvironment(uniqueName('it-search-unused-'), prefix, 'search'));
  });

  const resetBreaker = () =>
    pipeline.search.cluster.putSettings({
      body: { transient: { 'network.breaker.inflight_requests.limit': null } },
    });

  // Whatever a test left, failed or not, so that no test counts another's documents.
  afterEach(async () => {
    await clearIndices().catch(() => undefined);
  });

  afterAll(async () => {
    await resetBreaker().catch(() => undefined);
    await startComponent(opensearch, () => {});
    const admin = pipeline.kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
    await disposeTestEnvironment({ topic: topics[0] ?? 'none', prefix, db, pipeline });
  });

  it('stops with exit 1 and one line on a write block (403), commits nothing, and completes after unblocking', async () => {
    const { topic, truth } = await produce('blocked', 2_000);
    const group = uniqueName('it-search-blocked-group-');
    // The daily indices the records can land in (produced just now), created and write-blocked.
    const indices = [-1, 0, 1].map((days) => indexName(prefix, Date.now() + days * DAY_MS));
    for (const index of indices) await pipeline.search.indices.create({ index });
    await pipeline.search.indices.putSettings({ index: indices, body: { 'index.blocks.write': true } });

    const args = ['--topic', topic, '--group', group, '--index-prefix', prefix];
    const started = Date.now();
    const blocked = await startConsumerProcess(args, db.url).exited;
    const lines = blocked.stderr.trim().split('\n');
    expect(blocked.code).toBe(1);
    expect(lines.at(-1)).toMatch(/^consumer stopped: OpenSearch refused .*HTTP 403.*write-blocked/);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(await pipeline.lag(group, topic)).toBe(truth.sent);

    await pipeline.search.indices.putSettings({ index: indices, body: { 'index.blocks.write': false } });
    const second = startConsumerProcess(args, db.url);
    await waitFor(
      'the restarted consumer to commit every offset',
      async () => (await pipeline.lag(group, topic)) === 0,
    );
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
    await refreshIndices(pipeline.search, prefix);
    expect(await countIndexed(pipeline.search, prefix)).toEqual(truth.byCategory);
  });

  it('waits out real 429s from the node and then indexes every record once', async () => {
    const { topic, truth } = await produce('throttled', 4_000);
    const group = uniqueName('it-search-429-group-');
    // Any _bulk of more than 50 kB now trips the in-flight request breaker: HTTP 429 for real.
    await pipeline.search.cluster.putSettings({
      body: { transient: { 'network.breaker.inflight_requests.limit': '50kb' } },
    });
    const entries: { message: string; fields?: Record<string, unknown> }[] = [];
    // A pipeline of its own, so that the indexer's warnings (with each request's status) are recorded too.
    const logger = recordingLogger(entries);
    const watched = createLocalPipeline({ ...endpoints, mysqlUrl: db.url, indexPrefix: prefix, logger });
    const running = await runConsumer({
      kafka: watched.kafka,
      groupId: group,
      topic,
      logger,
      retryBaseDelayMs: 100,
      process: watched.process,
    });
    const failure = watchFailure(running);
    try {
      const throttled = () =>
        entries.filter((e) => e.message.startsWith('bulk request failed') && e.fields?.status === 429);
      await waitFor('the node to answer 429 a few times', async () => throttled().length >= 5, 60_000);
      // A request under the limit may pass (a partition's first fetch can be a few records), but nothing is
      // committed while an earlier chunk is refused: those records are indexed again under the same ids.
      expect(await indexedTotal(pipeline, prefix)).toBeLessThan(truth.sent);
      expect(await pipeline.lag(group, topic)).toBe(truth.sent);

      await resetBreaker();
      await waitFor('every offset to be committed', async () => (await pipeline.lag(group, topic)) === 0);
    } finally {
      await running.stop();
      await watched.close();
      await resetBreaker();
    }
    expect(failure()).toBeUndefined();
    await refreshIndices(pipeline.search, prefix);
    expect(await countIndexed(pipeline.search, prefix)).toEqual(truth.byCategory);
  });

  it('rides out OpenSearch SIGKILLed mid-stream and restarted, with every record indexed once', async () => {
    const { topic, truth } = await produce('killed', 30_000);
    const group = uniqueName('it-search-kill-group-');
    const entries: { message: string; fields?: Record<string, unknown> }[] = [];
    const running = await runConsumer({
      kafka: pipeline.kafka,
      groupId: group,
      topic,
      chunkSize: 500,
      logger: recordingLogger(entries),
      process: pipeline.process,
    });
    const failure = watchFailure(running);
    try {
      await waitFor(
        'the consumer to index some events',
        async () => (await indexedTotal(pipeline, prefix)) >= 3_000,
      );
      killComponent('opensearch');
      await waitFor(
        'the consumer to retry on the outage',
        async () => entries.some((e) => e.message === 'chunk failed on an outage, retrying'),
        60_000,
      );
      expect(failure()).toBeUndefined();
      expect(await startComponent(opensearch, () => {})).toBe('started');
      await waitFor(
        'every offset to be committed',
        async () => (await pipeline.lag(group, topic)) === 0,
        240_000,
      );
    } finally {
      await running.stop();
    }
    expect(failure()).toBeUndefined();
    await refreshIndices(pipeline.search, prefix);
    expect(await countIndexed(pipeline.search, prefix)).toEqual(truth.byCategory);
    // Not one of the outage's errors was taken for a permanent refusal.
    expect(entries.filter((e) => e.message.startsWith('stopping the consumer'))).toEqual([]);
  });
});
