import { randomBytes } from 'node:crypto';
import { Client } from '@opensearch-project/opensearch';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEAD_LETTER_HEADERS } from '../../core/dead-letter.js';
import { type Category, indexName, indexPattern } from '../../core/documents.js';
import { templateName } from '../../core/index-templates.js';
import { localEndpoints } from '../../local/endpoints.js';
import { prepareIndices } from '../../local/pipeline.js';
import { readTopic } from '../../ops/read-topic.js';
import {
  type CountResponse,
  countQuery,
  deadLetterDifferences,
  indexedCounts,
} from '../../ops/smoke-verdict.js';

/** The smoke test's two reads of real services: its count query on OpenSearch, its dead-letter read on Kafka. */
describe('the smoke test against the local OpenSearch and Kafka', () => {
  const run = randomBytes(4).toString('hex');
  const prefix = `smoke-test-${run}`;
  const topic = `smoke-test-${run}`;
  const deadLetterTopic = `smoke-test-${run}-dlq`;
  let search: Client;
  let kafka: Kafka;
  let admin: Admin;

  beforeAll(async () => {
    search = new Client({ node: localEndpoints().opensearchUrl });
    await prepareIndices(search, prefix);
    kafka = new Kafka({
      clientId: `smoke-test-${run}`,
      brokers: localEndpoints().brokers,
      logLevel: logLevel.NOTHING,
    });
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic: deadLetterTopic, numPartitions: 2, replicationFactor: 1 },
        { topic: `${deadLetterTopic}-empty`, numPartitions: 2, replicationFactor: 1 },
      ],
      waitForLeaders: true,
    });
  });

  afterAll(async () => {
    await search?.indices.delete({ index: `${prefix}-*`, ignore_unavailable: true, allow_no_indices: true });
    await search?.indices.deleteIndexTemplate({ name: templateName(prefix) }).catch(() => undefined);
    await search?.close();
    await admin
      ?.deleteTopics({ topics: [deadLetterTopic, `${deadLetterTopic}-empty`] })
      .catch(() => undefined);
    await admin?.disconnect();
  });

  it("counts per category exactly the documents of the run's offset ranges, in any daily or undated index", async () => {
    const day = Date.UTC(2026, 11, 1, 12);
    const doc = (t: string, partition: number, offset: number, category: Category, timestampMs: number) => ({
      index: timestampMs > 0 ? indexName(prefix, timestampMs) : `${prefix}-events-undated`,
      body: { category, source: { topic: t, partition, offset: String(offset), timestamp_ms: timestampMs } },
    });
    const docs = [
      // Before the run on partition 0 (offsets 0-9), and the run's own records: partition 0 offsets 10-19,
      // partition 1 offsets 5-9 (2 good, 2 suspicious, 1 bad; one of them undated, one on the next day).
      ...Array.from({ length: 10 }, (_, i) => doc(topic, 0, i, 'good', day)),
      ...Array.from({ length: 10 }, (_, i) => doc(topic, 0, 10 + i, i < 7 ? 'good' : 'bad', day)),
      doc(topic, 1, 5, 'good', day),
      doc(topic, 1, 6, 'good', 0),
      doc(topic, 1, 7, 'suspicious', day + 86_400_000),
      doc(topic, 1, 8, 'suspicious', day),
      doc(topic, 1, 9, 'bad', day),
      // After the run, on another partition, and the same offsets of another topic: none of them counts.
      doc(topic, 0, 20, 'good', day),
      doc(topic, 2, 12, 'good', day),
      doc(`${topic}-other`, 0, 12, 'bad', day),
    ];
    const bulk = await search.bulk({
      refresh: true,
      body: docs.flatMap((d) => [{ index: { _index: d.index } }, d.body]),
    });
    expect(bulk.body.errors).toBe(false);

    const response = await search.search({
      index: indexPattern(prefix),
      body: countQuery(topic, [
        { partition: 0, from: 10n, to: 20n },
        { partition: 1, from: 5n, to: 10n },
      ]),
    });

    expect(indexedCounts(response.body as CountResponse)).toEqual({
      total: 15,
      byCategory: { good: 9, suspicious: 2, bad: 4 },
      other: {},
    });
  });

  it('reads every dead-letter record up to the end offsets, with its headers, and leaves no group behind', async () => {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: deadLetterTopic,
      messages: [
        {
          partition: 0,
          value: 'poison',
          headers: {
            [DEAD_LETTER_HEADERS.topic]: topic,
            [DEAD_LETTER_HEADERS.partition]: '1',
            [DEAD_LETTER_HEADERS.offset]: '7',
            [DEAD_LETTER_HEADERS.timestamp]: '1764590400000',
            [DEAD_LETTER_HEADERS.error]: 'mapper_parsing_exception',
          },
        },
        { partition: 1, value: 'stray' },
        { partition: 1, value: 'stray again' },
      ],
    });
    await producer.disconnect();
    const groupId = `smoke-test-${run}-read`;

    const records = await readTopic(kafka, { topic: deadLetterTopic, groupId, timeoutMs: 60_000 });

    expect(records.map((r) => [r.partition, r.message.offset, r.message.value?.toString()])).toEqual([
      [0, '0', 'poison'],
      [1, '0', 'stray'],
      [1, '1', 'stray again'],
    ]);
    expect(deadLetterDifferences(records, topic, [{ partition: 1, from: 5n, to: 10n }])).toEqual([
      `dead-letter record 0/0 is record ${topic}/1/7 of this run, which no index took: mapper_parsing_exception`,
      'dead-letter record 1/0 is not a poison record from the consumer: no x-source-topic, x-source-partition, x-source-offset, x-source-timestamp, x-error header',
      'dead-letter record 1/1 is not a poison record from the consumer: no x-source-topic, x-source-partition, x-source-offset, x-source-timestamp, x-error header',
    ]);
    const { groups } = await admin.describeGroups([groupId]);
    expect(groups.map((g) => g.state)).toEqual(['Dead']);
    expect(await readTopic(kafka, { topic: `${deadLetterTopic}-empty`, groupId: `${groupId}-2` })).toEqual(
      [],
    );
  });
});
