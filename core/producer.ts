// The project's one way to make a Kafka producer that writes each acknowledged record exactly once, even
// when acknowledgements are lost and kafkajs retries: the generator (whose ground truth must match the
// topic) and the consumers' dead-letter producers use it.
//
// kafkajs 2.2.4's idempotent mode needs two things it does not do itself, both measured against Kafka 3.9:
// - Sends one at a time. It keeps one sequence number per partition and rolls it back when a request
//   times out; a concurrent send then reuses the rolled-back numbers and the broker takes it for a
//   retry of the lost request and acknowledges it without writing it (tulios/kafkajs#1005): the record
//   count still matches, but some acknowledged records are missing and others are there twice.
// - Stopping after a failed send. The failed request may have been written, and kafkajs reuses its
//   sequence numbers for the next send, which the broker may then acknowledge as a duplicate without
//   writing it. So after one failure every later send fails too: make a new producer.
// - Retrying InitProducerId. `connect()` asks for a producer id and gives up on the first request
//   timeout (only coordinator errors are retried there), so a slow broker made it crash.
import { type ICustomPartitioner, type Kafka, Partitioners, type Producer } from 'kafkajs';
import { ConfigError, causeChain, PipelineError } from './errors.js';
import { backoffMs, sleep } from './retry.js';

export interface IdempotentProducerOptions {
  /** @default Partitioners.DefaultPartitioner (the Java client's murmur2 partitioning) */
  readonly createPartitioner?: ICustomPartitioner;
  /** Attempts of `connect()` when the producer-id request times out. @default 6 */
  readonly connectAttempts?: number;
  /**
   * Backoff between connect attempts: the first wait is drawn from half of this to all of it, doubled each time
   * up to 5 s. At least 1 s by default, so that producers reconnecting together after a broker restart do not
   * exceed what a small MSK broker accepts (4 new connections per second on kafka.t3.small). @default 2000
   */
  readonly connectBackoffMs?: number;
}

/** `connect()` kept timing out while asking the brokers for a producer id. */
export class ProducerConnectError extends PipelineError {}

/** A send failed earlier, so this producer's sequence numbers can no longer be trusted. */
export class ProducerBrokenError extends PipelineError {}

const DEFAULT_CONNECT_ATTEMPTS = 6;
const DEFAULT_CONNECT_BACKOFF_MS = 2_000;

/** True when the error, or one it wraps (kafkajs nests them in `cause`), is a request timeout. */
export function isRequestTimeout(error: unknown): boolean {
  for (const link of causeChain(error)) {
    if (link instanceof Error && link.name === 'KafkaJSRequestTimeoutError') return true;
  }
  return false;
}

/**
 * An idempotent producer (acks must be -1, which kafkajs enforces): its `send` and `sendBatch` calls run
 * one after another, `connect` retries request timeouts with backoff, and after a failed send every later
 * send fails with ProducerBrokenError. Callers may still call `send` concurrently; the calls queue.
 */
export function createIdempotentProducer(kafka: Kafka, options: IdempotentProducerOptions = {}): Producer {
  const attempts = options.connectAttempts ?? DEFAULT_CONNECT_ATTEMPTS;
  const baseMs = options.connectBackoffMs ?? DEFAULT_CONNECT_BACKOFF_MS;
  if (!Number.isSafeInteger(attempts) || attempts < 1) {
    throw new RangeError(`connectAttempts must be a positive integer, got ${attempts}`);
  }
  let producer: Producer;
  try {
    producer = kafka.producer({
      createPartitioner: options.createPartitioner ?? Partitioners.DefaultPartitioner,
      idempotent: true,
      // What KIP-98 prescribes; on its own it does not stop the sequence reuse above (measured).
      maxInFlightRequests: 1,
    });
  } catch (error) {
    // kafkajs refuses a client whose retry.retries is 0: its idempotence relies on retrying.
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError(
      `the Kafka client cannot make an idempotent producer (give it retry.retries >= 1): ${reason}`,
      {
        cause: error,
      },
    );
  }

  let queue: Promise<unknown> = Promise.resolve();
  let failure: unknown;
  const serialised = <A extends unknown[], R>(fn: (...args: A) => Promise<R>) => {
    return (...args: A): Promise<R> => {
      const result = queue.then(async () => {
        if (failure !== undefined) {
          const reason = failure instanceof Error ? failure.message : String(failure);
          throw new ProducerBrokenError(
            `an earlier send of this producer failed (${reason}); use a new producer`,
            {
              cause: failure,
            },
          );
        }
        try {
          return await fn(...args);
        } catch (error) {
          failure = error;
          throw error;
        }
      });
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
