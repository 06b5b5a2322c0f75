// The dead-letter topic: where the consumer sends records that no index accepts, with their exact key and
// value and their source coordinates as headers, and how a re-drive turns them back into the records they
// were (same identity, so a re-driven record overwrites rather than adds).
//
// A poison record must never block its partition, whatever its size, so each send is sized against the
// dead-letter topic's own limit (`max.message.bytes`, read from the broker): records are gzip-compressed,
// several records go into one produce request only while its record batch stays under the limit, and a record
// that does not fit even compressed is written cut to the limit, with headers saying so (original size, a
// SHA-256 of the full value, the document id of the full record). The full record stays in its source
// topic at its coordinates; the re-drive turns a cut record into a `bad` document naming them.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import kafkajs, { type Kafka, type KafkaMessage, type Message, type Producer } from 'kafkajs';
import { type DeadLetterSink, isRetriable, toSourceRecord } from './consumer.js';
import { recordId } from './documents.js';
import { causeChain, PipelineError, RetriableError } from './errors.js';
import { createIdempotentProducer, ProducerBrokenError, ProducerConnectError } from './producer.js';
import type { SourceRecord } from './source-record.js';

// kafkajs spreads these into module.exports, which Node's ESM loader cannot see as named exports.
const { CompressionTypes, ConfigResourceTypes, KafkaJSProtocolError } = kafkajs;

/** Headers a dead-lettered record carries: where it came from (its identity) and why no index took it. */
export const DEAD_LETTER_HEADERS = {
  topic: 'x-source-topic',
  partition: 'x-source-partition',
  offset: 'x-source-offset',
  timestamp: 'x-source-timestamp',
  error: 'x-error',
} as const;

/**
 * Headers added to a dead-lettered record that was cut to fit its topic (and only to such a record, so that
 * tools checking DEAD_LETTER_HEADERS see every dead letter alike).
 */
export const TRUNCATION_HEADERS = {
  /** What was cut: `value`, or `key,value` when even the key did not fit. */
  truncated: 'x-truncated',
  /** Why, in words: the sizes and the topic's limit. */
  reason: 'x-truncated-reason',
  /** The full value's size in bytes. */
  originalBytes: 'x-original-bytes',
  /** The full key's size in bytes, when the key was cut too. */
  originalKeyBytes: 'x-original-key-bytes',
  /** SHA-256 (hex) of the full value: checks a copy read back from the source coordinates. */
  valueSha256: 'x-value-sha256',
  /** The full record's document id (it digests the full value, which a re-drive no longer has). */
  recordId: 'x-record-id',
} as const;

/** The dead-letter topic could not take the records now (broker outage): the chunk is retried. */
export class DeadLetterUnavailableError extends RetriableError {}

/** The dead-letter topic refuses records sized to fit its limit, or its limit cannot be read: an operator fixes it. */
export class DeadLetterRefusedError extends PipelineError {}

export interface KafkaDeadLetter {
  readonly sink: DeadLetterSink;
  /** Disconnects the producer, if one was made. */
  close(): Promise<void>;
}

export interface KafkaDeadLetterOptions {
  /** The topic's `max.message.bytes`. @default - read from the broker (describeConfigs), once per sink */
  readonly maxMessageBytes?: (kafka: Kafka, topic: string) => Promise<number>;
}

/**
 * A dead-letter sink producing to `topic` through an idempotent producer, connected on first use. A failed
 * send leaves that producer unusable (see producer.ts), so the next attempt makes a new one; a failure that
 * is an outage (broker down, timeouts) is retried with the chunk, a permanent refusal stops the consumer.
 * Records are sized against the topic's limit (see planDeadLetters); when the broker still refuses a batch as
 * too large, the limit is read again (it may have been lowered) and the rest is re-planned on the worst-case
 * bound alone, which no compression estimate can get wrong; a refusal after that is permanent.
 */
