// Integration: each component of the local stack works through the clients the pipeline uses
// (kafkajs 2.2.4 against Kafka 3.9, mysql2 against MariaDB, the OpenSearch JS client).
import { Client } from '@opensearch-project/opensearch';
import { Kafka, logLevel } from 'kafkajs';
import { createConnection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIdempotentProducer } from '../../core/producer.js';
import { localEndpoints } from '../../local/endpoints.js';
import { requireLocalStack, uniqueName } from './require-stack.js';

const endpoints = localEndpoints();

beforeAll(async () => {
  await requireLocalStack();
});

describe('local Kafka', () => {
  const kafka = new Kafka({ clientId: 'stack-test', brokers: endpoints.brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const topic = uniqueName('stack-test');
  const groupId = uniqueName('stack-test-group');

  beforeAll(async () => {
    await admin.connect();
  });

  afterAll(async () => {
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('creates topics with 3 partitions by default', async () => {
    await admin.createTopics({ topics: [{ topic }], waitForLeaders: true });
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(metadata.topics[0]?.partitions).toHaveLength(3);
  });

  it('round-trips keyed records through a kafkajs producer and consumer group', async () => {
    const producer = createIdempotentProducer(kafka);
    await producer.connect();
    const sent = Array.from({ length: 12 }, (_, i) => ({ key: String(i % 4), value: `message-${i}` }));
    await producer.send({ topic, acks: -1, messages: sent });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received: string[] = [];
    // Done when the group has committed past every record: proves OffsetCommit works too.
    const committed = new Map<number, number>();
    const allCommitted = new Promise<void>((resolve) => {
      consumer.on(consumer.events.COMMIT_OFFSETS, ({ payload }) => {
        for (const t of payload.topics) {
          for (const p of t.partitions) committed.set(p.partition, Number(p.offset));
        }
        if ([...committed.values()].reduce((a, b) => a + b, 0) === sent.length) resolve();
      });
    });
    await consumer.run({
      eachMessage: async ({ message }) => {
        received.push(message.value?.toString() ?? '');
      },
    });
    await allCommitted;
    await consumer.disconnect();

    expect(received.sort()).toEqual(sent.map((m) => m.value).sort());
    const stored = await admin.fetchOffsets({ groupId, topics: [topic] });
    // A partition that got no record has no commit (offset -1).
    const total = stored[0]?.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
    expect(total).toBe(sent.length);
  });
});

describe('local MySQL', () => {
  const database = uniqueName('stack_test').replaceAll('-', '_');

  it('runs DDL and queries over TCP at the default URL', async () => {
    const connection = await createConnection({ uri: endpoints.mysqlUrl });
    try {
      await connection.query(`CREATE DATABASE \`${database}\``);
      await connection.query(`CREATE TABLE \`${database}\`.t (id BIGINT PRIMARY KEY, device VARCHAR(16))`);
      await connection.query(`INSERT INTO \`${database}\`.t VALUES (1, 'IOS'), (2, 'WEB')`);
      const [rows] = await connection.query(
        `SELECT device FROM \`${database}\`.t WHERE id IN (1, 2) ORDER BY id`,
      );
      expect(rows).toEqual([{ device: 'IOS' }, { device: 'WEB' }]);
    } finally {
      await connection.query(`DROP DATABASE IF EXISTS \`${database}\``);
      await connection.end();
    }
  });
});

describe('local OpenSearch', () => {
  const client = new Client({ node: endpoints.opensearchUrl });
  const index = `${uniqueName('stack-test')}-good-2026.01.01`;

  afterAll(async () => {
    await client.indices.delete({ index }).catch(() => undefined);
    await client.close();
  });

  it('indexes documents and counts them by pattern', async () => {
    await client.indices.create({
      index,
      body: { settings: { number_of_shards: 1, number_of_replicas: 0 } },
    });
    await client.index({ index, id: 'a', body: { category: 'good' }, refresh: true });
    await client.index({ index, id: 'b', body: { category: 'good' }, refresh: true });
    const { body } = await client.count({ index: index.replace('2026.01.01', '*') });
    expect(body.count).toBe(2);
  });
});
