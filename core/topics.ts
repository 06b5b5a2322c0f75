// Makes sure a topic exists before a producer or consumer uses it: brokers with topic auto-creation off (the
// local one, MSK by default) otherwise answer every request with "This server does not host this
// topic-partition" until the client gives up, which never says that the topic is missing.
import type { Kafka } from 'kafkajs';
import { ConfigError } from './errors.js';

/** Partitions of a topic created because it was missing: a few, so a group of consumers can share it. */
export const DEFAULT_TOPIC_PARTITIONS = 3;

/**
 * Creates `topic` with `partitions` partitions (and the broker's default replication) unless it exists;
 * true when this call created it. Listing needs only describe rights, so a client that may not create
 * topics still works with an existing one.
 */
export async function ensureTopic(kafka: Kafka, topic: string, partitions: number): Promise<boolean> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    if ((await admin.listTopics()).includes(topic)) return false;
    try {
      // Resolves false (no error) when someone else created it in the meantime.
      return await admin.createTopics({
        topics: [{ topic, numPartitions: partitions }],
        waitForLeaders: true,
      });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new ConfigError(
        `topic '${topic}' does not exist and could not be created (${reason}): create it, or name an existing one with --topic`,
        { cause: error },
      );
    }
  } finally {
    await admin.disconnect();
  }
}
