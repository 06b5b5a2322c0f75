// The kafkajs consumer loop shared by the Fargate service and the local runner. It keeps the sink busy: each
// fetched batch is cut into chunks that are processed at once (decode, classify, one `_bulk` each), several per
// partition, as long as the records of the chunks in flight stay within a byte budget (`maxInFlightBytes`); kafkajs
// fetches the next batch meanwhile, so fetching and classifying overlap the requests that are out. Offsets are
// committed per partition in order, each only once its chunk and every chunk before it are indexed (at-least-once
// delivery, idempotent writes: exactly-once effect); work fetched under an older group generation is never
// committed (kafkajs fetches it again). What to do about an error is decided by its cause chain (kafkajs wraps
// ours): an outage (database, search, broker) is retried in place without limit, with backoff and heartbeats, so
// the group keeps its members and the wait shows as lag and warnings; a record that even the bad index refuses is
// isolated by bisecting its chunk and dead-lettered when a sink is configured; anything else (a permanent refusal,
// a bug) stops the consumer: nothing is committed from the failed chunk on, and `done` rejects so the process
// exits 1.
import kafkajs, { type Consumer, type EachBatchPayload, type Kafka, type KafkaMessage } from 'kafkajs';
import { emptyCounts } from './documents.js';
import { ConfigError, causeChain, DocumentRejectedError, PipelineError, RetriableError } from './errors.js';
import type { Logger } from './logger.js';
import { type BatchSummary, mergeSummaries } from './process-batch.js';
import { backoffMs, sleep } from './retry.js';
import { topicRecreationGuard } from './topic-recreation.js';

// kafkajs spreads its error classes into module.exports, which Node's ESM loader cannot see as named exports.
const { KafkaJSError, KafkaJSGroupCoordinatorNotFound } = kafkajs;

import type { SourceRecord } from './source-record.js';

/** Records per chunk (one users query, one _bulk) unless configured: `--chunk-size`, CHUNK_SIZE. */
export const DEFAULT_CHUNK_SIZE = 2000;
export const MIN_CHUNK_SIZE = 1;
/**
 * Record bytes (keys and values, as fetched) of the chunks being processed at once, all partitions together: the
 * bound of the consumer's memory whatever the backlog (a chunk in flight holds its records, documents and request
 * body: about 5 times its record bytes), and deep enough to keep several `_bulk` requests out while the next chunks
 * are classified. A chunk larger than the budget alone is still taken, alone.
 */
export const DEFAULT_MAX_IN_FLIGHT_BYTES = 2 * 1024 * 1024;
const FETCH_BYTES_PER_PARTITION = 512 * 1024;
/**
 * Chunks of one partition being processed at once. Under a steady stream, fetches are small and so are chunks;
 * a partition that may not take more makes kafkajs wait, so the next fetch brings what came meanwhile in one
 * larger chunk, as one chunk at a time did, instead of a queue of small `_bulk` requests.
 */
export const MAX_CHUNKS_PER_PARTITION = 3;
/** How often a consumer with work in flight heartbeats (kafkajs' own default interval). */
const HEARTBEAT_EVERY_MS = 3_000;

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
  /** Record bytes of the chunks processed at once, all partitions together. @default DEFAULT_MAX_IN_FLIGHT_BYTES */
  readonly maxInFlightBytes?: number;
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
  /** Stops fetching, finishes the chunks in flight, commits them, leaves the group. */
  stop(): Promise<void>;
  /** Resolves once no chunk taken so far is being processed or committed. */
  idle(): Promise<void>;
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

/** The chunks of one partition taken under one group generation, in offset order, until they are committed. */
interface Line {
  readonly topic: string;
  readonly partition: number;
  readonly queue: Chunk[];
  /** The partition's last batch: commits go through it, to the group generation kafkajs has now. */
  payload: EachBatchPayload;
  /** The last commit round queued: rounds run one after the other, each committing what is done by then. */
  tail: Promise<void>;
  /** Settles once the last chunk taken is processed: a chunk dead-letters only after those before it. */
  processed: Promise<void>;
  /** Chunks taken and not yet processed (MAX_CHUNKS_PER_PARTITION at most). */
  active: number;
}

