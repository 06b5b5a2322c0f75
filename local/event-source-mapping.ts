// A local stand-in for Lambda's Kafka event source mapping, so that the Lambda handler can be run against the
// local Kafka the way AWS runs it (https://docs.aws.amazon.com/lambda/latest/dg/with-msk-process.html and
// kafka-retry-configurations.html): each partition is read in order, in batches of up to `batchSize` records
// in the MSK event shape; the function is invoked synchronously with a timeout; the group's offsets move
// past a batch only once an invocation of it succeeds. When an invocation fails (an error or a timeout), the
// batch is retried as the mapping's error handling says: `retryAttempts` (-1: without limit),
// `maxRecordAgeSeconds` (-1: without limit), `bisectBatchOnError` (split the failed batch, retry each half).
// A batch that exhausts them is discarded, as AWS discards it or sends it to an on-failure destination: the
// records are reported to `onDiscard` and the offsets move on. That is the skip this project's mapping must
// never make; the emulator makes it when told to, so tests can show that the deployed settings never do.
import type { MSKEvent, MSKRecord } from 'aws-lambda';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { sleep } from '../core/retry.js';
import type { InvocationContext } from '../lambdas/msk-consumer.js';

export interface MappingErrorHandling {
  /** Retries of a failed batch after its first invocation; -1 for no limit (AWS's default for Kafka). */
  readonly retryAttempts: number;
  /** Oldest record age a batch may be (re)tried with; -1 for no limit (AWS's default for Kafka). */
  readonly maxRecordAgeSeconds: number;
  readonly bisectBatchOnError: boolean;
}

export interface EventSourceMappingOptions {
  readonly kafka: Kafka;
  readonly topic: string;
  readonly groupId: string;
  readonly handler: (event: MSKEvent, context: InvocationContext) => Promise<unknown>;
  readonly errorHandling: MappingErrorHandling;
  /** @default 100 (AWS's default BatchSize) */
  readonly batchSize?: number;
  /** The function's timeout: an invocation still running then counts as failed. */
  readonly functionTimeoutMs: number;
  /** Pause between two invocations of a failed batch. @default 1_000 ms */
  readonly retryDelayMs?: number;
  /** @default a made-up local cluster ARN */
  readonly eventSourceArn?: string;
  /** Records of a batch that exhausted the error handling, as they would reach an on-failure destination. */
  readonly onDiscard?: (records: readonly MSKRecord[], error: unknown) => void;
}

export interface MappingStats {
  invocations: number;
  failedInvocations: number;
  discardedRecords: number;
}

export interface RunningMapping {
  readonly stats: Readonly<MappingStats>;
  stop(): Promise<void>;
}

const LOCAL_CLUSTER_ARN =
  'arn:aws:kafka:local:000000000000:cluster/local/00000000-0000-0000-0000-000000000000-1';

export function toMskRecord(topic: string, partition: number, message: KafkaMessage): MSKRecord {
  const record: Record<string, unknown> = {
    topic,
    partition,
    offset: Number(message.offset),
    timestamp: Number(message.timestamp),
    timestampType: 'CREATE_TIME',
    headers: Object.entries(message.headers ?? {}).map(([name, value]) => ({
      [name]: [...Buffer.from(String(Array.isArray(value) ? value[0] : (value ?? '')))],
    })),
  };
  // Lambda leaves out a null key, and sends a tombstone's value as null.
  if (message.key !== null && message.key !== undefined) record.key = message.key.toString('base64');
  record.value = message.value === null ? null : message.value.toString('base64');
  return record as unknown as MSKRecord;
}

/** The event Lambda hands the function: records grouped by `topic-partition`. */
export function mskEvent(records: readonly MSKRecord[], eventSourceArn: string): MSKEvent {
  const byPartition: Record<string, MSKRecord[]> = {};
  for (const r of records) {
    const key = `${r.topic}-${r.partition}`;
    byPartition[key] ??= [];
    byPartition[key].push(r);
  }
  return { eventSource: 'aws:kafka', eventSourceArn, bootstrapServers: 'local', records: byPartition };
}

export async function runEventSourceMapping(options: EventSourceMappingOptions): Promise<RunningMapping> {
  const batchSize = options.batchSize ?? 100;
  const retryDelayMs = options.retryDelayMs ?? 1_000;
  const eventSourceArn = options.eventSourceArn ?? LOCAL_CLUSTER_ARN;
  const { retryAttempts, maxRecordAgeSeconds, bisectBatchOnError } = options.errorHandling;
  const stats: MappingStats = { invocations: 0, failedInvocations: 0, discardedRecords: 0 };
  let stopped = false;

  const invoke = async (records: readonly MSKRecord[]): Promise<void> => {
    stats.invocations++;
    const deadline = Date.now() + options.functionTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Task timed out after ${options.functionTimeoutMs / 1000} seconds`)),
        options.functionTimeoutMs,
      );
    });
    try {
      await Promise.race([
        options.handler(mskEvent(records, eventSourceArn), {
          getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
        }),
        timedOut,
      ]);
    } catch (error) {
      stats.failedInvocations++;
      throw error;
    } finally {
      clearTimeout(timer);
    }
  };

  /** Resolves once the batch was processed or discarded; false if the mapping stopped first. */
  const deliver = async (records: readonly MSKRecord[], payload: EachBatchPayload): Promise<boolean> => {
    for (let retries = 0; ; retries++) {
      if (stopped || !payload.isRunning()) return false;
      try {
        await invoke(records);
        return true;
      } catch (error) {
        const oldest = Math.min(...records.map((r) => r.timestamp));
        const expired = maxRecordAgeSeconds >= 0 && Date.now() - oldest > maxRecordAgeSeconds * 1000;
        const exhausted = retryAttempts >= 0 && retries >= retryAttempts;
        if (bisectBatchOnError && records.length > 1 && !expired) {
          const middle = Math.ceil(records.length / 2);
          return (
            (await deliver(records.slice(0, middle), payload)) &&
            (await deliver(records.slice(middle), payload))
          );
        }
        if (expired || exhausted) {
          stats.discardedRecords += records.length;
          options.onDiscard?.(records, error);
          return true;
        }
        const until = Date.now() + retryDelayMs;
        while (Date.now() < until) {
          await payload.heartbeat();
          await sleep(Math.min(250, until - Date.now()));
        }
      }
    }
  };

  const consumer: Consumer = options.kafka.consumer({ groupId: options.groupId });
  await consumer.connect();
  // TRIM_HORIZON, the starting position the stack configures.
  await consumer.subscribe({ topics: [options.topic], fromBeginning: true });
  await consumer.run({
    eachBatchAutoResolve: false,
    autoCommit: true,
    autoCommitThreshold: 1,
    eachBatch: async (payload) => {
      const { batch } = payload;
      const heartbeats = setInterval(() => payload.heartbeat().catch(() => undefined), 3_000);
      try {
        for (let i = 0; i < batch.messages.length; i += batchSize) {
          const messages = batch.messages.slice(i, i + batchSize);
          const records = messages.map((m) => toMskRecord(batch.topic, batch.partition, m));
          if (!(await deliver(records, payload))) return;
          payload.resolveOffset(messages[messages.length - 1].offset);
          await payload.commitOffsetsIfNecessary();
        }
      } finally {
        clearInterval(heartbeats);
      }
    },
  });
  return {
    stats,
    stop: async () => {
      stopped = true;
      await consumer.disconnect();
    },
  };
}
