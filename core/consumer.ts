// The kafkajs consumer loop shared by the Fargate service and the local runner. Offsets are resolved and
// committed chunk by chunk, only after the chunk's documents are indexed (at-least-once delivery, idempotent
// writes: exactly-once effect). What to do about an error is decided by its cause chain (kafkajs wraps ours):
// an outage (database, search, broker) is retried in place without limit, with backoff and heartbeats, so the
// group keeps its members and the wait shows as lag and warnings; a record that even the bad index refuses is
// isolated by bisecting its chunk and dead-lettered when a sink is configured; anything else (a permanent
// refusal, a bug) stops the consumer at once, commits nothing past the failed chunk, and `done` rejects so
// the process exits 1.
import kafkajs, {
  type Batch,
  type Consumer,
  type EachBatchPayload,
  type Kafka,
  type KafkaMessage,
} from 'kafkajs';
import { emptyCounts } from './documents.js';
import { ConfigError, causeChain, DocumentRejectedError, PipelineError, RetriableError } from './errors.js';
import type { Logger } from './logger.js';
import { type BatchSummary, mergeSummaries } from './process-batch.js';
import { backoffMs, sleep } from './retry.js';
import { type RecreatedPartition, topicRecreationGuard } from './topic-recreation.js';

// kafkajs spreads its error classes into module.exports, which Node's ESM loader cannot see as named exports.
const { KafkaJSError, KafkaJSGroupCoordinatorNotFound } = kafkajs;

import type { SourceRecord } from './source-record.js';

/** Records per chunk (one users query, one _bulk) unless configured: `--chunk-size`, CHUNK_SIZE. */
export const DEFAULT_CHUNK_SIZE = 2000;
export const MIN_CHUNK_SIZE = 1;

export interface BatchInfo {
  readonly topic: string;
  readonly partition: number;
  readonly lastOffset: string;
  /** Records left in this partition after this chunk, per the last fetch's high watermark. */
  readonly offsetLag: number;
}

export interface RunConsumerOptions {
  readonly kafka: Kafka;
  readonly groupId: string;
  readonly topic: string;
  /** Where a group without committed offsets starts. @default true (replay history) */
  readonly fromBeginning?: boolean;
  readonly process: (records: SourceRecord[]) => Promise<BatchSummary>;
  readonly logger: Logger;
  readonly onBatch?: (summary: BatchSummary, info: BatchInfo) => void;
  /** Records handed to `process` at once (one users query, one _bulk). @default 2000 */
  readonly chunkSize?: number;
  /** First delay before retrying a chunk after an outage, doubled per attempt. @default 500 ms */
  readonly retryBaseDelayMs?: number;
  /** Longest delay between two retries of a chunk. @default 30_000 ms */
  readonly retryMaxDelayMs?: number;
  /** Called before each retry of a chunk that hit an outage (for metrics). */
  readonly onRetry?: (error: unknown, info: RetryInfo) => void;
  /** @default 3 */
  readonly partitionsConsumedConcurrently?: number;
  /** Where records that no index accepts go. @default - none: such a record stops the consumer */
  readonly deadLetter?: DeadLetterSink;
  /** Turns a fetched message into the record to process. @default toSourceRecord */
  readonly toRecord?: (topic: string, partition: number, message: KafkaMessage) => SourceRecord;
}

export interface RetryInfo {
  readonly topic: string;
  readonly partition: number;
  readonly firstOffset: string;
  readonly attempt: number;
  readonly delayMs: number;
}

/** Receives records that cannot be indexed anywhere, with the reason; must be durable before it resolves. */
export type DeadLetterSink = (records: readonly SourceRecord[], error: Error) => Promise<void>;

/**
 * Processes records; when the bad index refuses a document, bisects to find the records responsible and
 * dead-letters exactly those, so one poisonous record neither blocks its partition nor takes others along.
 */
export async function processOrDeadLetter(
  records: SourceRecord[],
  process: (records: SourceRecord[]) => Promise<BatchSummary>,
  deadLetter: DeadLetterSink | undefined,
): Promise<BatchSummary> {
  try {
    return await process(records);
  } catch (error) {
    if (deadLetter === undefined || !(error instanceof DocumentRejectedError)) throw error;
    if (records.length === 1) {
      await deadLetter(records, error);
      return { total: 1, counts: emptyCounts(), rerouted: 0, deadLettered: 1 };
    }
    const middle = Math.ceil(records.length / 2);
    const left = await processOrDeadLetter(records.slice(0, middle), process, deadLetter);
    const right = await processOrDeadLetter(records.slice(middle), process, deadLetter);
    return mergeSummaries(left, right);
  }
}