interface Chunk {
  readonly firstOffset: string;
  readonly lastOffset: string;
  readonly highWatermark: string;
  /** Set once its documents are acknowledged (or dead-lettered). */
  summary?: BatchSummary;
}

/** Keys and values of the messages, as fetched: what a chunk counts against the in-flight budget. */
function recordBytes(messages: readonly KafkaMessage[]): number {
  let bytes = 0;
  for (const m of messages) bytes += (m.value?.length ?? 0) + (m.key?.length ?? 0);
  return bytes;
}

/**
 * The in-flight budget: a chunk is taken when its bytes fit beside the others', or when nothing is in flight.
 * Waiting heartbeats (inside eachBatch, kafkajs does not while we wait), so a slow sink keeps the membership.
 */
function byteWindow(limit: number) {
  let used = 0;
  let waiters: (() => void)[] = [];
  const wake = () => {
    const woken = waiters;
    waiters = [];
    for (const resolve of woken) resolve();
  };
  return {
    async acquire(
      bytes: number,
      keepWaiting: () => boolean,
      heartbeat: () => Promise<void>,
      roomElsewhere: () => boolean,
    ): Promise<boolean> {
      for (;;) {
        if (!keepWaiting()) return false;
        if ((used === 0 || used + bytes <= limit) && roomElsewhere()) {
          used += bytes;
          return true;
        }
        let timer: ReturnType<typeof setTimeout> | undefined;
        const timedOut = await new Promise<boolean>((resolve) => {
          waiters.push(() => resolve(false));
          timer = setTimeout(() => resolve(true), HEARTBEAT_EVERY_MS);
        });
        clearTimeout(timer);
        // A rebalance surfaces here as a kafkajs error: it propagates, and kafkajs rejoins.
        if (timedOut) await heartbeat();
      }
    },
    release(bytes: number) {
      used -= bytes;
      wake();
    },
    wake,
  };
}

