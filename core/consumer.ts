// The kafkajs consumer loop shared by the Fargate service and the local runner. Offsets are resolved and
// committed only after a chunk's documents are indexed (at-least-once, idempotent writes: exactly-once
// effect). Infrastructure failures are retried in place with heartbeats, then the partition is paused and
// resumed later. A record that even the bad index refuses is isolated by bisecting its chunk and sent to
// the dead-letter sink when one is configured; anything else crashes the consumer and `done` rejects so
// the process exits non-zero.
import type { Batch, Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { emptyCounts } from './documents.js';
import { DocumentRejectedError, PipelineError, RetriableError } from './errors.js';
import type { Logger } from './logger.js';
import { type BatchSummary, mergeSummaries } from './process-batch.js';
import { backoffMs, sleep } from './retry.js';
import type { SourceRecord } from './source-record.js';

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
  /** Retries of a failing chunk before its partition is paused. @default 3 */
  readonly retriesBeforePause?: number;
  /** @default 500 ms */
  readonly retryBaseDelayMs?: number;
  /** @default 3 */
  readonly partitionsConsumedConcurrently?: number;
  /** Where records that no index accepts go. @default - none: such a record stops the consumer */
  readonly deadLetter?: DeadLetterSink;
}

/** Receives records that cannot be indexed anywhere, with the reason; must be durable before it resolves. */
export type DeadLetterSink = (records: readonly SourceRecord[], error: Error) => Promise<void>;

/** A dead-letter sink producing to a Kafka topic, with the source coordinates and the error as headers. */
export function kafkaDeadLetter(producer: Producer, topic: string): DeadLetterSink {
  return async (records, error) => {
    await producer.send({
      topic,
      acks: -1,
      messages: records.map((r) => ({
        key: r.key === null ? null : Buffer.from(r.key),
        value: r.value === null ? null : Buffer.from(r.value),
        headers: {
          'x-source-topic': r.topic,
          'x-source-partition': String(r.partition),
          'x-source-offset': r.offset,
          'x-error': error.message.slice(0, 1000),
        },
      })),
    });
  };
}

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
  /** Resolves after stop(); rejects when the consumer crashed for good. */
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

/** Errors worth restarting the consumer for; the rest are bugs or permanent rejections. */
export function isRecoverable(error: unknown): boolean {
  if (error instanceof RetriableError) return true;
  if (error instanceof PipelineError) return false;
  const name = (error as Error | undefined)?.name ?? '';
  return name.startsWith('KafkaJS');
}

export async function runConsumer(options: RunConsumerOptions): Promise<RunningConsumer> {
  const { logger } = options;
  const chunkSize = options.chunkSize ?? 2000;
  const retriesBeforePause = options.retriesBeforePause ?? 3;
  const baseDelayMs = options.retryBaseDelayMs ?? 500;
  const pausedAttempts = new Map<number, number>();
  let settle: { resolve: () => void; reject: (error: unknown) => void } | undefined;
  const done = new Promise<void>((resolve, reject) => {
    settle = { resolve, reject };
  });

  const consumer = options.kafka.consumer({
    groupId: options.groupId,
    retry: { restartOnFailure: async (error) => isRecoverable(error) },
  });
  // kafkajs restarts by itself only after errors it flags retriable. A broker or coordinator outage can
  // surface as a non-retriable crash: once we have run, we rejoin with backoff instead of dying, because
  // the local runner has no supervisor. Our own permanent errors still end the run.
  let restarts = 0;
  let stopped = false;
  const start = async () => {
    await consumer.connect();
    await consumer.subscribe({ topics: [options.topic], fromBeginning: options.fromBeginning ?? true });
    await consumer.run({
      eachBatchAutoResolve: false,
      autoCommit: true,
      partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 3,
      eachBatch,
    });
  };
  const restartLater = () => {
    restarts++;
    const delay = backoffMs(restarts, 1_000, 30_000);
    logger.warn('rejoining the group after a crash', { attempt: restarts, delayMs: delay });
    setTimeout(() => {
      if (stopped) return;
      start().catch((error: unknown) => {
        logger.warn('rejoin failed', { error: error as Error });
        restartLater();
      });
    }, delay).unref();
  };
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (payload.restart) {
      logger.warn('consumer crashed, kafkajs restarts it', { error: payload.error });
    } else if (isRecoverable(payload.error) && !stopped) {
      restartLater();
    } else {
      logger.error('consumer crashed for good', { error: payload.error });
      settle?.reject(payload.error);
    }
  });
  consumer.on(consumer.events.GROUP_JOIN, () => {
    restarts = 0;
  });

  const processChunk = async (payload: EachBatchPayload, batch: Batch, messages: KafkaMessage[]) => {
    const records = messages.map((m) => toSourceRecord(batch.topic, batch.partition, m));
    // Heartbeat while a long chunk runs so the group does not evict us; errors surface on the next call.
    const timer = setInterval(() => {
      payload.heartbeat().catch((error: unknown) => logger.debug('heartbeat during chunk failed', { error }));
    }, 3_000);
    try {
      return await processOrDeadLetter(records, options.process, options.deadLetter);
    } finally {
      clearInterval(timer);
    }
  };

  const eachBatch = async (payload: EachBatchPayload) => {
    const { batch } = payload;
    const log = logger.child({ topic: batch.topic, partition: batch.partition });
    for (let i = 0; i < batch.messages.length; i += chunkSize) {
      if (!payload.isRunning() || payload.isStale()) return;
      const messages = batch.messages.slice(i, i + chunkSize);
      const range = { firstOffset: messages[0].offset, lastOffset: messages[messages.length - 1].offset };
      let summary: BatchSummary | undefined;
      for (let attempt = 1; summary === undefined; attempt++) {
        try {
          summary = await processChunk(payload, batch, messages);
        } catch (error) {
          if (!(error instanceof RetriableError)) throw error;
          if (attempt > retriesBeforePause) {
            // Pause this partition and come back later: the unresolved records are fetched again.
            const pauses = (pausedAttempts.get(batch.partition) ?? 0) + 1;
            pausedAttempts.set(batch.partition, pauses);
            const delay = backoffMs(pauses, baseDelayMs * 4, 60_000);
            log.warn('pausing partition: infrastructure unavailable', { ...range, delayMs: delay, error });
            const resume = payload.pause();
            setTimeout(resume, delay).unref();
            return;
          }
          log.warn('chunk failed, retrying', { ...range, attempt, error });
          await sleep(backoffMs(attempt, baseDelayMs));
          await payload.heartbeat();
          if (!payload.isRunning() || payload.isStale()) return;
        }
      }
      pausedAttempts.delete(batch.partition);
      payload.resolveOffset(range.lastOffset);
      await payload.commitOffsetsIfNecessary();
      await payload.heartbeat();
      const offsetLag = Math.max(0, Number(batch.highWatermark) - Number(range.lastOffset) - 1);
      options.onBatch?.(summary, {
        topic: batch.topic,
        partition: batch.partition,
        lastOffset: range.lastOffset,
        offsetLag,
      });
    }
  };

  await start();

  let stopping: Promise<void> | undefined;
  return {
    consumer,
    done,
    stop: () => {
      stopped = true;
      stopping ??= consumer.disconnect().then(() => settle?.resolve());
      return stopping;
    },
  };
}
