// Reads every record a topic holds now, from its first retained offset up to the end offsets seen at the
// start, and returns them: what the smoke test does to the dead-letter topic. kafkajs reads only as a group
// member, so the read uses a group of its own that commits nothing and is deleted afterwards.
import type { Kafka, KafkaMessage } from 'kafkajs';

export interface TopicRecord {
  readonly partition: number;
  readonly message: KafkaMessage;
}

export class ReadTopicError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ReadTopicError';
  }
}

export interface ReadTopicOptions {
  readonly topic: string;
  /** The throwaway group's id: the caller's credentials must be allowed to join and delete it. */
  readonly groupId: string;
  /** Give up after this long. @default 120_000 */
  readonly timeoutMs?: number;
}

export async function readTopic(kafka: Kafka, options: ReadTopicOptions): Promise<TopicRecord[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = new Map(
      (await admin.fetchTopicOffsets(options.topic))
        .filter((p) => BigInt(p.high) > BigInt(p.low))
        .map((p) => [p.partition, BigInt(p.high)]),
    );
    if (ends.size === 0) return [];
    const records: TopicRecord[] = [];
    const pending = new Set(ends.keys());
    const consumer = kafka.consumer({ groupId: options.groupId });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [options.topic], fromBeginning: true });
      const timeoutMs = options.timeoutMs ?? 120_000;
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new ReadTopicError(
                `read of ${options.topic} did not reach its end offsets within ${timeoutMs / 1000}s (partitions ${[...pending].join(', ')} left)`,
              ),
            ),
          timeoutMs,
        );
        consumer
          .run({
            autoCommit: false,
            eachMessage: async ({ partition, message }) => {
              const end = ends.get(partition);
              if (end === undefined || BigInt(message.offset) >= end) return;
              records.push({ partition, message });
              if (BigInt(message.offset) + 1n >= end) pending.delete(partition);
              if (pending.size === 0) resolve();
            },
          })
          .catch(reject);
      }).finally(() => clearTimeout(timer));
    } finally {
      await consumer.disconnect();
    }
    return records.sort(
      (a, b) => a.partition - b.partition || Number(BigInt(a.message.offset) - BigInt(b.message.offset)),
    );
  } finally {
    // The group only existed for this read; a failure to delete it leaves an empty group, nothing worse.
    await admin.deleteGroups([options.groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}