export async function runConsumer(options: RunConsumerOptions): Promise<RunningConsumer> {
  const { logger } = options;
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) {
    throw new ConfigError(`chunkSize must be a positive integer, got ${chunkSize}`);
  }
  const maxInFlightBytes = options.maxInFlightBytes ?? DEFAULT_MAX_IN_FLIGHT_BYTES;
  if (!Number.isSafeInteger(maxInFlightBytes) || maxInFlightBytes < 1) {
    throw new ConfigError(`maxInFlightBytes must be a positive integer, got ${maxInFlightBytes}`);
  }
  const toRecord = options.toRecord ?? toSourceRecord;
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
    // Fetches of 512 KiB per partition instead of kafkajs' 1 MiB: with chunks processed while kafkajs fetches
    // ahead, a smaller fetch costs no throughput, and a fetch's buffer stays alive as long as one of its records is
    // in flight (measured on 200,000 events: RSS 280 MB instead of 295 MB; 256 KiB, 266 MB, but cut chunks below
    // 2,000 records, since a chunk never spans two fetches).
    maxBytesPerPartition: FETCH_BYTES_PER_PARTITION,
    retry: { restartOnFailure: async (error) => isRetriable(error) },
  });
  const recreation = topicRecreationGuard(options.kafka, options.groupId, options.topic);
  const window = byteWindow(maxInFlightBytes);
  /** The current line of each partition; a line no longer here is abandoned: its chunks commit nothing. */
  const lines = new Map<number, Line>();
  /** Each chunk taken, from its processing to its commit round. */
  const tasks = new Set<Promise<void>>();
  let stopped = false;
  let fatal: unknown;

  const idle = async () => {
    while (tasks.size > 0) await Promise.allSettled([...tasks]);
  };

  // kafkajs heartbeats between fetches; while chunks are in flight and no batch arrives (a slow sink, an outage
  // retried in place), we do, through the last batch's payload.
  let lastPayload: EachBatchPayload | undefined;
  let heartbeats: ReturnType<typeof setInterval> | undefined;
  const track = (task: Promise<void>) => {
    tasks.add(task);
    heartbeats ??= setInterval(() => {
      lastPayload?.heartbeat().catch((error: unknown) => logger.debug('heartbeat failed', { error }));
    }, HEARTBEAT_EVERY_MS);
    void task.finally(() => {
      tasks.delete(task);
      if (tasks.size === 0) {
        clearInterval(heartbeats);
        heartbeats = undefined;
      }
    });
  };

  // Stops the consumer for good, once the chunks in flight have settled (those before the failed one commit;
  // nothing from it on does). Not awaited by its caller, which is one of those chunks.
  const stopOnPermanentError = (error: unknown) => {
    if (fatal !== undefined) return;
    fatal = error;
    stopped = true;
    window.wake();
    logger.error('stopping the consumer: permanent error', { error: error as Error });
    idle()
      .then(() => consumer.disconnect())
      .catch((disconnectError: unknown) => logger.warn('disconnect failed', { error: disconnectError }))
      .finally(() => {
        settle?.reject(error);
        return recreation.close();
      });
  };

  // A new group generation (a rebalance, a rejoin) or a crash: kafkajs fetches again from the committed offsets,
  // so the chunks in flight are done twice at worst (writes are idempotent) and commit nothing, which could move a
  // partition that another member holds now.
  const abandonAll = () => {
    lines.clear();
    window.wake();
  };
  consumer.on(consumer.events.GROUP_JOIN, abandonAll);

  // kafkajs restarts by itself after the errors it deems retriable. A broker or coordinator outage can also
  // surface as a crash without restart: we then rejoin with a backoff that grows until a chunk gets through
  // again (a successful join alone does not reset it, so a flapping broker cannot cause a rejoin storm).
  let restarts = 0;
  const start = async () => {
    await consumer.connect();
    await consumer.subscribe({ topics: [options.topic], fromBeginning: options.fromBeginning ?? true });
    await consumer.run({
      eachBatchAutoResolve: false,
      // Resolving moves kafkajs' fetch position only: we commit, each chunk once it and those before it are indexed.
      autoCommit: false,
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
    abandonAll();
    if (stopped) return;
    if (payload.restart) logger.warn('consumer crashed, kafkajs restarts it', { error: payload.error });
    else if (isRetriable(payload.error)) restartLater();
    else stopOnPermanentError(payload.error);
  });

  const current = (line: Line) => !stopped && lines.get(line.partition) === line;

  /** Waits `ms` unless the consumer stops or the chunk's line is abandoned; heartbeats so the group keeps us. */
  const waitUnlessStopped = async (payload: EachBatchPayload, line: Line, ms: number): Promise<boolean> => {
    const until = Date.now() + ms;
    for (;;) {
      // Outside eachBatch now: a rebalance is kafkajs' to notice on its own heartbeat, which abandons this line.
      await payload.heartbeat().catch((error: unknown) => logger.debug('heartbeat failed', { error }));
      if (!current(line) || !payload.isRunning() || payload.isStale()) return false;
      const left = until - Date.now();
      if (left <= 0) return true;
      await sleep(Math.min(left, 1_000));
    }
  };

  /** The chunk's summary once it is indexed; undefined when the consumer stops or abandons its line first. */
  const processChunk = async (
    payload: EachBatchPayload,
    line: Line,
    records: SourceRecord[],
    deadLetter: DeadLetterSink | undefined,
    log: Logger,
  ): Promise<BatchSummary | undefined> => {
    const firstOffset = records[0].offset;
    for (let attempt = 1; ; attempt++) {
      try {
        const summary = await processOrDeadLetter(records, options.process, deadLetter);
        restarts = 0;
        return summary;
      } catch (error) {
        if (!isRetriable(error)) {
          stopOnPermanentError(error);
          return undefined;
        }
        const delayMs = backoffMs(attempt, baseDelayMs, maxDelayMs);
        const lastOffset = records[records.length - 1].offset;
        log.warn('chunk failed on an outage, retrying', { firstOffset, lastOffset, attempt, delayMs, error });
        options.onRetry?.(error, {
          topic: line.topic,
          partition: line.partition,
          firstOffset,
          attempt,
          delayMs,
        });
        if (!(await waitUnlessStopped(payload, line, delayMs))) return undefined;
      }
    }
  };

  /**
   * Commits the line's chunks that are done, in order, up to the first that is not; false when nothing may be
   * committed (the line was abandoned, or its topic recreated: then it seeks the new topic's start).
   */
  const commitThrough = async (line: Line, doneChunks: readonly Chunk[], log: Logger): Promise<boolean> => {
    const { topic, partition } = line;
    const first = doneChunks[0];
    const next = (BigInt(doneChunks[doneChunks.length - 1].lastOffset) + 1n).toString();
    // Also while stopping, and after a permanent error: these chunks come before it (a failed chunk is never done,
    // so no round reaches past it).
    const mayCommit = () => lines.get(partition) === line;
    for (let attempt = 1; ; attempt++) {
      if (!mayCommit()) return false;
      try {
        // Overlaps the chunks still being processed: only this partition's next commit waits for the round trip.
        const recreated = await recreation.recreatedSince(partition);
        if (!mayCommit()) return false;
        if (recreated !== undefined) {
          const { lostOffset, startOffset } = recreated;
          log.warn(
            `topic ${topic} was deleted and recreated under the consumer: its committed offset ${lostOffset} of ` +
              `partition ${partition} is gone; reading the new topic's partition ${partition} from offset ${startOffset}`,
            { lostOffset, startOffset },
          );
          // Unless these chunks already start there (kafkajs went back to the start of a shorter new topic by
          // itself), every chunk of the line was fetched at the old position: drop them, read from the start, and
          // commit it, so that the group has an offset of the new topic.
          if (first.firstOffset !== startOffset) {
            lines.set(partition, newLine(topic, partition, line.payload));
            consumer.seek({ topic, partition, offset: startOffset });
            await commit(line, startOffset);
            return false;
          }
        }
        await commit(line, next);
        recreation.committed(partition, next);
        return true;
      } catch (error) {
        if (lines.get(partition) !== line) return false;
        if (stopped || (!isRetriable(error) && !(error instanceof KafkaJSError))) {
          // A bug, or stopping with the broker away: the chunks are read again by whoever holds the partition next.
          log.warn('commit failed: leaving it to the next reader of the partition', {
            error: error as Error,
          });
          if (!stopped) stopOnPermanentError(error);
          return false;
        }
        // Broker or coordinator away, or a rebalance on its way (kafkajs then rejoins, which abandons the line).
        const delayMs = backoffMs(attempt, baseDelayMs, maxDelayMs);
        log.warn('commit failed, retrying', { nextOffset: next, attempt, delayMs, error: error as Error });
        await sleep(delayMs);
      }
    }
  };

  // Through the batch's payload, not consumer.commitOffsets, which kafkajs skips in silence while it restarts.
  const commit = (line: Line, offset: string) =>
    line.payload.commitOffsetsIfNecessary({
      topics: [{ topic: line.topic, partitions: [{ partition: line.partition, offset }] }],
    });

  /** One commit round of a line: the chunks done at its head, committed at once, then reported in order. */
  const commitRound = async (line: Line, log: Logger) => {
    let count = 0;
    while (count < line.queue.length && line.queue[count].summary !== undefined) count++;
    if (count === 0 || lines.get(line.partition) !== line) return;
    const doneChunks = line.queue.slice(0, count);
    if (!(await commitThrough(line, doneChunks, log))) return;
    line.queue.splice(0, count);
    for (const chunk of doneChunks) {
      const offsetLag = Math.max(0, Number(chunk.highWatermark) - Number(chunk.lastOffset) - 1);
      options.onBatch?.(chunk.summary as BatchSummary, {
        topic: line.topic,
        partition: line.partition,
        lastOffset: chunk.lastOffset,
        offsetLag,
      });
    }
  };

  const newLine = (topic: string, partition: number, payload: EachBatchPayload): Line => ({
    topic,
    partition,
    payload,
    queue: [],
    tail: Promise.resolve(),
    processed: Promise.resolve(),
    active: 0,
  });

  /** Processes one chunk, then queues a commit round of its line. Never rejects. */
  const runChunk = async (
    payload: EachBatchPayload,
    line: Line,
    chunk: Chunk,
    records: SourceRecord[],
    bytes: number,
    log: Logger,
  ): Promise<void> => {
    // Dead letters keep the partition's order: a chunk's wait for those before it (only when it has one to send).
    const before = line.processed;
    const sink = options.deadLetter;
    const deadLetter: DeadLetterSink | undefined =
      sink === undefined ? undefined : (records, error) => before.then(() => sink(records, error));
    let processed: () => void = () => undefined;
    line.processed = new Promise<void>((resolve) => {
      processed = resolve;
    });
    let summary: BatchSummary | undefined;
    try {
      summary = await processChunk(payload, line, records, deadLetter, log);
    } catch (error) {
      stopOnPermanentError(error);
    } finally {
      line.active--;
      window.release(bytes);
      processed();
    }
    if (summary === undefined) return;
    chunk.summary = summary;
    line.tail = line.tail.then(() =>
      commitRound(line, log).catch((error: unknown) => stopOnPermanentError(error)),
    );
    await line.tail;
  };

  const eachBatch = async (payload: EachBatchPayload) => {
    const { batch } = payload;
    lastPayload = payload;
    const { topic, partition } = batch;
    const log = logger.child({ topic, partition });
    let line = lines.get(partition);
    if (line === undefined) {
      line = newLine(topic, partition, payload);
      lines.set(partition, line);
    }
    line.payload = payload;
    const ours = line;
    const keepGoing = () => current(ours) && payload.isRunning() && !payload.isStale();
    for (let i = 0; i < batch.messages.length; i += chunkSize) {
      if (!keepGoing()) break;
      const messages = batch.messages.slice(i, i + chunkSize);
      // Records, not kafkajs' messages, are what a chunk keeps while it is in flight: the messages (with their
      // headers objects and timestamp strings) are garbage once the batch is handed out, instead of surviving into
      // the old generation with the chunks.
      let records: SourceRecord[];
      try {
        records = messages.map((m) => toRecord(topic, partition, m));
      } catch (error) {
        // A toRecord that throws is a bug: the chunk fails for good, as in processing.
        stopOnPermanentError(error);
        break;
      }
      const bytes = recordBytes(messages);
      const roomInPartition = () => ours.active < MAX_CHUNKS_PER_PARTITION;
      if (!(await window.acquire(bytes, keepGoing, () => payload.heartbeat(), roomInPartition))) break;
      ours.active++;
      const chunk: Chunk = {
        firstOffset: messages[0].offset,
        lastOffset: messages[messages.length - 1].offset,
        highWatermark: batch.highWatermark,
      };
      ours.queue.push(chunk);
      track(runChunk(payload, ours, chunk, records, bytes, log));
      // kafkajs fetches the next batch from here on while this one's chunks are processed.
      payload.resolveOffset(chunk.lastOffset);
    }
    // Stopping: no more fetches of this partition while the chunks in flight finish.
    if (stopped) payload.pause();
  };

  await start();

  let stopping: Promise<void> | undefined;
  return {
    consumer,
    done,
    idle,
    stop: () => {
      stopped = true;
      window.wake();
      // The chunks in flight finish and commit first: kafkajs commits nothing once it no longer runs.
      stopping ??= idle()
        .then(() => consumer.disconnect())
        .then(() => recreation.close())
        .then(() => {
          if (fatal === undefined) settle?.resolve();
        });
      return stopping;
    },
  };
}
