// Records no rule can classify normally, on the real stack: absurd record timestamps, a fetch of large
// records that would make a _bulk over the node's 10 MiB limit, a single record of 1 MB. Each still
// becomes exactly one document, and the consumer never stops.
import { CompressionTypes } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runConsumer } from '../../core/consumer.js';
import { MAX_RAW_BYTES } from '../../core/documents.js';
import type { BatchSummary } from '../../core/process-batch.js';
import { createIdempotentProducer } from '../../core/producer.js';
import { defaultDeviceFor, ensureUsersSchema, seedUsers } from '../../core/users-schema.js';
import {
  countIndexed,
  createLocalPipeline,
  ensureTopic,
  type LocalPipeline,
  refreshIndices,
} from '../../local/pipeline.js';
import {
  createTestEnvironment,
  disposeTestEnvironment,
  endpoints,
  recordingLogger,
  type TestDatabase,
  uniqueName,
  waitFor,
  watchFailure,
} from './support.js';

interface Stored {
  category: string;
  kafka_time: string | null;
  raw_bytes?: number;
  raw_truncated?: boolean;
  raw?: string;
  reasons: { code: string }[];
  source: { timestamp_ms: number };
}

const event = (n: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    event_id: n.toString(16).padStart(32, 'e'),
    account_id: 1,
    event_type: 'login',
    device: defaultDeviceFor(1),
    location_country: 'SE',
    event_timestamp: 1_763_900_000,
    ...extra,
  });

describe('records that no rule can classify normally', () => {
  let db: TestDatabase;
  let pipeline: LocalPipeline;
  const prefix = uniqueName('it-records-');
  const topics: string[] = [];

  beforeAll(async () => {
    ({ db, pipeline } = await createTestEnvironment(uniqueName('it-records-unused-'), prefix, 'records'));
    await ensureUsersSchema(pipeline.pool);
    await seedUsers(pipeline.pool, { accounts: 10 });
  });

  afterAll(async () => {
    const admin = pipeline.kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
    await disposeTestEnvironment({ topic: topics[0] ?? 'none', prefix, db, pipeline });
  });

  /** Produces `messages` to a new topic and consumes it all with a new group; returns the batch summaries. */
  async function consume(
    label: string,
    messages: { value: string | Buffer; timestamp?: string }[],
    through: LocalPipeline = pipeline,
  ): Promise<BatchSummary[]> {
    const topic = uniqueName(`it-records-${label}-`);
    topics.push(topic);
    await ensureTopic(pipeline.kafka, topic, 1);
    const producer = createIdempotentProducer(pipeline.kafka);
    await producer.connect();
    // gzip: the broker takes far more raw bytes per request than its 1 MB record limit.
    for (let i = 0; i < messages.length; i += 50) {
      await producer.send({
        topic,
        acks: -1,
        compression: CompressionTypes.GZIP,
        messages: messages.slice(i, i + 50),
      });
    }
    await producer.disconnect();
    const group = uniqueName(`it-records-${label}-group-`);
    const summaries: BatchSummary[] = [];
    const entries: { message: string }[] = [];
    const running = await runConsumer({
      kafka: pipeline.kafka,
      groupId: group,
      topic,
      logger: recordingLogger(entries),
      process: through.process,
      onBatch: (summary) => summaries.push(summary),
    });
    const failure = watchFailure(running);
    try {
      await waitFor('every offset to be committed', async () => (await pipeline.lag(group, topic)) === 0);
    } finally {
      await running.stop();
    }
    expect(failure()).toBeUndefined();
    expect(entries.filter((e) => e.message.startsWith('stopping'))).toEqual([]);
    await refreshIndices(pipeline.search, prefix);
    return summaries;
  }

  async function documentsOf(index: string): Promise<Stored[]> {
    const response = await pipeline.search.search({ index, body: { size: 1000, query: { match_all: {} } } });
    return response.body.hits.hits.map((h) => h._source as Stored);
  }

  it('indexes records with no, zero, negative or absurd timestamps once each, in the undated index', async () => {
    const timestamps = ['-1', '0', '-5', '8640000000000000', '9000000000000000'];
    await consume('timestamps', [
      ...timestamps.map((timestamp, i) => ({ value: event(i + 1), timestamp })),
      { value: '{not json', timestamp: '9000000000000000' },
      { value: event(100) },
    ]);
    const undated = await documentsOf(`${prefix}-events-undated`);
    expect(undated).toHaveLength(timestamps.length + 1);
    expect(undated.every((d) => d.kafka_time === null)).toBe(true);
    expect(undated.map((d) => d.source.timestamp_ms).sort((a, b) => a - b)).toEqual(
      [...timestamps, '9000000000000000'].map(Number).sort((a, b) => a - b),
    );
    expect(await countIndexed(pipeline.search, prefix)).toEqual({
      good: timestamps.length + 1,
      suspicious: 0,
      bad: 1,
    });
  });

  it('keeps every _bulk under the limit when one fetch brings 300 records of 100 KB', async () => {
    const before = await countIndexed(pipeline.search, prefix);
    const big = (i: number) => `${i} ${'x'.repeat(100_000)}`; // not JSON: a bad document with raw text
    const summaries = await consume(
      'large',
      Array.from({ length: 300 }, (_, i) => ({ value: big(i) })),
    );
    expect(summaries.reduce((n, s) => n + s.total, 0)).toBe(300);
    const after = await countIndexed(pipeline.search, prefix);
    expect(after.bad - before.bad).toBe(300);
  });

  it('splits the request on a real 413 when configured above what the node accepts', async () => {
    const before = await countIndexed(pipeline.search, prefix);
    const entries: { message: string }[] = [];
    // 64 MiB requests against the node's 10 MiB http.max_content_length (the AWS t3.medium.search limit).
    const oversized = createLocalPipeline({
      ...endpoints,
      mysqlUrl: db.url,
      indexPrefix: prefix,
      logger: recordingLogger(entries),
      bulkMaxBytes: 64 * 1024 * 1024,
    });
    try {
      const big = (i: number) => `${i} ${'y'.repeat(100_000)}`;
      await consume(
        'split',
        Array.from({ length: 300 }, (_, i) => ({ value: big(i) })),
        oversized,
      );
    } finally {
      await oversized.close();
    }
    expect(entries.some((e) => e.message.startsWith('bulk request too large (HTTP 413)'))).toBe(true);
    expect((await countIndexed(pipeline.search, prefix)).bad - before.bad).toBe(300);
  });

  it('keeps a single 1 MB record as one bad document, cut to its first bytes with the original size', async () => {
    const value = Buffer.alloc(1_000_000, 0x7a);
    await consume('oversize', [{ value }, { value: event(7, { padding: 'p'.repeat(900_000) }) }]);
    const docs = await documentsOf(`${prefix}-events-*`);
    const oversize = docs.find((d) => d.raw_bytes === 1_000_000);
    expect(oversize).toMatchObject({ category: 'bad', raw_truncated: true, reasons: [{ code: 'not_json' }] });
    expect(oversize?.raw).toHaveLength(MAX_RAW_BYTES);
    // A valid event with a huge unknown field is still a valid event: its document holds the known fields only.
    expect(docs.filter((d) => d.category === 'good' && d.raw === undefined).length).toBeGreaterThan(0);
  });
});