export function kafkaDeadLetter(
  kafka: Kafka,
  topic: string,
  options: KafkaDeadLetterOptions = {},
): KafkaDeadLetter {
  const readLimit = options.maxMessageBytes ?? readMaxMessageBytes;
  let current: Promise<Producer> | undefined;
  let limit: Promise<number> | undefined;
  const producer = () => {
    current ??= (async () => {
      const made = createIdempotentProducer(kafka);
      await made.connect();
      return made;
    })();
    return current;
  };
  const discard = (failed: Promise<Producer>) => {
    if (current === failed) current = undefined;
    failed.then((p) => p.disconnect()).catch(() => undefined);
  };
  const maxMessageBytes = async (): Promise<number> => {
    limit ??= readLimit(kafka, topic);
    const reading = limit;
    try {
      return await reading;
    } catch (error) {
      if (limit === reading) limit = undefined;
      throw error;
    }
  };

  /** Sends the planned batches in order; returns how many records went out before a too-large refusal. */
  const sendPlanned = async (batches: readonly Message[][]): Promise<{ sent: number; refused?: unknown }> => {
    let sent = 0;
    for (const messages of batches) {
      const used = producer();
      try {
        await (await used).send({ topic, acks: -1, compression: CompressionTypes.GZIP, messages });
      } catch (sendError) {
        discard(used);
        if (isTooLarge(sendError)) return { sent, refused: sendError };
        throw unavailableOrPermanent(topic, sendError);
      }
      sent += messages.length;
    }
    return { sent };
  };

  return {
    sink: async (records, error) => {
      const first = planDeadLetters(records, error, {
        topic,
        maxMessageBytes: await maxMessageBytes(),
      });
      const { sent, refused } = await sendPlanned(first);
      if (refused === undefined) return;
      // The limit may have been lowered since it was read, or the compression estimate was wrong.
      limit = undefined;
      const now = await maxMessageBytes();
      const second = planDeadLetters(records.slice(sent), error, {
        topic,
        maxMessageBytes: now,
        worstCaseOnly: true,
      });
      const retry = await sendPlanned(second);
      if (retry.refused === undefined) return;
      // Sized to the limit and still too large: RECORD_LIST_TOO_LARGE says the batch exceeds segment.bytes.
      throw new DeadLetterRefusedError(
        `the dead-letter topic ${topic} refused a record batch sized to its max.message.bytes (${now}, per the broker) ` +
          `with ${tooLargeType(retry.refused)}: give the topic a segment.bytes no smaller than its max.message.bytes ` +
          `and check the brokers' limits, then restart the consumer`,
        { cause: retry.refused },
      );
    },
    close: async () => {
      const last = current;
      current = undefined;
      await last?.then((p) => p.disconnect()).catch(() => undefined);
    },
  };
}

/** An outage is retried with the chunk; a refusal such as a missing topic or no write permission stops the consumer. */
function unavailableOrPermanent(topic: string, sendError: unknown): unknown {
  const outage =
    sendError instanceof ProducerBrokenError ||
    sendError instanceof ProducerConnectError ||
    isRetriable(sendError);
  if (!outage) return sendError;
  const reason =
    sendError instanceof ProducerBrokenError ? 'an earlier send failed' : (sendError as Error).message;
  return new DeadLetterUnavailableError(`dead-letter topic ${topic} unavailable: ${reason}`, {
    cause: sendError,
  });
}

const TOO_LARGE = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE']);

/** The broker's MESSAGE_TOO_LARGE or RECORD_LIST_TOO_LARGE, found in the cause chain (kafkajs wraps errors). */
export function isTooLarge(error: unknown): boolean {
  return tooLargeType(error) !== undefined;
}

function tooLargeType(error: unknown): string | undefined {
  for (const link of causeChain(error)) {
    if (link instanceof KafkaJSProtocolError && TOO_LARGE.has(link.type)) return link.type;
  }
  return undefined;
}

/** The effective `max.message.bytes` of a topic (its own, or the broker's default), as the broker reports it. */
export async function readMaxMessageBytes(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['max.message.bytes'] }],
    });
    const entry = resources[0]?.configEntries.find((e) => e.configName === 'max.message.bytes');
    const value = Number(entry?.configValue);
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new DeadLetterRefusedError(
        `the broker gave no usable max.message.bytes for the dead-letter topic ${topic} (got ${entry?.configValue}): check that the topic exists`,
      );
    }
    return value;
  } catch (error) {
    if (error instanceof DeadLetterRefusedError) throw error;
    if (isRetriable(error)) {
      throw new DeadLetterUnavailableError(
        `dead-letter topic ${topic} unavailable: cannot read its max.message.bytes: ${(error as Error).message}`,
        { cause: error },
      );
    }
    throw new DeadLetterRefusedError(
      `cannot read max.message.bytes of the dead-letter topic ${topic} (${(error as Error).message}): let the consumer describe the topic's configuration (MSK IAM: kafka-cluster:DescribeTopicDynamicConfiguration)`,
      { cause: error },
    );
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

// Sizes in a Kafka record batch (format v2), as upper bounds. The broker compares the whole batch (a 61-byte
// header, then the records, compressed together) with max.message.bytes.
/** The batch header, plus room for the gzip header and trailer and rounding. */
const BATCH_OVERHEAD_BYTES = 512;
/** A record's varints: length, attributes, timestamp and offset deltas, key and value lengths, header count. */
const RECORD_OVERHEAD_BYTES = 48;
/** A header's two length varints. */
const HEADER_OVERHEAD_BYTES = 10;

/** The most gzip can turn `n` bytes into (zlib's deflateBound, plus the gzip wrapper): incompressible data grows. */
export function gzipBound(n: number): number {
  return n + (n >>> 12) + (n >>> 14) + (n >>> 25) + 13 + 18;
}

function headersBytes(headers: Record<string, string>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(headers)) {
    bytes += HEADER_OVERHEAD_BYTES + Buffer.byteLength(name) + Buffer.byteLength(value);
  }
  return bytes;
}

