// Lambda handler for the MSK event source mapping: turns the event into SourceRecords and hands the whole
// batch to the runtime core. Any error propagates on purpose: the event source mapping then retries (bounded),
// bisects the batch and finally sends it to the on-failure destination; writes are idempotent, so a retried
// batch overwrites its own documents.
import type { MSKEvent, MSKRecord } from 'aws-lambda';
import { createPipelineDeps, type PipelineDeps, pipelineConfigFromEnv } from '../aws/pipeline-deps.js';
import { createLogger, type Logger } from '../core/logger.js';
import { emitBatchMetrics } from '../core/metrics.js';
import { type BatchSummary, type ProcessBatchDeps, processBatch } from '../core/process-batch.js';
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

export interface MskHandlerOptions {
  /** Built on the first event and reused by later invocations of the same execution environment. */
  readonly deps: () => Omit<ProcessBatchDeps, 'logger'>;
  readonly process?: typeof processBatch;
  readonly emitMetrics?: (summary: BatchSummary) => void;
  readonly logger?: Logger;
}

export function createMskHandler(options: MskHandlerOptions): (event: MSKEvent) => Promise<BatchSummary> {
  const process = options.process ?? processBatch;
  const logger = options.logger ?? createLogger({ handler: 'msk-consumer' });
  let deps: Omit<ProcessBatchDeps, 'logger'> | undefined;
  return async (event) => {
    const records = mskEventToRecords(event);
    const batchLogger = logger.child({ eventSourceArn: event.eventSourceArn, ...offsetRanges(records) });
    try {
      deps ??= options.deps();
      const summary = await process(records, { ...deps, logger: batchLogger });
      options.emitMetrics?.(summary);
      batchLogger.info('batch indexed', {
        total: summary.total,
        ...summary.counts,
        rerouted: summary.rerouted,
      });
      return summary;
    } catch (error) {
      batchLogger.error('batch failed; the event source mapping will retry or bisect it', { error });
      throw error;
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
  // The dimension the CloudWatch dashboard and alarms select on.
  emitMetrics: (summary) =>
    emitBatchMetrics(summary, { namespace: runtimeFromEnv().namespace, dimensions: { Consumer: 'lambda' } }),
});
