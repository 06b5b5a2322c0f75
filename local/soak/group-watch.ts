// What the soak watches on Kafka: the group's committed offsets (their sum moves forward when the consumer
// makes progress), its lag, and the records in the topic. One admin connection, made again after a failure,
// since the broker is one of the things the soak kills.
import type { Admin, Kafka } from 'kafkajs';
import { lagOf } from '../pipeline.js';

export interface TopicRecords {
  /** Records retained in the topic: the sum over partitions of end minus start offset. */
  readonly records: number;
  readonly partitions: readonly { partition: number; low: string; high: string }[];
}

export class GroupWatch {
  private admin: Promise<Admin> | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly groupId: string,
    private readonly topic: string,
  ) {}

  /** The sum of the committed offsets (partitions without a commit count 0). */
  async committed(): Promise<bigint> {
    const [offsets] = await this.call((admin) =>
      admin.fetchOffsets({ groupId: this.groupId, topics: [this.topic] }),
    );
    return (offsets?.partitions ?? []).reduce(
      (sum, p) => sum + (BigInt(p.offset) > 0n ? BigInt(p.offset) : 0n),
      0n,
    );
  }

  async lag(): Promise<number> {
    const [ends, [committed]] = await Promise.all([
      this.call((admin) => admin.fetchTopicOffsets(this.topic)),
      this.call((admin) => admin.fetchOffsets({ groupId: this.groupId, topics: [this.topic] })),
    ]);
    return Number(lagOf(ends, committed?.partitions ?? []));
  }

  async topicRecords(): Promise<TopicRecords> {
    const partitions = await this.call((admin) => admin.fetchTopicOffsets(this.topic));
    const records = partitions.reduce((sum, p) => sum + BigInt(p.high) - BigInt(p.low), 0n);
    return {
      records: Number(records),
      partitions: partitions.map(({ partition, low, high }) => ({ partition, low, high })),
    };
  }

  async close(): Promise<void> {
    await this.drop();
  }

  private async call<T>(request: (admin: Admin) => Promise<T>): Promise<T> {
    this.admin ??= (async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      return admin;
    })();
    try {
      return await request(await this.admin);
    } catch (error) {
      await this.drop();
      throw error;
    }
  }

  private async drop(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    await admin?.then((a) => a.disconnect()).catch(() => undefined);
  }
}
