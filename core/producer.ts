// The project's one way to make a Kafka producer that writes each acknowledged record exactly once, even
// when acknowledgements are lost and kafkajs retries: the generator (whose ground truth must match the
// topic) and the consumers' dead-letter producers use it.
//
// kafkajs 2.2.4's idempotent mode needs two things it does not do itself, both measured against Kafka 3.9:
// - Sends one at a time. It keeps one sequence number per partition and rolls it back when a request
//   times out; a concurrent send then reuses the rolled-back numbers and the broker takes it for a
//   retry of the lost request and acknowledges it without writing it (tulios/kafkajs#1005): the record
//   count still matches, but some acknowledged records are missing and others are there twice.
// - Retrying InitProducerId. `connect()` asks for a producer id and gives up on the first request
//   timeout (only coordinator errors are retried there), so a slow broker made it crash.
import { type ICustomPartitioner, type Kafka, Partitioners, type Producer } from 'kafkajs';
import { PipelineError } from './errors.js';
import { backoffMs, sleep } from './retry.js';

export interface IdempotentProducerOptions {
  /** @default Partitioners.DefaultPartitioner (the Java client's murmur2 partitioning) */
  readonly createPartitioner?: ICustomPartitioner;
  /** Attempts of `connect()` when the producer-id request times out. @default 6 */
  readonly connectAttempts?: number;
  /** First backoff between connect attempts, doubled each time up to 5 s. @default 250 */
  readonly connectBackoffMs?: number;
}

/** `connect()` kept timing out while asking the brokers for a producer id. */
export class ProducerConnectError extends PipelineError {}

const DEFAULT_CONNECT_ATTEMPTS = 6;
const DEFAULT_CONNECT_BACKOFF_MS = 250;

/** True when the error, or one it wraps (kafkajs nests them in `cause`), is a request timeout. */
export function isRequestTimeout(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth++) {
    if (e.name === 'KafkaJSRequestTimeoutError') return true;
  }
  return false;
}

/**
 * An idempotent producer (acks must be -1, which kafkajs enforces): its `send` and `sendBatch` calls run
 * one after another, and `connect` retries request timeouts with backoff. Callers may still call `send`
 * concurrently; the calls queue.
 */
export function createIdempotentProducer(kafka: Kafka, options: IdempotentProducerOptions = {}): Producer {
  const attempts = options.connectAttempts ?? DEFAULT_CONNECT_ATTEMPTS;
  const baseMs = options.connectBackoffMs ?? DEFAULT_CONNECT_BACKOFF_MS;
  if (!Number.isSafeInteger(attempts) || attempts < 1) {
    throw new RangeError(`connectAttempts must be a positive integer, got ${attempts}`);
  }
  const producer = kafka.producer({
    createPartitioner: options.createPartitioner ?? Partitioners.DefaultPartitioner,
    idempotent: true,
    // What KIP-98 prescribes; on its own it does not stop the sequence reuse above (measured).
    maxInFlightRequests: 1,
  });

  let queue: Promise<unknown> = Promise.resolve();
  const serialised = <A extends unknown[], R>(fn: (...args: A) => Promise<R>) => {
    return (...args: A): Promise<R> => {
      const result = queue.then(() => fn(...args));
      // The next call waits for this one to settle, whether it succeeded or not.
      queue = result.catch(() => undefined);
      return result;
    };
  };

  const connect = async (): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      try {
        await producer.connect();
        return;
      } catch (error) {
        if (!isRequestTimeout(error)) throw error;
        if (attempt >= attempts) {
          const reason = error instanceof Error ? error.message : String(error);
          throw new ProducerConnectError(
            `the idempotent producer could not connect in ${attempts} attempts: ${reason}`,
            { cause: error },
          );
        }
        await sleep(backoffMs(attempt, baseMs, 5_000));
      }
    }
  };

  return {
    ...producer,
    connect,
    send: serialised(producer.send),
    sendBatch: serialised(producer.sendBatch),
  };
}
