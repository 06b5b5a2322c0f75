// Lambda handler for the MSK event source mapping: turns the event into SourceRecords and hands them to the
// runtime core, with the same promise as the kafkajs consumer loop (core/consumer.ts):
// - an outage (database, search, dead-letter broker) is retried inside the invocation with backoff while time
//   is left, then returned to the mapping as an error; the mapping retries without limit (MaximumRetryAttempts
//   and MaximumRecordAgeInSeconds -1, no on-failure destination: see lib/lambda-consumer.ts), so no outage of
//   any length skips a record, and nothing is committed past a batch until all of it is indexed;
// - a record that no index accepts goes to the dead-letter topic with its exact bytes and the reason, and the
//   rest of the batch goes on (processOrDeadLetter bisects to find it), without any manual step; whatever its
//   size: the sink compresses, and cuts a record to the topic's limit only when it does not fit even so;
// - a permanent error (a 403, a bug) fails every attempt loudly: an ERROR line saying what to fix, the
//   ConsumerErrors alarm, and offset lag growing; the partition waits rather than skipping.
// Writes are idempotent (the document id is the record's), so a retried batch overwrites its own documents.
import type { Context, MSKEvent, MSKRecord } from 'aws-lambda';
import { resolveIamBrokers } from '../aws/msk-brokers.js';
import { createMskKafka } from '../aws/msk-iam.js';
import { createPipelineDeps, type PipelineDeps, pipelineConfigFromEnv } from '../aws/pipeline-deps.js';
import { type DeadLetterSink, isRetriable, processOrDeadLetter } from '../core/consumer.js';
import { DeadLetterUnavailableError, kafkaDeadLetter } from '../core/dead-letter.js';
import { requireEnv } from '../core/env.js';
import { createLogger, type Logger } from '../core/logger.js';
import { emitBatchMetrics } from '../core/metrics.js';
import { type BatchSummary, type ProcessBatchDeps, processBatch } from '../core/process-batch.js';
import { backoffMs, sleep } from '../core/retry.js';
import type { SourceRecord } from '../core/source-record.js';

/** The MSK record as it really arrives: key and value may be absent (null key, tombstone). */
type LambdaMskRecord = Omit<MSKRecord, 'key' | 'value'> & { key?: string | null; value?: string | null };

