import { randomBytes } from 'node:crypto';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PropertyError } from '../../lambdas/custom-resource.js';
import { parseTopics, planTopics, reconcileTopics, TopicChangeError } from '../../lambdas/topics-provider.js';
import { localEndpoints } from '../../local/endpoints.js';

describe('parseTopics', () => {
  it('accepts the numbers CloudFormation sends as strings', () => {
    expect(parseTopics([{ Name: 'server-logs', Partitions: '6', ReplicationFactor: '3' }])).toEqual([
      { name: 'server-logs', partitions: 6, replicationFactor: 3 },
    ]);
  });

  it('names the topic property that is wrong', () => {
    expect(() => parseTopics([{ Name: 'a', Partitions: 'six', ReplicationFactor: 3 }])).toThrow(
      'property Partitions must be an integer >= 1, got "six"',
    );
    expect(() => parseTopics([{ Name: 'bad name', Partitions: 1, ReplicationFactor: 1 }])).toThrow(
      PropertyError,
    );
    expect(() => parseTopics([])).toThrow('property Topics must be a non-empty list');
  });

  it('refuses a topic declared twice', () => {
    const t = { Name: 'a', Partitions: 1, ReplicationFactor: 1 };
    expect(() => parseTopics([t, t])).toThrow("topic 'a' is declared twice");
  });
});

describe('planTopics', () => {
  const spec = (name: string, partitions: number, replicationFactor = 3) => ({
    name,
    partitions,
    replicationFactor,
  });

  it('creates missing topics, grows smaller ones and leaves equal ones', () => {
    const existing = new Map([
      ['grows', { partitions: 3, replicationFactor: 3 }],
      ['same', { partitions: 6, replicationFactor: 3 }],
    ]);

    expect(planTopics([spec('new', 6), spec('grows', 6), spec('same', 6)], existing)).toEqual({
      create: [spec('new', 6)],
      grow: [{ name: 'grows', from: 3, to: 6 }],
      unchanged: ['same'],
    });
  });

  it('refuses to shrink partitions or change replication, explaining why, for every such topic', () => {
    const existing = new Map([
      ['a', { partitions: 6, replicationFactor: 3 }],
      ['b', { partitions: 6, replicationFactor: 2 }],
    ]);

    const error = (() => {
      try {
        planTopics([spec('a', 3), spec('b', 6)], existing);
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();

    expect(error).toBeInstanceOf(TopicChangeError);
    expect(error?.message).toMatch(/a: has 6 partitions, asked for 3; Kafka cannot remove partitions/);
    expect(error?.message).toMatch(/b: replication factor is 2, asked for 3/);
  });
});

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
