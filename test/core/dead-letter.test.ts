// The dead-letter sink against a scripted Kafka client: a failed send is an outage retried with a new
// producer, a permanent refusal is not; every produce request's record batch (encoded as kafkajs encodes it)
// stays under the topic's max.message.bytes, read from the broker, by compressing, batching and, as a last
// resort, cutting a record with headers saying so; and a re-driven record gets back the identity of its
// original, a cut one as a bad document that names the cut and where the full record is.
import { createHash, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import {
  CompressionTypes,
  ConfigResourceTypes,
  type Kafka,
  KafkaJSConnectionError,
  KafkaJSNonRetriableError,
  KafkaJSProtocolError,
  type KafkaMessage,
  type Message,
} from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { classify, decodeAll } from '../../core/classify.js';
import { isRetriable } from '../../core/consumer.js';
import {
  DEAD_LETTER_HEADERS,
  DeadLetterRefusedError,
  DeadLetterUnavailableError,
  deadLetteredRecord,
  gzipBound,
  isTooLarge,
  kafkaDeadLetter,
  planDeadLetters,
  readMaxMessageBytes,
  TRUNCATION_HEADERS,
} from '../../core/dead-letter.js';
import { recordId } from '../../core/documents.js';
import { ProducerBrokenError, ProducerConnectError } from '../../core/producer.js';
import type { SourceRecord } from '../../core/source-record.js';

const record: SourceRecord = {
  topic: 'server-logs',
  partition: 4,
  offset: '1234',
  timestampMs: Date.parse('2026-11-30T08:00:00Z'),
  key: Buffer.from('42'),
  value: Buffer.from('{"broken'),
};

/** Kafka's default max.message.bytes (1 MiB plus the batch's log overhead). */
const ONE_MB = 1_048_588;

const tooLarge = () =>
  new KafkaJSProtocolError({
    message: 'The request included a message larger than the max message size the server will accept',
    type: 'MESSAGE_TOO_LARGE',
    code: 10,
    retriable: false,
  } as never);

/** What kafkajs' retrier throws: the broker's error wrapped, and kept as the cause. */
const wrappedTooLarge = () => {
  const cause = tooLarge();
  return new (KafkaJSNonRetriableError as unknown as new (e: Error, o: { cause: Error }) => Error)(cause, {
    cause,
  });
};

interface SentRequest {
  readonly messages: Message[];
  readonly compression?: number;
}

/**
 * A Kafka client whose producers fail their sends with the scripted errors, in order, then succeed; its admin
 * answers describeConfigs with the next of `limits` (the last one repeats).
 */
function scriptedKafka(failures: Error[], limits: number[] = [ONE_MB]) {
  const sent: Message[][] = [];
  const requests: SentRequest[] = [];
  let producers = 0;
  let describes = 0;
  const kafka = {
    producer: () => {
      producers++;
      return {
        connect: async () => {},
        disconnect: async () => {},
        send: async (request: SentRequest) => {
          const failure = failures.shift();
          if (failure) throw failure;
          sent.push(request.messages);
          requests.push(request);
          return [];
        },
        sendBatch: async () => [],
      };
    },
    admin: () => ({
      connect: async () => {},
      disconnect: async () => {},
      describeConfigs: async () => {
        const limit = limits[Math.min(describes, limits.length - 1)];
        describes++;
        return {
          resources: [{ configEntries: [{ configName: 'max.message.bytes', configValue: String(limit) }] }],
        };
      },
    }),
  };
  return {
    kafka: kafka as unknown as Kafka,
    sent,
    requests,
    producers: () => producers,
    describes: () => describes,
  };
}

// The record batch of a produce request as kafkajs encodes it (offset and length included, as the broker
// counts it against max.message.bytes).
const require = createRequire(import.meta.url);
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js');
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js');
async function encodedBatchBytes(messages: Message[]): Promise<number> {
  const records = messages.map((m, i) => Record({ ...m, offsetDelta: i, timestampDelta: 0 }));
  const batch = await RecordBatch({
    compression: CompressionTypes.GZIP,
    records,
    lastOffsetDelta: records.length - 1,
  });
  return batch.size();
}

function recordOf(value: Buffer, offset = '7', key: Buffer | null = Buffer.from('k')): SourceRecord {
  return {
    topic: 'server-logs',
    partition: 2,
    offset,
    timestampMs: Date.parse('2026-01-02T10:00:00Z'),
    key,
    value,
  };
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
const header = (m: Message, name: string) => {
  const value = (m.headers as Record<string, string | Buffer> | undefined)?.[name];
  return value === undefined ? undefined : String(value);
};

/** A message as a consumer of the dead-letter topic reads it. */
function asRead(message: Message, offset = '0'): KafkaMessage {
  const headers: Record<string, Buffer> = {};
  for (const [name, value] of Object.entries(message.headers ?? {}))
    headers[name] = Buffer.from(String(value));
  return {
    key: (message.key as Buffer | null) ?? null,
    value: (message.value as Buffer | null) ?? null,
    headers,
    offset,
    timestamp: String(Date.now()),
    attributes: 0,
    size: 0,
  } as unknown as KafkaMessage;
}

describe('kafkaDeadLetter', () => {
  it('sends the exact key and value with the source coordinates as headers', async () => {
    const { kafka, sent } = scriptedKafka([]);
    const deadLetter = kafkaDeadLetter(kafka, 'server-logs-dlq');
    await deadLetter.sink([record], new Error('mapper_parsing_exception'));
    expect(sent[0][0]).toMatchObject({
      key: Buffer.from('42'),
      value: Buffer.from('{"broken'),
      headers: {
        [DEAD_LETTER_HEADERS.topic]: 'server-logs',
        [DEAD_LETTER_HEADERS.partition]: '4',
        [DEAD_LETTER_HEADERS.offset]: '1234',
        [DEAD_LETTER_HEADERS.timestamp]: String(record.timestampMs),
        [DEAD_LETTER_HEADERS.error]: 'mapper_parsing_exception',
      },
    });
  });

  // acks=1 would count a dead letter as written once the leader has it: a leader lost then loses the only
  // copy of a record the consumer has already committed past.
  it('waits for every in-sync replica before taking a dead letter as written', async () => {
    const { kafka, requests } = scriptedKafka([]);
    await kafkaDeadLetter(kafka, 'server-logs-dlq').sink([record], new Error('x'));
    expect(requests.map((r) => (r as { acks?: number }).acks)).toEqual([-1]);
  });

  it('dead-letters a record without key or value as such, and keeps the reason header short', async () => {
    const { kafka, sent } = scriptedKafka([]);
    const tombstone = { ...record, key: null, value: null };
    await kafkaDeadLetter(kafka, 'server-logs-dlq').sink([tombstone], new Error('e'.repeat(5_000)));
    expect(sent[0][0]).toMatchObject({ key: null, value: null });
    expect(header(sent[0][0], DEAD_LETTER_HEADERS.error)).toBe('e'.repeat(1_000));
    const rebuilt = deadLetteredRecord('server-logs-dlq', 0, asRead(sent[0][0]));
    expect(rebuilt).toEqual(tombstone);
  });

  it('disconnects its producer on close, and makes a new one when used again', async () => {
    const disconnects: number[] = [];
    const { kafka, producers } = scriptedKafka([]);
    const made = kafka.producer;
    (kafka as { producer: unknown }).producer = () => {
      const producer = made.call(kafka);
      const index = producers();
      return { ...producer, disconnect: async () => void disconnects.push(index) };
    };
    const deadLetter = kafkaDeadLetter(kafka, 'server-logs-dlq');
    await deadLetter.close(); // nothing made yet
    await deadLetter.sink([record], new Error('x'));
    await deadLetter.close();
    expect(disconnects).toEqual([1]);
    await deadLetter.sink([record], new Error('x'));
    expect(producers()).toBe(2);
  });

  it('takes a failed send for an outage, and sends the retry through a new producer', async () => {
    const { kafka, sent, producers } = scriptedKafka([
      new KafkaJSConnectionError('Connection error: ECONNREFUSED'),
    ]);
    const deadLetter = kafkaDeadLetter(kafka, 'server-logs-dlq');
    const failure = await deadLetter.sink([record], new Error('x')).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(DeadLetterUnavailableError);
    expect(isRetriable(failure)).toBe(true);
    await deadLetter.sink([record], new Error('x'));
    expect(producers()).toBe(2);
    expect(sent).toHaveLength(1);
  });

  it('lets a permanent refusal through, so that the consumer stops', async () => {
    const denied = new KafkaJSProtocolError({
      message: 'Not authorized to access topics',
      type: 'TOPIC_AUTHORIZATION_FAILED',
      code: 29,
      retriable: false,
    } as never);
    const { kafka } = scriptedKafka([denied]);
    const failure = await kafkaDeadLetter(kafka, 'server-logs-dlq')
      .sink([record], new Error('x'))
      .catch((e: unknown) => e);
    expect(failure).toBe(denied);
    expect(isRetriable(failure)).toBe(false);
  });
});

describe('kafkaDeadLetter sizing', () => {
  it('compresses with gzip and reads the limit once per sink', async () => {
    const { kafka, requests, describes } = scriptedKafka([]);
    const deadLetter = kafkaDeadLetter(kafka, 'server-logs-dlq');
    await deadLetter.sink([record], new Error('x'));
    await deadLetter.sink([record], new Error('y'));
    expect(requests.map((r) => r.compression)).toEqual([CompressionTypes.GZIP, CompressionTypes.GZIP]);
    expect(describes()).toBe(1);
  });

  it('sends a 3 MB compressible value whole to a 1 MB topic, in a batch under the limit', async () => {
    const value = Buffer.from(`{"payload":"${'abc'.repeat(1_000_000)}"}`);
    const { kafka, sent } = scriptedKafka([]);
    await kafkaDeadLetter(kafka, 'dlq').sink([recordOf(value)], new Error('refused'));
    expect(sent).toHaveLength(1);
    expect(Buffer.compare(sent[0][0].value as Buffer, value)).toBe(0);
    expect(header(sent[0][0], TRUNCATION_HEADERS.truncated)).toBeUndefined();
    expect(await encodedBatchBytes(sent[0])).toBeLessThanOrEqual(ONE_MB);
  });

  it('cuts an incompressible value that does not fit, with headers naming its size, digest and identity', async () => {
    const value = randomBytes(3_000_000);
    const source = recordOf(value);
    const { kafka, sent } = scriptedKafka([]);
    await kafkaDeadLetter(kafka, 'dlq').sink([source], new Error('mapper_parsing_exception'));
    const [message] = sent[0];
    const kept = message.value as Buffer;
    expect(kept.byteLength).toBeGreaterThan(ONE_MB - 8 * 1024);
    expect(Buffer.compare(kept, value.subarray(0, kept.byteLength))).toBe(0);
    expect(await encodedBatchBytes(sent[0])).toBeLessThanOrEqual(ONE_MB);
    expect(header(message, TRUNCATION_HEADERS.truncated)).toBe('value');
    expect(header(message, TRUNCATION_HEADERS.originalBytes)).toBe('3000000');
    expect(header(message, TRUNCATION_HEADERS.valueSha256)).toBe(sha256(value));
    expect(header(message, TRUNCATION_HEADERS.recordId)).toBe(recordId(source));
    expect(header(message, TRUNCATION_HEADERS.reason)).toBe(
      `cut to ${kept.byteLength} of 3000000 value bytes: the record exceeds max.message.bytes ${ONE_MB} of dlq even compressed`,
    );
    expect(header(message, DEAD_LETTER_HEADERS.offset)).toBe('7');
    expect(header(message, DEAD_LETTER_HEADERS.error)).toBe('mapper_parsing_exception');
    expect(Buffer.compare(message.key as Buffer, Buffer.from('k'))).toBe(0);
  });

  it('uses the limit the broker reports, not 1 MB', async () => {
    const { kafka, sent } = scriptedKafka([], [64 * 1024]);
    await kafkaDeadLetter(kafka, 'dlq').sink([recordOf(randomBytes(200_000))], new Error('x'));
    expect((sent[0][0].value as Buffer).byteLength).toBeLessThan(64 * 1024);
    expect(await encodedBatchBytes(sent[0])).toBeLessThanOrEqual(64 * 1024);
  });

  it('cuts the key too when even the key does not fit', async () => {
    const key = randomBytes(100_000);
    const [[message]] = planDeadLetters([recordOf(randomBytes(10), '1', key)], new Error('x'), {
      topic: 'dlq',
      maxMessageBytes: 64 * 1024,
    });
    expect(header(message, TRUNCATION_HEADERS.truncated)).toBe('key,value');
    expect(header(message, TRUNCATION_HEADERS.originalKeyBytes)).toBe('100000');
    expect(header(message, TRUNCATION_HEADERS.reason)).toMatch(
      /^cut to 0 of 10 value bytes and \d+ of 100000 key bytes: /,
    );
    expect((message.value as Buffer).byteLength).toBe(0);
    expect(await encodedBatchBytes([message])).toBeLessThanOrEqual(64 * 1024);
  });

  it('splits the records of one send into requests that each stay under the limit, in order', async () => {
    const records = Array.from({ length: 10 }, (_, i) => recordOf(randomBytes(300_000), String(i)));
    const batches = planDeadLetters(records, new Error('x'), { topic: 'dlq', maxMessageBytes: ONE_MB });
    expect(batches.length).toBeGreaterThanOrEqual(4);
    expect(batches.flat().map((m) => header(m, DEAD_LETTER_HEADERS.offset))).toEqual(
      records.map((r) => r.offset),
    );
    for (const batch of batches) expect(await encodedBatchBytes(batch)).toBeLessThanOrEqual(ONE_MB);
    expect(batches.flat().every((m) => header(m, TRUNCATION_HEADERS.truncated) === undefined)).toBe(true);
  });

  it('keeps small records together in one request', () => {
    const records = Array.from({ length: 50 }, (_, i) => recordOf(Buffer.from(`bad ${i}`), String(i)));
    expect(planDeadLetters(records, new Error('x'), { topic: 'dlq', maxMessageBytes: ONE_MB })).toHaveLength(
      1,
    );
  });

  it('trusts only the worst case when told to, cutting even a compressible value', () => {
    const value = Buffer.alloc(3_000_000, 'a');
    const options = { topic: 'dlq', maxMessageBytes: ONE_MB };
    const [[measured]] = planDeadLetters([recordOf(value)], new Error('x'), options);
    const [[worst]] = planDeadLetters([recordOf(value)], new Error('x'), { ...options, worstCaseOnly: true });
    expect(header(measured, TRUNCATION_HEADERS.truncated)).toBeUndefined();
    expect(header(worst, TRUNCATION_HEADERS.truncated)).toBe('value');
  });

  it('fails permanently, naming the fix, when the limit is too small even for the headers', () => {
    const plan = () =>
      planDeadLetters([recordOf(randomBytes(5_000))], new Error('x'), {
        topic: 'dlq',
        maxMessageBytes: 1_000,
      });
    expect(plan).toThrow(DeadLetterRefusedError);
    expect(plan).toThrow(/raise its max.message.bytes to at least 65536/);
  });

  it('re-reads the limit after a too-large refusal and sends the rest cut to it, never twice', async () => {
    // Compressible, three to a request: after the refusal only the worst case counts, so the rest is cut.
    const records = Array.from({ length: 5 }, (_, i) => recordOf(Buffer.alloc(300_000, 0x61 + i), String(i)));
    // The broker takes the first request, then refuses: its limit was lowered to 256 KiB meanwhile.
    const { kafka, sent, describes, producers } = scriptedKafka([], [ONE_MB, 256 * 1024]);
    const failures = [undefined, wrappedTooLarge()];
    const deadLetter = kafkaDeadLetter(kafka, 'dlq');
    const original = kafka.producer;
    (kafka as { producer: typeof original }).producer = (...args) => {
      const made = original(...args);
      const send = made.send;
      made.send = async (request) => {
        const failure = failures.shift();
        if (failure) throw failure;
        return send(request);
      };
      return made;
    };
    await deadLetter.sink(records, new Error('x'));
    expect(describes()).toBe(2);
    expect(producers()).toBe(2);
    const offsets = sent.flat().map((m) => header(m, DEAD_LETTER_HEADERS.offset));
    expect(offsets).toEqual(['0', '1', '2', '3', '4']); // each record once, in order
    const afterRefusal = sent.slice(1).flat();
    expect(afterRefusal.every((m) => header(m, TRUNCATION_HEADERS.truncated) === 'value')).toBe(true);
    // Cut to what fits 256 KiB, not to nothing.
    expect(afterRefusal.every((m) => (m.value as Buffer).byteLength > 200_000)).toBe(true);
    for (const batch of sent.slice(1)) expect(await encodedBatchBytes(batch)).toBeLessThanOrEqual(256 * 1024);
  });

  it('stops with one line saying what to fix when the broker still refuses after the cut', async () => {
    const { kafka, describes } = scriptedKafka([tooLarge(), wrappedTooLarge()]);
    const failure = await kafkaDeadLetter(kafka, 'dlq')
      .sink([record], new Error('x'))
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(DeadLetterRefusedError);
    expect(isRetriable(failure)).toBe(false);
    expect((failure as Error).message).toBe(
      `the dead-letter topic dlq refused a record batch sized to its max.message.bytes (${ONE_MB}, per the broker) with MESSAGE_TOO_LARGE: give the topic a segment.bytes no smaller than its max.message.bytes and check the brokers' limits, then restart the consumer`,
    );
    expect(describes()).toBe(2);
    expect(isTooLarge((failure as Error).cause)).toBe(true);
  });
});

describe('kafkaDeadLetter outages and plans', () => {
  it.each([
    ['a producer broken by an earlier send', () => new ProducerBrokenError('broken')],
    ['a producer that cannot connect', () => new ProducerConnectError('cannot connect')],
  ])('takes %s for an outage, retried with the chunk', async (_, make) => {
    const cause = make();
    const { kafka } = scriptedKafka([cause]);
    const failure = await kafkaDeadLetter(kafka, 'dlq')
      .sink([record], new Error('x'))
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(DeadLetterUnavailableError);
    expect(isRetriable(failure)).toBe(true);
    expect((failure as Error).cause).toBe(cause);
  });

  it('reads the limit again on the next send when reading it failed', async () => {
    let reads = 0;
    const { kafka, sent } = scriptedKafka([]);
    const deadLetter = kafkaDeadLetter(kafka, 'dlq', {
      maxMessageBytes: async () => {
        if (++reads === 1) throw new DeadLetterUnavailableError('broker down');
        return ONE_MB;
      },
    });
    await expect(deadLetter.sink([record], new Error('x'))).rejects.toBeInstanceOf(
      DeadLetterUnavailableError,
    );
    await deadLetter.sink([record], new Error('x'));
    expect(reads).toBe(2);
    expect(sent).toHaveLength(1);
  });

  it('disconnects a producer whose send failed', async () => {
    const disconnects: number[] = [];
    const { kafka, producers } = scriptedKafka([new KafkaJSConnectionError('down')]);
    const made = kafka.producer;
    (kafka as { producer: unknown }).producer = () => {
      const producer = made.call(kafka);
      const index = producers();
      return { ...producer, disconnect: async () => void disconnects.push(index) };
    };
    await kafkaDeadLetter(kafka, 'dlq')
      .sink([record], new Error('x'))
      .catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(disconnects).toEqual([1]);
  });

  it('plans no request for no records, and never an empty one', () => {
    expect(planDeadLetters([], new Error('x'), { topic: 'dlq', maxMessageBytes: ONE_MB })).toEqual([]);
    const records = Array.from({ length: 6 }, (_, i) => recordOf(randomBytes(300_000), String(i)));
    const plan = planDeadLetters(records, new Error('x'), { topic: 'dlq', maxMessageBytes: ONE_MB });
    expect(plan.length).toBeGreaterThan(1);
    expect(plan.every((batch) => batch.length > 0)).toBe(true);
    expect(plan.flat().map((m) => header(m, DEAD_LETTER_HEADERS.offset))).toEqual([
      '0',
      '1',
      '2',
      '3',
      '4',
      '5',
    ]);
  });

  // Sized so that the value alone fits the limit in the worst case and the key and headers tip it over.
  it('counts the key and the headers of a dead letter against the limit', async () => {
    const limit = 64 * 1024;
    const source = recordOf(randomBytes(63_000), '9', randomBytes(1_000));
    const reason = new Error(randomBytes(500).toString('hex'));
    const [[message]] = planDeadLetters([source], reason, { topic: 'dlq', maxMessageBytes: limit });
    expect(header(message, TRUNCATION_HEADERS.truncated)).toBe('value');
    expect(await encodedBatchBytes([message])).toBeLessThanOrEqual(limit);
  });

  it('sends whole an incompressible record whose worst case fits, without cutting it', async () => {
    const limit = 64 * 1024;
    const source = recordOf(randomBytes(limit - 1_200), '3');
    const [[message]] = planDeadLetters([source], new Error('x'), { topic: 'dlq', maxMessageBytes: limit });
    expect(header(message, TRUNCATION_HEADERS.truncated)).toBeUndefined();
    expect(message.value).toEqual(source.value);
    expect(await encodedBatchBytes([message])).toBeLessThanOrEqual(limit);
  });

  it('cuts a record without key, saying only the value was cut', () => {
    const [[message]] = planDeadLetters([recordOf(randomBytes(200_000), '1', null)], new Error('x'), {
      topic: 'dlq',
      maxMessageBytes: 64 * 1024,
    });
    expect(message.key).toBeNull();
    expect(header(message, TRUNCATION_HEADERS.truncated)).toBe('value');
    expect(header(message, TRUNCATION_HEADERS.reason)).not.toContain('key bytes');
    expect((message.value as Buffer).byteLength).toBeGreaterThan(60_000);
  });
});

describe('gzipBound', () => {
  it("is zlib's deflateBound plus the gzip wrapper", () => {
    // deflateBound(n) = n + (n >> 12) + (n >> 14) + (n >> 25) + 13 (zlib's compressBound), gzip adds 18 bytes.
    for (const n of [0, 1, 4_096, 1_000_000, 2 ** 26])
      expect(gzipBound(n)).toBe(
        n + Math.floor(n / 4_096) + Math.floor(n / 16_384) + Math.floor(n / 2 ** 25) + 31,
      );
  });

  it('is never below what gzip makes of incompressible data', () => {
    for (const n of [0, 1, 100, 70_000])
      expect(gzipSync(randomBytes(n)).byteLength).toBeLessThanOrEqual(gzipBound(n));
  });
});

describe('isTooLarge', () => {
  it('gives up following a cause chain that loops, instead of hanging', () => {
    const a = new Error('a');
    (a as { cause?: unknown }).cause = new Error('b', { cause: a });
    expect(isTooLarge(a)).toBe(false);
  });

  it('finds the broker refusal anywhere in the cause chain, by type and not by name', () => {
    expect(isTooLarge(tooLarge())).toBe(true);
    expect(isTooLarge(wrappedTooLarge())).toBe(true);
    const listTooLarge = new KafkaJSProtocolError({ type: 'RECORD_LIST_TOO_LARGE', code: 18 } as never);
    expect(isTooLarge(new Error('wrapped', { cause: listTooLarge }))).toBe(true);
    const lookalike = Object.assign(new Error('MESSAGE_TOO_LARGE'), { name: 'KafkaJSProtocolError' });
    expect(isTooLarge(lookalike)).toBe(false);
    expect(isTooLarge(new KafkaJSConnectionError('down'))).toBe(false);
  });
});

describe('readMaxMessageBytes', () => {
  const failingAdmin = (error: Error) =>
    ({
      admin: () => ({
        connect: async () => {},
        disconnect: async () => {},
        describeConfigs: async () => {
          throw error;
        },
      }),
    }) as unknown as Kafka;

  /** An admin answering describeConfigs like a broker: the entries asked for, of the topics asked for. */
  function brokerAdmin(configs: Record<string, Record<string, string>>) {
    const calls = { disconnects: 0 };
    const kafka = {
      admin: () => ({
        connect: async () => {},
        disconnect: async () => {
          calls.disconnects++;
        },
        describeConfigs: async ({
          resources,
        }: {
          resources: { type: number; name: string; configNames?: string[] }[];
        }) => ({
          resources: resources
            .filter((r) => r.type === ConfigResourceTypes.TOPIC && configs[r.name] !== undefined)
            .map((r) => ({
              resourceName: r.name,
              configEntries: Object.entries(configs[r.name])
                .filter(([name]) => r.configNames === undefined || r.configNames.includes(name))
                .map(([configName, configValue]) => ({ configName, configValue })),
            })),
        }),
      }),
    } as unknown as Kafka;
    return { kafka, calls };
  }

  it("reads the named topic's max.message.bytes among its other settings, and disconnects", async () => {
    const { kafka, calls } = brokerAdmin({
      other: { 'max.message.bytes': '1' },
      dlq: { 'cleanup.policy': 'delete', 'max.message.bytes': '262144', 'segment.bytes': '1073741824' },
    });
    expect(await readMaxMessageBytes(kafka, 'dlq')).toBe(262_144);
    expect(calls.disconnects).toBe(1);
  });

  it.each(['0', '-5', 'abc', undefined])('refuses an unusable limit (%j) for good', async (value) => {
    const { kafka, calls } = brokerAdmin(
      value === undefined ? {} : { dlq: { 'max.message.bytes': value, 'segment.bytes': '1073741824' } },
    );
    const failure = await readMaxMessageBytes(kafka, 'dlq').catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(DeadLetterRefusedError);
    expect(isRetriable(failure)).toBe(false);
    expect(calls.disconnects).toBe(1);
  });

  it('reads the effective value the broker reports', async () => {
    expect(await readMaxMessageBytes(scriptedKafka([], [262_144]).kafka, 'dlq')).toBe(262_144);
  });

  it('takes an unreachable broker for an outage', async () => {
    const failure = await readMaxMessageBytes(failingAdmin(new KafkaJSConnectionError('down')), 'dlq').catch(
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(DeadLetterUnavailableError);
    expect((failure as Error).cause).toBeInstanceOf(KafkaJSConnectionError);
  });

  it('takes a refusal for a permanent error naming the permission', async () => {
    const denied = new KafkaJSProtocolError({
      message: 'Topic authorization failed',
      type: 'TOPIC_AUTHORIZATION_FAILED',
      code: 29,
      retriable: false,
    } as never);
    const failure = await readMaxMessageBytes(failingAdmin(denied), 'dlq').catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(DeadLetterRefusedError);
    expect((failure as Error).message).toMatch(/DescribeTopicDynamicConfiguration/);
    expect((failure as Error).cause).toBe(denied);
  });
});

describe('deadLetteredRecord', () => {
  it('rebuilds the original record from the headers, with its identity', async () => {
    const { kafka, sent } = scriptedKafka([]);
    await kafkaDeadLetter(kafka, 'dlq').sink([record], new Error('x'));
    const message = sent[0][0];
    const rebuilt = deadLetteredRecord('dlq', 0, {
      key: message.key as Buffer,
      value: message.value as Buffer,
      headers: message.headers,
      offset: '7',
      timestamp: String(Date.now()),
      attributes: 0,
      size: 0,
    } as KafkaMessage);
    expect(rebuilt).toEqual({ ...record });
    expect(recordId(rebuilt)).toBe(recordId(record));
  });

  it('treats a message without the headers as a record of the topic it is in', () => {
    const rebuilt = deadLetteredRecord('dlq', 1, {
      key: null,
      value: Buffer.from('v'),
      offset: '3',
      timestamp: '1000',
      attributes: 0,
      size: 0,
    });
    expect(rebuilt).toMatchObject({ topic: 'dlq', partition: 1, offset: '3', timestampMs: 1000 });
  });

  it.each([
    ['no source topic', DEAD_LETTER_HEADERS.topic, undefined],
    ['a partition that is no number', DEAD_LETTER_HEADERS.partition, 'x'],
    ['no source offset', DEAD_LETTER_HEADERS.offset, undefined],
    ['a timestamp that is no number', DEAD_LETTER_HEADERS.timestamp, 'soon'],
  ])('treats a message with %s as a record of the topic it is in', (_, name, value) => {
    const [[message]] = planDeadLetters([record], new Error('x'), { topic: 'dlq', maxMessageBytes: ONE_MB });
    const headers = { ...(message.headers as Record<string, string>) };
    if (value === undefined) delete headers[name];
    else headers[name] = value;
    const rebuilt = deadLetteredRecord('dlq', 3, asRead({ ...message, headers }, '11'));
    expect(rebuilt).toMatchObject({ topic: 'dlq', partition: 3, offset: '11' });
  });

  it('rebuilds a cut dead letter whose size and digest headers are missing from what it holds', () => {
    const [[message]] = planDeadLetters([recordOf(randomBytes(200_000))], new Error('x'), {
      topic: 'dlq',
      maxMessageBytes: 64 * 1024,
    });
    const headers = { ...(message.headers as Record<string, string>) };
    delete headers[TRUNCATION_HEADERS.originalBytes];
    delete headers[TRUNCATION_HEADERS.valueSha256];
    const rebuilt = deadLetteredRecord('dlq', 0, asRead({ ...message, headers }));
    expect(rebuilt.truncated).toMatchObject({
      valueBytes: (message.value as Buffer).byteLength,
      valueSha256: 'unknown',
    });
  });

  it("makes a cut dead letter a bad document under the full record's id, naming the cut and the source", async () => {
    // A value whose beginning is a valid event: cut, it must still not be indexed as one.
    const event = JSON.stringify({
      event_id: 'a'.repeat(32),
      account_id: 1,
      event_type: 'click',
      device: 'WEB',
      location_country: 'FR',
      event_timestamp: 1_767_348_000,
    });
    const value = Buffer.concat([Buffer.from(event), randomBytes(200_000)]);
    const source = recordOf(value);
    const [[message]] = planDeadLetters([source], new Error('x'), {
      topic: 'dlq',
      maxMessageBytes: 64 * 1024,
    });
    const rebuilt = deadLetteredRecord('dlq', 0, asRead(message));
    expect(rebuilt.truncated).toEqual({
      id: recordId(source),
      valueBytes: value.byteLength,
      valueSha256: sha256(value),
    });
    const [doc] = classify(decodeAll([rebuilt]), new Map(), 'logs', '2026-12-06T00:00:00.000Z');
    expect(doc.id).toBe(recordId(source));
    expect(doc.index).toBe('logs-events-2026.01.02');
    expect(doc.body).toMatchObject({
      category: 'bad',
      raw_bytes: value.byteLength,
      raw_truncated: true,
      source: { topic: 'server-logs', partition: 2, offset: '7' },
    });
    expect(doc.body.reasons).toEqual([
      {
        code: 'truncated_dead_letter',
        message: `the dead letter held only ${(message.value as Buffer).byteLength} of the record's ${value.byteLength} value bytes (sha256 ${sha256(value)}): the full record is at server-logs/2/7`,
      },
    ]);
  });

  it('rebuilds a whole dead letter without marking it cut', () => {
    const [[message]] = planDeadLetters([record], new Error('x'), { topic: 'dlq', maxMessageBytes: ONE_MB });
    const rebuilt = deadLetteredRecord('dlq', 0, asRead(message));
    expect(rebuilt.truncated).toBeUndefined();
    expect(recordId(rebuilt)).toBe(recordId(record));
  });
});