function fromBase64(data: string | null | undefined): Uint8Array | null {
  if (data === undefined || data === null) return null;
  const bytes = Buffer.from(data, 'base64');
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Flattens `records` (keyed `topic-partition`) into SourceRecords, partition by partition in the order the
 * event lists them. Topic and partition come from each record, not from the key: topic names may contain '-'.
 * Offsets arrive as JSON numbers; they stay exact up to 2^53, far beyond any partition's offset in practice.
 */
export function mskEventToRecords(event: Pick<MSKEvent, 'records'>): SourceRecord[] {
  const out: SourceRecord[] = [];
  for (const records of Object.values(event.records ?? {})) {
    for (const r of records as LambdaMskRecord[]) {
      out.push({
        topic: r.topic,
        partition: r.partition,
        offset: String(r.offset),
        timestampMs: r.timestamp,
        key: fromBase64(r.key),
        value: fromBase64(r.value),
      });
    }
  }
  return out;
}

/** What the handler needs of the Lambda context: the time left before the function times out. */
export type InvocationContext = Pick<Context, 'getRemainingTimeInMillis'>;

export interface MskHandlerOptions {
  /** Built on the first event and reused by later invocations of the same execution environment. */
  readonly deps: () => Omit<ProcessBatchDeps, 'logger'>;
  /** Where records that no index accepts go, built on the first event; the argument is the event's cluster. */
  readonly deadLetter?: (eventSourceArn: string) => DeadLetterSink;
  readonly process?: typeof processBatch;
  readonly emitMetrics?: (summary: BatchSummary) => void;
  readonly logger?: Logger;
  /** First delay before retrying the batch in the invocation after an outage, doubled per attempt. @default 500 */
  readonly retryBaseDelayMs?: number;
  /** @default 20_000 ms */
  readonly retryMaxDelayMs?: number;
  /**
   * Time kept before the function's timeout when deciding on one more attempt in this invocation: a timed-out
   * invocation is retried by the mapping just the same, but a returned error says why. @default 30_000 ms
   */
  readonly reserveMs?: number;
}

export type MskHandler = (event: MSKEvent, context?: InvocationContext) => Promise<BatchSummary>;

export function createMskHandler(options: MskHandlerOptions): MskHandler {
  const process = options.process ?? processBatch;
  const logger = options.logger ?? createLogger({ handler: 'msk-consumer' });
  const baseDelayMs = options.retryBaseDelayMs ?? 500;
  const maxDelayMs = options.retryMaxDelayMs ?? 20_000;
  const reserveMs = options.reserveMs ?? 30_000;
  let deps: Omit<ProcessBatchDeps, 'logger'> | undefined;
  let deadLetter: DeadLetterSink | undefined;
  return async (event, context) => {
    const records = mskEventToRecords(event);
    const batchLogger = logger.child({ eventSourceArn: event.eventSourceArn, ...offsetRanges(records) });
    for (let attempt = 1; ; attempt++) {
      try {
        deps ??= options.deps();
        // The sink connects on first use: building it costs nothing until a record needs it.
        deadLetter ??= options.deadLetter?.(event.eventSourceArn);
        const current = deps;
        const summary = await processOrDeadLetter(
          records,
          (part) => process(part, { ...current, logger: batchLogger }),
          deadLetter,
        );
        options.emitMetrics?.(summary);
        batchLogger.info('batch indexed', {
          total: summary.total,
          ...summary.counts,
          rerouted: summary.rerouted,
          deadLettered: summary.deadLettered ?? 0,
          attempts: attempt,
        });
        return summary;
      } catch (error) {
        if (!isRetriable(error)) {
          batchLogger.error(
            'permanent error: fix the cause; the event source mapping retries this batch until then',
            { error },
          );
          throw error;
        }
        const delayMs = backoffMs(attempt, baseDelayMs, maxDelayMs);
        const remainingMs = context?.getRemainingTimeInMillis() ?? Number.POSITIVE_INFINITY;
        if (remainingMs - delayMs < reserveMs) {
          batchLogger.warn('outage outlasts this invocation: the event source mapping retries the batch', {
            attempt,
            error,
          });
          throw error;
        }
        batchLogger.warn('batch failed on an outage, retrying', { attempt, delayMs, error });
        await sleep(delayMs);
      }
    }
  };
}

/** `{ partitions: { 'server-logs-0': '17-42' } }`: enough to find the batch in Kafka from a log line. */
function offsetRanges(records: readonly SourceRecord[]): {
  records: number;
  partitions: Record<string, string>;
} {
  const ranges: Record<string, [bigint, bigint]> = {};
  for (const r of records) {
    const key = `${r.topic}-${r.partition}`;
    const offset = BigInt(r.offset);
    const range = ranges[key];
    if (range === undefined) ranges[key] = [offset, offset];
    else ranges[key] = [offset < range[0] ? offset : range[0], offset > range[1] ? offset : range[1]];
  }
  const partitions = Object.fromEntries(Object.entries(ranges).map(([k, [lo, hi]]) => [k, `${lo}-${hi}`]));
  return { records: records.length, partitions };
}

/**
 * The dead-letter topic on the event's own cluster, reached with the function's IAM role. The brokers are
 * looked up on first use; a failed lookup is an outage (the batch is retried), and is tried again next time.
 */
export function mskDeadLetter(options: {
  readonly region: string;
  readonly topic: string;
  readonly clusterArn: string;
}): DeadLetterSink {
  const { region, topic, clusterArn } = options;
  let sink: Promise<DeadLetterSink> | undefined;
  return async (records, error) => {
    sink ??= resolveIamBrokers(clusterArn).then(
      (brokers) =>
        kafkaDeadLetter(createMskKafka({ brokers, region, clientId: 'log-pipeline-lambda-dlq' }), topic).sink,
    );
    const current = sink;
    let send: DeadLetterSink;
    try {
      send = await current;
    } catch (lookupError) {
      if (sink === current) sink = undefined;
      throw new DeadLetterUnavailableError(
        `dead-letter topic ${topic} unavailable: ${(lookupError as Error).message}`,
        { cause: lookupError },
      );
    }
    await send(records, error);
  };
}

/** Read once per execution environment, on the first event (not at import: tests import this module). */
let runtime: { readonly deps: PipelineDeps; readonly namespace: string } | undefined;

function runtimeFromEnv(): { readonly deps: PipelineDeps; readonly namespace: string } {
  if (runtime === undefined) {
    const config = pipelineConfigFromEnv();
    runtime = { deps: createPipelineDeps(config), namespace: config.metricsNamespace };
  }
  return runtime;
}

export const handler = createMskHandler({
  deps: () => runtimeFromEnv().deps,
  deadLetter: (clusterArn) =>
    mskDeadLetter({ region: requireEnv('AWS_REGION'), topic: requireEnv('KAFKA_DLQ_TOPIC'), clusterArn }),
  // The dimension the CloudWatch dashboard and alarms select on.
  emitMetrics: (summary) =>
    emitBatchMetrics(summary, { namespace: runtimeFromEnv().namespace, dimensions: { Consumer: 'lambda' } }),
});
