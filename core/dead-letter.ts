// The dead-letter topic: where the consumer sends records that no index accepts, with their exact key and
// value and their source coordinates as headers, and how a re-drive turns them back into the records they
// were (same identity, so a re-driven record overwrites rather than adds).
import type { Kafka, KafkaMessage, Producer } from 'kafkajs';
import { type DeadLetterSink, isRetriable, toSourceRecord } from './consumer.js';
import { RetriableError } from './errors.js';
import { createIdempotentProducer, ProducerBrokenError, ProducerConnectError } from './producer.js';
import type { SourceRecord } from './source-record.js';

/** Headers a dead-lettered record carries: where it came from (its identity) and why no index took it. */
export const DEAD_LETTER_HEADERS = {
  topic: 'x-source-topic',
  partition: 'x-source-partition',
  offset: 'x-source-offset',
  timestamp: 'x-source-timestamp',
  error: 'x-error',
} as const;

/** The dead-letter topic could not take the records now (broker outage): the chunk is retried. */
export class DeadLetterUnavailableError extends RetriableError {}

export interface KafkaDeadLetter {
  readonly sink: DeadLetterSink;
  /** Disconnects the producer, if one was made. */
  close(): Promise<void>;
}

/**
 * A dead-letter sink producing to `topic` through an idempotent producer, connected on first use. A failed
 * send leaves that producer unusable (see producer.ts), so the next attempt makes a new one; a failure that
 * is an outage (broker down, timeouts) is retried with the chunk, a permanent refusal stops the consumer.
 */
export function kafkaDeadLetter(kafka: Kafka, topic: string): KafkaDeadLetter {
  let current: Promise<Producer> | undefined;
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
  return {
    sink: async (records, error) => {
      const used = producer();
      try {
        await (await used).send({
          topic,
          acks: -1,
          messages: records.map((r) => ({
            key: r.key === null ? null : Buffer.from(r.key),
            value: r.value === null ? null : Buffer.from(r.value),
            headers: {
              [DEAD_LETTER_HEADERS.topic]: r.topic,
              [DEAD_LETTER_HEADERS.partition]: String(r.partition),
              [DEAD_LETTER_HEADERS.offset]: r.offset,
              [DEAD_LETTER_HEADERS.timestamp]: String(r.timestampMs),
              [DEAD_LETTER_HEADERS.error]: error.message.slice(0, 1000),
            },
          })),
        });
      } catch (sendError) {
        discard(used);
        // A refusal such as a missing topic or no write permission is permanent: it stops the consumer.
        const outage =
          sendError instanceof ProducerBrokenError ||
          sendError instanceof ProducerConnectError ||
          isRetriable(sendError);
        if (!outage) throw sendError;
        const reason =
          sendError instanceof ProducerBrokenError ? 'an earlier send failed' : (sendError as Error).message;
        throw new DeadLetterUnavailableError(`dead-letter topic ${topic} unavailable: ${reason}`, {
          cause: sendError,
        });
      }
    },
    close: async () => {
      const last = current;
      current = undefined;
      await last?.then((p) => p.disconnect()).catch(() => undefined);
    },
  };
}

/**
 * The original record of a dead-lettered message, rebuilt from its headers: re-driving it gives the document
 * the identity it would have had, so a re-drive after a fix overwrites instead of adding.
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
  return {
    topic: sourceTopic,
    partition: sourcePartition,
    offset: sourceOffset,
    timestampMs: sourceTimestamp,
    key,
    value,
  };
}
