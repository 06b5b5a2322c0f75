// Issue 17, part 2, on the real stack: a poison record too large for the dead-letter topic never blocks its
// partition. A 3 MB value, gzip-compressed by its producer (a few KB in a topic at the default 1 MB
// max.message.bytes), and a value at the source topic's limit (too large for the dead-letter topic once the
// dead-letter headers are added) are refused by every index. Through `npm run consume` and through the Lambda
// handler under the event source mapping: the group commits past them, the dead-letter topic holds exactly
// these two (the first whole and compressed, the second cut to the topic's limit with headers saying so,
// whose digest matches the full value), every other record is exactly one document; and a re-drive makes the
// cut one a bad document under the full record's identity that names the cut and the source coordinates.
import { createHash, randomBytes } from 'node:crypto';
import kafkajs, { type KafkaMessage } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEAD_LETTER_HEADERS, kafkaDeadLetter, TRUNCATION_HEADERS } from '../../core/dead-letter.js';
import { recordId } from '../../core/documents.js';
import { processBatch } from '../../core/process-batch.js';
import { createIdempotentProducer } from '../../core/producer.js';
import type { SourceRecord } from '../../core/source-record.js';
import { MysqlUsersSource, UsersLookup } from '../../core/users.js';
import { createMskHandler } from '../../lambdas/msk-consumer.js';
import { MAPPING_ERROR_HANDLING } from '../../lib/lambda-consumer.js';
import { runEventSourceMapping } from '../../local/event-source-mapping.js';
import { countIndexed, prepareIndices, refreshIndices } from '../../local/pipeline.js';
import {
  createTestEnvironment,
  deleteIndices,
  disposeTestEnvironment,
  recordingLogger,
  startConsumerProcess,
  type TestEnvironment,
  uniqueName,
  waitFor,
} from './support.js';

const { CompressionTypes } = kafkajs;

/** Kafka's default max.message.bytes, of the broker and so of every topic without its own. */
const DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;
/** The day of the poison records, whose daily index no bad document fits. */
const POISON_DAY = Date.parse('2026-01-02T10:00:00Z');
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

interface Scenario {
  readonly topic: string;
  readonly deadLetters: string;
  /** The 3 MB compressible poison record and the incompressible one. */
  readonly big: SourceRecord;
  readonly random: SourceRecord;
  /** Every other record. */
  readonly others: SourceRecord[];
}

