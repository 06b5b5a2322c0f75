// Tells a running consumer that its topic was deleted and created again. kafkajs keeps its in-memory fetch
// position through the deletion and resumes there on the new topic: with 2,000 records read from the old topic
// and 4,000 produced to the new one, offsets 0-1999 of the new topic were never read, lag showed 0, and nothing
// said so (5 runs out of 5 against Kafka 3.9). Topic ids would tell the two topics apart, but kafkajs 2.2.4
// speaks Metadata v6, which predates them. What does tell: Kafka deletes a group's committed offsets together
// with their topic. So before each commit the consumer asks the group coordinator for the partition's committed
// offset; when the offset it committed last is gone (or was moved back: see below), the partition is a new
// topic's, and it reads that partition again from its start instead of committing (the new topic's document ids differ from the old one's, so
// nothing is overwritten; records read twice overwrite their own documents).
//
// What this cannot see: a recreation in the one round trip between that check and the commit, or before the
// consumer's first commit of a partition (it has no offset of its own to miss yet).
import type { Admin, Kafka } from 'kafkajs';

export interface TopicRecreationGuard {
  /**
   * The offset the partition's new topic starts at (its log start offset) when the topic was recreated since
   * this consumer's last commit of the partition, else undefined. Throws what the broker throws (an outage).
   */
  recreatedSince(partition: number): Promise<RecreatedPartition | undefined>;
  /** Records that this consumer committed `nextOffset` for the partition (its next record to read). */
  committed(partition: number, nextOffset: string): void;
  close(): Promise<void>;
}

export interface RecreatedPartition {
  /** The offset this consumer had committed, which the broker no longer has. */
  readonly lostOffset: string;
  /** Where the new topic's partition starts. */
  readonly startOffset: string;
}

/** Kafka's answer for a partition without a committed offset: below any offset a consumer commits. */
const NO_OFFSET = '-1';

export function topicRecreationGuard(kafka: Kafka, groupId: string, topic: string): TopicRecreationGuard {
  const ours = new Map<number, string>();
  let admin: Promise<Admin> | undefined;
  const connected = () => {
    admin ??= (async () => {
      // kafkajs' own retries apply (the client's, for connecting): the chunk's heartbeats go on meanwhile, and an
      // outage that outlasts them reaches the consumer's loop as a retriable error (isRetriable).
      const made = kafka.admin();
      await made.connect();
      return made;
    })().catch((error: unknown) => {
      admin = undefined;
      throw error;
    });
    return admin;
  };
  return {
    async recreatedSince(partition) {
      const lostOffset = ours.get(partition);
      if (lostOffset === undefined) return undefined;
      const client = await connected();
      const [committed] = await client.fetchOffsets({ groupId, topics: [topic] });
      const now = committed?.partitions.find((p) => p.partition === partition)?.offset ?? NO_OFFSET;
      // Kafka only moves a group's offset back when told to (a replay, which needs the group stopped), so an
      // offset behind ours means kafkajs reset it: its position lay past the end of a shorter new topic, and it
      // moved to the default (earliest, or latest for a group that starts at the end: records skipped).
      if (BigInt(now) >= BigInt(lostOffset)) {
        // Ours, or a later one of the member that held the partition between two rebalances.
        ours.set(partition, now);
        return undefined;
      }
      const start =
        (await client.fetchTopicOffsets(topic)).find((p) => p.partition === partition)?.low ?? '0';
      ours.set(partition, start);
      return { lostOffset, startOffset: start };
    },
    committed(partition, nextOffset) {
      ours.set(partition, nextOffset);
    },
    async close() {
      const last = admin;
      admin = undefined;
      await last?.then((a) => a.disconnect()).catch(() => undefined);
    },
  };
}