export interface RunningConsumer {
  readonly consumer: Consumer;
  /** Stops fetching, finishes the chunk in flight, commits, leaves the group. */
  stop(): Promise<void>;
  /** Resolves after stop(); rejects with the cause when the consumer stopped on a permanent error. */
  readonly done: Promise<void>;
}

export function toSourceRecord(topic: string, partition: number, message: KafkaMessage): SourceRecord {
  return {
    topic,
    partition,
    offset: message.offset,
    timestampMs: Number(message.timestamp),
    key: message.key ?? null,
    value: message.value ?? null,
  };
}

/** Node's codes for a peer that cannot be reached: an outage, whoever reports it. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * Whether an error is an outage worth waiting out, decided by its cause chain, since kafkajs wraps what
 * eachBatch throws (KafkaJSNumberOfRetriesExceeded, KafkaJSNonRetriableError): our own typed error decides
 * where there is one; otherwise the innermost error does: a kafkajs error by its `retriable` flag (a broker or
 * coordinator outage, a rebalance), a network error code; anything else is a bug or a permanent refusal.
 */
export function isRetriable(error: unknown): boolean {
  let current: unknown = error;
  for (const link of causeChain(error)) {
    if (link instanceof PipelineError) return link instanceof RetriableError;
    current = link;
  }
  // kafkajs calls it non-retriable, but it means that no broker answered the coordinator lookup: an outage (met
  // by the topic-recreation check's offset fetch while the broker was down).
  if (current instanceof KafkaJSGroupCoordinatorNotFound) return true;
  if (current instanceof KafkaJSError) return current.retriable;
  const code = (current as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && NETWORK_CODES.has(code);
}

export async function runConsumer(options: RunConsumerOptions): Promise<RunningConsumer> {
  const { logger } = options;
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) {
    throw new ConfigError(`chunkSize must be a positive integer, got ${chunkSize}`);
  }
  const baseDelayMs = options.retryBaseDelayMs ?? 500;
  const maxDelayMs = options.retryMaxDelayMs ?? 30_000;
  let settle: { resolve: () => void; reject: (error: unknown) => void } | undefined;
  const done = new Promise<void>((resolve, reject) => {
    settle = { resolve, reject };
  });
  done.catch(() => undefined); // the caller awaits it; never an unhandled rejection before that

  const consumer = options.kafka.consumer({
    groupId: options.groupId,
    // How long the broker holds a fetch open when there is nothing new. Stopping waits for the fetch in flight,
    // so kafkajs' 5 s default made every stop (SIGTERM, caught up, a deploy) take 5 s; 1 s costs one idle fetch
    // a second and measured the same throughput (200,000 events: 5.5 s vs 5.6 s; exit 4 s sooner).
    maxWaitTimeInMs: 1_000,
    retry: { restartOnFailure: async (error) => isRetriable(error) },
  });
  const recreation = topicRecreationGuard(options.kafka, options.groupId, options.topic);
  let stopped = false;
  let fatal: unknown;
  // Stops the consumer for good. Not awaited by its caller: disconnect waits for the eachBatch calling it.
  const stopOnPermanentError = (error: unknown) => {
    if (fatal !== undefined) return;
    fatal = error;
    stopped = true;
    logger.error('stopping the consumer: permanent error', { error: error as Error });
    consumer
      .disconnect()
      .catch((disconnectError: unknown) => logger.warn('disconnect failed', { error: disconnectError }))
      .finally(() => {
        settle?.reject(error);
        return recreation.close();
      });
  };

  // kafkajs restarts by itself after the errors it deems retriable. A broker or coordinator outage can also
  // surface as a crash without restart: we then rejoin with a backoff that grows until a chunk gets through
  // again (a successful join alone does not reset it, so a flapping broker cannot cause a rejoin storm).
  let restarts = 0;
  const start = async () => {
    await consumer.connect();
    await consumer.subscribe({ topics: [options.topic], fromBeginning: options.fromBeginning ?? true });
    await consumer.run({
      eachBatchAutoResolve: false,
      autoCommit: true,
      // Commit after every resolved chunk: a crash then redelivers at most the chunk in flight.
      autoCommitThreshold: 1,
      partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 3,
      eachBatch,
    });
  };
  const restartLater = () => {
    restarts++;
    const delay = backoffMs(restarts, 1_000, 60_000);
    logger.warn('rejoining the group after a crash', { attempt: restarts, delayMs: delay });
    setTimeout(() => {
      if (stopped) return;
      start().catch((error: unknown) => {
        if (isRetriable(error)) {
          logger.warn('rejoin failed', { error: error as Error });
          restartLater();
        } else stopOnPermanentError(error);
      });
    }, delay).unref();
  };
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (stopped) return;
    if (payload.restart) logger.warn('consumer crashed, kafkajs restarts it', { error: payload.error });
    else if (isRetriable(payload.error)) restartLater();
    else stopOnPermanentError(payload.error);
  });

  /** Waits `ms` unless the consumer stops or the partition is taken away; heartbeats so the group keeps us. */
  const waitUnlessStopped = async (payload: EachBatchPayload, ms: number): Promise<boolean> => {
    const until = Date.now() + ms;
    for (;;) {
      // A rebalance surfaces here as a kafkajs error: it propagates, and kafkajs rejoins.
      await payload.heartbeat();
      if (stopped || !payload.isRunning() || payload.isStale()) return false;
      const left = until - Date.now();
      if (left <= 0) return true;
      await sleep(Math.min(left, 1_000));
    }
  };

  /**
   * The chunk's summary once it is indexed, and whether its topic was recreated meanwhile (then the chunk's
   * offsets must not be committed); undefined when the consumer stops first.
   */
  const processChunk = async (
    payload: EachBatchPayload,
    batch: Batch,
    messages: KafkaMessage[],
    log: Logger,
  ): Promise<{ summary: BatchSummary; recreated?: RecreatedPartition } | undefined> => {
    const toRecord = options.toRecord ?? toSourceRecord;
    const records = messages.map((m) => toRecord(batch.topic, batch.partition, m));
    const firstOffset = messages[0].offset;
    for (let attempt = 1; ; attempt++) {
      try {
        const summary = await processOrDeadLetter(records, options.process, options.deadLetter);
        return { summary, recreated: await recreation.recreatedSince(batch.partition) };
      } catch (error) {
        if (!isRetriable(error)) {
          stopOnPermanentError(error);
          return undefined;
        }
        const delayMs = backoffMs(attempt, baseDelayMs, maxDelayMs);
        const lastOffset = messages[messages.length - 1].offset;
        log.warn('chunk failed on an outage, retrying', { firstOffset, lastOffset, attempt, delayMs, error });
        options.onRetry?.(error, {
          topic: batch.topic,
          partition: batch.partition,
          firstOffset,
          attempt,
          delayMs,
        });
        if (!(await waitUnlessStopped(payload, delayMs))) return undefined;
      }
    }
  };

  const eachBatch = async (payload: EachBatchPayload) => {
    const { batch } = payload;
    const log = logger.child({ topic: batch.topic, partition: batch.partition });
    // Heartbeat while a long chunk runs so the group does not evict us; errors surface on the next call.
    const heartbeats = setInterval(() => {
      payload.heartbeat().catch((error: unknown) => log.debug('heartbeat during chunk failed', { error }));
    }, 3_000);
    try {
      for (let i = 0; i < batch.messages.length; i += chunkSize) {
        if (stopped || !payload.isRunning() || payload.isStale()) return;
        const messages = batch.messages.slice(i, i + chunkSize);
        const outcome = await processChunk(payload, batch, messages, log);
        if (outcome === undefined) return;
        restarts = 0;
        const lastOffset = messages[messages.length - 1].offset;
        if (outcome.recreated !== undefined) {
          const { lostOffset, startOffset } = outcome.recreated;
          log.warn(
            `topic ${batch.topic} was deleted and recreated under the consumer: its committed offset ${lostOffset} of ` +
              `partition ${batch.partition} is gone; reading the new topic's partition ${batch.partition} from offset ${startOffset}`,
            { lostOffset, startOffset },
          );
          // Unless this chunk already starts there (kafkajs went back to the start of a shorter new topic by itself),
          // seeking commits startOffset (autoCommit) and drops the rest of the batch, fetched at the old position.
          if (messages[0].offset !== startOffset) {
            consumer.seek({ topic: batch.topic, partition: batch.partition, offset: startOffset });
            return;
          }
        }
        const { summary } = outcome;
        payload.resolveOffset(lastOffset);
        await payload.commitOffsetsIfNecessary();
        recreation.committed(batch.partition, (BigInt(lastOffset) + 1n).toString());
        const offsetLag = Math.max(0, Number(batch.highWatermark) - Number(lastOffset) - 1);
        options.onBatch?.(summary, { topic: batch.topic, partition: batch.partition, lastOffset, offsetLag });
      }
    } finally {
      clearInterval(heartbeats);
    }
  };

  await start();

  let stopping: Promise<void> | undefined;
  return {
    consumer,
    done,
    stop: () => {
      stopped = true;
      stopping ??= consumer
        .disconnect()
        .then(() => recreation.close())
        .then(() => {
          if (fatal === undefined) settle?.resolve();
        });
      return stopping;
    },
  };
}
