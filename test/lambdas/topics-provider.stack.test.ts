import { randomBytes } from 'node:crypto';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconcileTopics, TopicChangeError } from '../../lambdas/topics-provider.js';
import { localEndpoints } from '../../local/endpoints.js';

describe('reconcileTopics against the local Kafka', () => {
  const run = randomBytes(4).toString('hex');
  const first = `cr-test-${run}-logs`;
  const second = `cr-test-${run}-dlq`;
  let admin: Admin;

  beforeAll(async () => {
    const kafka = new Kafka({
      clientId: `topics-provider-test-${run}`,
      brokers: localEndpoints().brokers,
      logLevel: logLevel.NOTHING,
    });
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin.deleteTopics({ topics: [first, second] }).catch(() => undefined);
    await admin.disconnect();
  });

  async function partitions(topic: string): Promise<number> {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    return topics[0].partitions.length;
  }

  it('creates the topics on Create, then only grows partitions on Update', async () => {
    const created = await reconcileTopics(admin, [{ name: first, partitions: 2, replicationFactor: 1 }]);
    expect(created.create.map((t) => t.name)).toEqual([first]);
    expect(await partitions(first)).toBe(2);

    const updated = await reconcileTopics(admin, [
      { name: first, partitions: 4, replicationFactor: 1 },
      { name: second, partitions: 1, replicationFactor: 1 },
    ]);
    expect(updated).toEqual({
      create: [{ name: second, partitions: 1, replicationFactor: 1 }],
      grow: [{ name: first, from: 2, to: 4 }],
      unchanged: [],
    });
    expect(await partitions(first)).toBe(4);
    expect(await partitions(second)).toBe(1);

    const again = await reconcileTopics(admin, [
      { name: first, partitions: 4, replicationFactor: 1 },
      { name: second, partitions: 1, replicationFactor: 1 },
    ]);
    expect(again.unchanged).toEqual([first, second]);
  });

  it('fails an update that would shrink a topic and leaves it untouched', async () => {
    await expect(
      reconcileTopics(admin, [{ name: first, partitions: 1, replicationFactor: 1 }]),
    ).rejects.toThrow(TopicChangeError);
    expect(await partitions(first)).toBe(4);
  });
});