describe('a poison record too large for the dead-letter topic', () => {
  let env: TestEnvironment;
  const topics: string[] = [];
  const prefixes: string[] = [];

  beforeAll(async () => {
    env = await createTestEnvironment(
      uniqueName('it-dlq-size-unused-'),
      uniqueName('it-dlq-size-'),
      'dlqsize',
    );
  });

  afterAll(async () => {
    const admin = env.pipeline.kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
    for (const p of prefixes) await deleteIndices(env.pipeline.search, p);
    await disposeTestEnvironment(env);
  });

  /**
   * A source topic at the default limit with 10 ordinary records around two poison ones, a dead-letter topic
   * (with `deadLetterConfig`), and an index prefix whose poison day no bad document fits.
   */
  async function scenario(
    label: string,
    randomBytesCount: number,
    deadLetterConfig: Record<string, string> = {},
  ) {
    const topic = uniqueName(`it-dlq-size-${label}-`);
    const deadLetters = `${topic}-dlq`;
    topics.push(topic, deadLetters);
    const prefix = uniqueName(`it-dlq-size-${label}-`);
    prefixes.push(prefix);
    await prepareIndices(env.pipeline.search, prefix);
    await env.pipeline.search.indices.create({
      index: `${prefix}-events-2026.01.02`,
      body: { mappings: { properties: { raw_truncated: { type: 'long' } } } },
    });
    const admin = env.pipeline.kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic, numPartitions: 1, replicationFactor: 1 },
        {
          topic: deadLetters,
          numPartitions: 1,
          replicationFactor: 1,
          configEntries: Object.entries(deadLetterConfig).map(([name, value]) => ({ name, value })),
        },
      ],
    });
    await admin.disconnect();

    const now = Date.now();
    const ordinary = (i: number) => ({ key: `ok-${i}`, value: `not json ${i}`, timestamp: now });
    const big = { key: 'poison-big', value: `poison ${'abc'.repeat(1_000_000)}`, timestamp: POISON_DAY };
    const random = { key: 'poison-random', value: randomBytes(randomBytesCount), timestamp: POISON_DAY };
    const layout = [
      ...[0, 1, 2, 3].map(ordinary),
      big,
      ...[4, 5, 6].map(ordinary),
      random,
      ...[7, 8, 9].map(ordinary),
    ];
    const producer = createIdempotentProducer(env.pipeline.kafka);
    await producer.connect();
    for (const m of layout) {
      await producer.send({
        topic,
        acks: -1,
        // The random record goes uncompressed: gzip would make it larger than the topic accepts.
        compression: m === random ? CompressionTypes.None : CompressionTypes.GZIP,
        messages: [{ key: m.key, value: m.value, timestamp: String(m.timestamp) }],
      });
    }
    await producer.disconnect();
    const records = layout.map(
      (m, offset): SourceRecord => ({
        topic,
        partition: 0,
        offset: String(offset),
        timestampMs: m.timestamp,
        key: Buffer.from(m.key),
        value: Buffer.from(m.value),
      }),
    );
    const scenario: Scenario = {
      topic,
      deadLetters,
      big: records[4],
      random: records[8],
      others: records.filter((_, i) => i !== 4 && i !== 8),
    };
    return { scenario, prefix };
  }

  /** What every path must give: the two poison records dead-lettered as they fit, every other one indexed once. */
  async function assessDeadLetters(s: Scenario, prefix: string, limit: number) {
    await refreshIndices(env.pipeline.search, prefix);
    expect(await countIndexed(env.pipeline.search, prefix)).toEqual({ good: 0, suspicious: 0, bad: 10 });
    const { body } = await env.pipeline.search.search({
      index: `${prefix}-events-*`,
      body: { size: 100, _source: false },
    });
    expect(body.hits.hits.map((h) => h._id).sort()).toEqual(s.others.map(recordId).sort());

    const dead = await readAll(s.deadLetters);
    expect(dead).toHaveLength(2);
    const [big, random] = dead;
    const header = (m: KafkaMessage, name: string) => m.headers?.[name]?.toString();
    for (const [message, source] of [
      [big, s.big],
      [random, s.random],
    ] as const) {
      expect(header(message, DEAD_LETTER_HEADERS.topic)).toBe(s.topic);
      expect(header(message, DEAD_LETTER_HEADERS.partition)).toBe('0');
      expect(header(message, DEAD_LETTER_HEADERS.offset)).toBe(source.offset);
      expect(header(message, DEAD_LETTER_HEADERS.timestamp)).toBe(String(POISON_DAY));
      expect(header(message, DEAD_LETTER_HEADERS.error)).toMatch(/raw_truncated|mapper/);
      expect(message.key?.toString()).toBe(Buffer.from(source.key as Uint8Array).toString());
    }
    // The 3 MB record went whole: compressed, it fits.
    expect(sha256(big.value as Buffer)).toBe(sha256(s.big.value as Uint8Array));
    expect(header(big, TRUNCATION_HEADERS.truncated)).toBeUndefined();
    // The incompressible one was cut to the topic's limit, and says so.
    const full = s.random.value as Uint8Array;
    const kept = random.value as Buffer;
    expect(kept.byteLength).toBeLessThanOrEqual(limit);
    expect(kept.byteLength).toBeLessThan(full.byteLength);
    expect(Buffer.compare(kept, Buffer.from(full).subarray(0, kept.byteLength))).toBe(0);
    expect(header(random, TRUNCATION_HEADERS.truncated)).toBe('value');
    expect(header(random, TRUNCATION_HEADERS.originalBytes)).toBe(String(full.byteLength));
    expect(header(random, TRUNCATION_HEADERS.valueSha256)).toBe(sha256(full));
    expect(header(random, TRUNCATION_HEADERS.recordId)).toBe(recordId(s.random));
    expect(header(random, TRUNCATION_HEADERS.reason)).toMatch(
      new RegExp(
        `^cut to ${kept.byteLength} of ${full.byteLength} value bytes: .* max.message.bytes ${limit} `,
      ),
    );
  }

  /** Every message of a topic, up to its end offset. */
  async function readAll(name: string): Promise<KafkaMessage[]> {
    const admin = env.pipeline.kafka.admin();
    await admin.connect();
    const { high } = (await admin.fetchTopicOffsets(name))[0];
    await admin.disconnect();
    const messages: KafkaMessage[] = [];
    const consumer = env.pipeline.kafka.consumer({ groupId: uniqueName('it-dlq-size-reader-') });
    await consumer.connect();
    await consumer.subscribe({ topics: [name], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        messages.push(message);
      },
    });
    try {
      await waitFor(`the ${high} records of ${name}`, async () => messages.length >= Number(high), 60_000);
    } finally {
      await consumer.disconnect();
    }
    return messages;
  }

  async function consume(args: string[]) {
    const { code, stderr } = await startConsumerProcess(
      ['--until-caught-up', '--startup-timeout', '60s', ...args],
      env.db.url,
    ).exited;
    expect(code, stderr).toBe(0);
    return stderr;
  }

  it('npm run consume: both topics at the default 1 MB, the consumer commits past both poison records', async () => {
    // At the source topic's limit: the dead-letter headers make it larger than the dead-letter topic takes.
    const { scenario: s, prefix } = await scenario('consume', DEFAULT_MAX_MESSAGE_BYTES - 600);
    const group = uniqueName('it-dlq-size-group-');
    await consume([
      '--topic',
      s.topic,
      '--group',
      group,
      '--index-prefix',
      prefix,
      '--dead-letter-topic',
      s.deadLetters,
    ]);
    expect(await env.pipeline.lag(group, s.topic)).toBe(0);
    await assessDeadLetters(s, prefix, DEFAULT_MAX_MESSAGE_BYTES);

    // The fix (the broken index dropped), then the re-drive: the whole record is a bad document as usual, the
    // cut one a bad document under the full record's identity saying where the full record is.
    await env.pipeline.search.indices.delete({ index: `${prefix}-events-2026.01.02` });
    const stderr = await consume([
      '--topic',
      s.deadLetters,
      '--group',
      uniqueName('it-dlq-size-redrive-'),
      '--index-prefix',
      prefix,
      '--redrive',
    ]);
    expect(stderr).toMatch(/caught up: 2 records \(good 0, suspicious 0, bad 2\)/);
    await refreshIndices(env.pipeline.search, prefix);
    expect(await countIndexed(env.pipeline.search, prefix)).toEqual({ good: 0, suspicious: 0, bad: 12 });
    const doc = async (record: SourceRecord) =>
      (await env.pipeline.search.get({ index: `${prefix}-events-2026.01.02`, id: recordId(record) })).body
        ._source as Record<string, unknown>;
    expect(await doc(s.big)).toMatchObject({ category: 'bad', raw_bytes: 3_000_007, raw_truncated: true });
    const cut = await doc(s.random);
    const full = s.random.value as Uint8Array;
    expect(cut).toMatchObject({
      category: 'bad',
      raw_bytes: full.byteLength,
      raw_truncated: true,
      source: { topic: s.topic, partition: 0, offset: '8' },
    });
    expect(cut.reasons).toEqual([
      {
        code: 'truncated_dead_letter',
        message: expect.stringMatching(
          new RegExp(
            `of the record's ${full.byteLength} value bytes \\(sha256 ${sha256(full)}\\): the full record is at ${s.topic}/0/8$`,
          ),
        ),
      },
    ]);
  });

  it('the Lambda handler: a dead-letter topic whose limit is read from the broker, not assumed', async () => {
    const limit = 256 * 1024;
    const { scenario: s, prefix } = await scenario('lambda', 600_000, { 'max.message.bytes': String(limit) });
    const { pipeline } = env;
    const handler = createMskHandler({
      deps: () => ({
        users: new UsersLookup(new MysqlUsersSource(pipeline.pool)),
        indexer: pipeline.indexer,
        indexPrefix: prefix,
      }),
      process: processBatch,
      deadLetter: () => kafkaDeadLetter(pipeline.kafka, s.deadLetters).sink,
      logger: recordingLogger([]),
      reserveMs: 5_000,
    });
    const group = uniqueName('it-dlq-size-lambda-');
    const mapping = await runEventSourceMapping({
      kafka: pipeline.kafka,
      topic: s.topic,
      groupId: group,
      handler,
      errorHandling: MAPPING_ERROR_HANDLING,
      batchSize: 100,
      functionTimeoutMs: 60_000,
      retryDelayMs: 500,
    });
    try {
      await waitFor(
        'every offset to be committed',
        async () => (await pipeline.lag(group, s.topic)) === 0,
        120_000,
      );
    } finally {
      await mapping.stop();
    }
    expect(mapping.stats).toMatchObject({ failedInvocations: 0, discardedRecords: 0 });
    await assessDeadLetters(s, prefix, limit);
  });

  it('stops with one line saying what to fix when the dead-letter topic refuses even the cut record', async () => {
    // A topic whose segments are smaller than its max.message.bytes: the broker refuses the batch cut to that
    // limit with RECORD_LIST_TOO_LARGE, a configuration only an operator can fix.
    const { scenario: s, prefix } = await scenario('refused', 600_000, { 'segment.bytes': '102400' });
    const group = uniqueName('it-dlq-size-refused-');
    const { code, stderr } = await startConsumerProcess(
      ['--topic', s.topic, '--group', group, '--index-prefix', prefix, '--dead-letter-topic', s.deadLetters],
      env.db.url,
    ).exited;
    expect(code, stderr).toBe(1);
    expect(stderr.trim().split('\n').at(-1)).toBe(
      `consumer stopped: the dead-letter topic ${s.deadLetters} refused a record batch sized to its max.message.bytes ` +
        `(${DEFAULT_MAX_MESSAGE_BYTES}, per the broker) with RECORD_LIST_TOO_LARGE: give the topic a segment.bytes no ` +
        "smaller than its max.message.bytes and check the brokers' limits, then restart the consumer",
    );
    // Nothing is committed past the refused record.
    expect(await env.pipeline.lag(group, s.topic)).toBeGreaterThanOrEqual(4);
  });
});