export interface DeadLetterPlanOptions {
  readonly topic: string;
  /** The dead-letter topic's `max.message.bytes`. */
  readonly maxMessageBytes: number;
  /**
   * Trust only the worst-case bound of gzip (incompressible data), not a measured compression: what a second
   * attempt uses after the broker refused a batch as too large. @default false
   */
  readonly worstCaseOnly?: boolean;
}

/**
 * The produce requests that dead-letter `records`, in order: each holds whole messages whose record batch
 * stays under `maxMessageBytes`. A record whose worst case fits is sent as it is; one that fits only once
 * compressed is sent whole when its measured gzip size (with a 1 % margin) fits; any other is cut so that its
 * worst case fits, with TRUNCATION_HEADERS. Fails (permanently) when even the headers of a dead letter exceed
 * the limit.
 */
export function planDeadLetters(
  records: readonly SourceRecord[],
  error: Error,
  options: DeadLetterPlanOptions,
): Message[][] {
  const budget = options.maxMessageBytes - BATCH_OVERHEAD_BYTES;
  const batches: Message[][] = [];
  let batch: Message[] = [];
  let batchBytes = 0;
  for (const record of records) {
    const { message, bytes } = sizedMessage(record, error, budget, options);
    if (batch.length > 0 && batchBytes + bytes > budget) {
      batches.push(batch);
      batch = [];
      batchBytes = 0;
    }
    batch.push(message);
    batchBytes += bytes;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/** One dead letter and the most (or, when measured, about the most) it adds to a compressed record batch. */
function sizedMessage(
  record: SourceRecord,
  error: Error,
  budget: number,
  options: DeadLetterPlanOptions,
): { message: Message; bytes: number } {
  const key =
    record.key === null ? null : Buffer.from(record.key.buffer, record.key.byteOffset, record.key.byteLength);
  const value =
    record.value === null
      ? null
      : Buffer.from(record.value.buffer, record.value.byteOffset, record.value.byteLength);
  const headers: Record<string, string> = {
    [DEAD_LETTER_HEADERS.topic]: record.topic,
    [DEAD_LETTER_HEADERS.partition]: String(record.partition),
    [DEAD_LETTER_HEADERS.offset]: record.offset,
    [DEAD_LETTER_HEADERS.timestamp]: String(record.timestampMs),
    [DEAD_LETTER_HEADERS.error]: error.message.slice(0, 1000),
  };
  const keyBytes = key?.byteLength ?? 0;
  const valueBytes = value?.byteLength ?? 0;
  const whole = RECORD_OVERHEAD_BYTES + keyBytes + valueBytes + headersBytes(headers);
  if (gzipBound(whole) <= budget) return { message: { key, value, headers }, bytes: gzipBound(whole) };
  if (options.worstCaseOnly !== true) {
    // Measured on key, value and headers alone; compressed together in a batch they take no more, give or take
    // the margin. Only records too large for the bound get here: dead letters are rare, the CPU is no concern.
    const parts = [key ?? Buffer.alloc(0), value ?? Buffer.alloc(0), Buffer.from(JSON.stringify(headers))];
    const measured = Math.ceil(gzipSync(Buffer.concat(parts)).byteLength * 1.01) + RECORD_OVERHEAD_BYTES;
    if (measured <= budget) return { message: { key, value, headers }, bytes: measured };
  }

  // Too large even compressed: cut it to what fits in the worst case, and say so.
  const truncation: Record<string, string> = {
    [TRUNCATION_HEADERS.truncated]: 'value',
    [TRUNCATION_HEADERS.reason]: '',
    [TRUNCATION_HEADERS.originalBytes]: String(valueBytes),
    [TRUNCATION_HEADERS.valueSha256]: createHash('sha256')
      .update(value ?? Buffer.alloc(0))
      .digest('hex'),
    [TRUNCATION_HEADERS.recordId]: recordId(record),
  };
  // The reason's text is written last; reserve room for its longest form.
  const reasonRoom = 512;
  const fixed = RECORD_OVERHEAD_BYTES + headersBytes({ ...headers, ...truncation }) + reasonRoom + 64;
  // The largest payload whose worst case fits: gzipBound(n) is at most n * 2049 / 2048 + 31.
  const room = Math.floor(((budget - 31) * 2048) / 2049) - fixed;
  if (room < 0) {
    throw new DeadLetterRefusedError(
      `the dead-letter topic ${options.topic} takes records of at most ${options.maxMessageBytes} bytes (max.message.bytes), ` +
        `too few even for a dead letter's headers (${fixed} bytes): raise its max.message.bytes to at least 65536`,
    );
  }
  let keptKey = key;
  if (keyBytes > room) {
    keptKey = (key as Buffer).subarray(0, room);
    truncation[TRUNCATION_HEADERS.truncated] = 'key,value';
    truncation[TRUNCATION_HEADERS.originalKeyBytes] = String(keyBytes);
  }
  const keptValue = (value ?? Buffer.alloc(0)).subarray(0, room - (keptKey?.byteLength ?? 0));
  truncation[TRUNCATION_HEADERS.reason] =
    `cut to ${keptValue.byteLength} of ${valueBytes} value bytes` +
    (keptKey === key ? '' : ` and ${keptKey?.byteLength} of ${keyBytes} key bytes`) +
    `: the record exceeds max.message.bytes ${options.maxMessageBytes} of ${options.topic} even compressed`;
  const message = { key: keptKey, value: keptValue, headers: { ...headers, ...truncation } };
  const bytes = gzipBound(
    RECORD_OVERHEAD_BYTES + (keptKey?.byteLength ?? 0) + keptValue.byteLength + headersBytes(message.headers),
  );
  return { message, bytes };
}

/**
 * The original record of a dead-lettered message, rebuilt from its headers: re-driving it gives the document
 * the identity it would have had, so a re-drive after a fix overwrites instead of adding.
 *
 * A message cut to fit its topic (TRUNCATION_HEADERS) comes back marked `truncated`: its bytes are only the
 * beginning of the record's, so they are never decoded as the record (a cut JSON value could even parse as a
 * valid event); processBatch makes it a `bad` document under the full record's id, whose reason names the
 * cut, the digest and the source coordinates where the full record still is. A replay of the source topic
 * from there later overwrites that document with the full record's, under the same id.
 */
export function deadLetteredRecord(topic: string, partition: number, message: KafkaMessage): SourceRecord {
  const header = (name: string) => {
    const value = message.headers?.[name];
    const text = Array.isArray(value) ? value[0] : value;
    return text === undefined ? undefined : text.toString();
  };
  const sourceTopic = header(DEAD_LETTER_HEADERS.topic);
  const sourcePartition = Number(header(DEAD_LETTER_HEADERS.partition));
  const sourceOffset = header(DEAD_LETTER_HEADERS.offset);
  const sourceTimestamp = Number(header(DEAD_LETTER_HEADERS.timestamp));
  const key = message.key ?? null;
  const value = message.value ?? null;
  if (
    sourceTopic === undefined ||
    !Number.isInteger(sourcePartition) ||
    sourceOffset === undefined ||
    Number.isNaN(sourceTimestamp)
  ) {
    // Not written by kafkaDeadLetter: it is a record of this topic in its own right.
    return toSourceRecord(topic, partition, message);
  }
  const record: SourceRecord = {
    topic: sourceTopic,
    partition: sourcePartition,
    offset: sourceOffset,
    timestampMs: sourceTimestamp,
    key,
    value,
  };
  if (header(TRUNCATION_HEADERS.truncated) === undefined) return record;
  const originalBytes = Number(header(TRUNCATION_HEADERS.originalBytes));
  return {
    ...record,
    truncated: {
      // Without the header the full record's id is lost; this one is still stable for the message.
      id: header(TRUNCATION_HEADERS.recordId) ?? recordId(record),
      valueBytes: Number.isSafeInteger(originalBytes) ? originalBytes : (value?.byteLength ?? 0),
      valueSha256: header(TRUNCATION_HEADERS.valueSha256) ?? 'unknown',
    },
  };
}
