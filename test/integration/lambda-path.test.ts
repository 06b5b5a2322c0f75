// The Lambda consumer, proven locally: lambdas/msk-consumer.ts driven the way the event source mapping drives
// it (real records from the local Kafka in the MSK event shape, invoked with a timeout, retried per the
// mapping's error handling, offsets committed only after a successful invocation), with the error handling the
// stack deploys (MAPPING_ERROR_HANDLING), through a 2-minute MariaDB outage and an OpenSearch restart, with
// poison records among the events: no record skipped, none indexed twice, the poison in the dead-letter topic.
import type { KafkaMessage } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEAD_LETTER_HEADERS, kafkaDeadLetter } from '../../core/dead-letter.js';
import { processBatch } from '../../core/process-batch.js';
import { createIdempotentProducer } from '../../core/producer.js';
import { MysqlUsersSource, UsersLookup } from '../../core/users.js';
import { runGenerator } from '../../generator/run.js';
import { createMskHandler } from '../../lambdas/msk-consumer.js';
import { MAPPING_ERROR_HANDLING } from '../../lib/lambda-consumer.js';
import { startComponent } from '../../local/components/lifecycle.js';
import { mariadb } from '../../local/components/mariadb.js';
import { opensearch } from '../../local/components/opensearch.js';
import { runEventSourceMapping } from '../../local/event-source-mapping.js';
import { countIndexed, ensureTopic, refreshIndices } from '../../local/pipeline.js';
import {
  createTestEnvironment,
  disposeTestEnvironment,
  endpoints,
  killComponent,
  recordingLogger,
  type TestEnvironment,
  uniqueName,
  waitFor,
} from './support.js';

const POISON_DAY = '2026-01-02T10:00:00Z';

describe('the Lambda consumer under the event source mapping', () => {
  const topic = uniqueName('it-lambda-');
  const deadLetters = `${topic}-dlq`;
  let env: TestEnvironment;

  beforeAll(async () => {
    env = await createTestEnvironment(topic, uniqueName('it-lambda-'), 'lambda');
    await ensureTopic(env.pipeline.kafka, topic, 3);
    await ensureTopic(env.pipeline.kafka, deadLetters, 1);
  });

  afterAll(async () => {
    // Whatever happened below, leave the stack up for the next file.
    await startComponent(mariadb, () => {});
    await startComponent(opensearch, () => {});
    const admin = env.pipeline.kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [deadLetters] }).catch(() => undefined);
    await admin.disconnect();
    await disposeTestEnvironment(env);
  });

  it('skips nothing and duplicates nothing through a 2-minute database outage and a search restart', async () => {
    const { pipeline, prefix } = env;
    // Poison: records whose bad document the broken index of their day cannot take (raw_truncated is a
    // boolean in every bad document).
    await pipeline.search.indices.create({
      index: `${prefix}-events-2026.01.02`,
      body: { mappings: { properties: { raw_truncated: { type: 'long' } } } },
    });
    const poison = async (from: number, n: number) => {
      const producer = createIdempotentProducer(pipeline.kafka);
      await producer.connect();
      await producer.send({
        topic,
        acks: -1,
        messages: Array.from({ length: n }, (_, i) => ({
          key: `poison-${from + i}`,
          value: `not json ${from + i}`,
          partition: (from + i) % 3,
          timestamp: String(Date.parse(POISON_DAY)),
        })),
      });
      await producer.disconnect();
    };
    await poison(0, 3);
    const truth = await runGenerator({
      topic,
      brokers: endpoints.brokers,
      count: 30_000,
      rate: 0,
      badRatio: 0.1,
      suspiciousRatio: 0.15,
      seed: 'lambda-path',
      accounts: 2_000,
      mysqlUrl: env.db.url,
    });
    await poison(3, 2);

    const entries: { message: string; fields?: Record<string, unknown> }[] = [];
    let indexedBatches = 0;
    const handler = createMskHandler({
      // No users cache: every batch asks the database, so the outage cannot hide behind cached answers.
      deps: () => ({
        users: new UsersLookup(new MysqlUsersSource(pipeline.pool), { ttlMs: 0 }),
        indexer: pipeline.indexer,
        indexPrefix: prefix,
      }),
      process: async (records, deps) => {
        const summary = await processBatch(records, deps);
        indexedBatches++;
        return summary;
      },
      deadLetter: () => kafkaDeadLetter(pipeline.kafka, deadLetters).sink,
      logger: recordingLogger(entries),
      retryBaseDelayMs: 200,
      retryMaxDelayMs: 2_000,
      reserveMs: 5_000,
    });
    const group = uniqueName('it-lambda-group-');
    const mapping = await runEventSourceMapping({
      kafka: pipeline.kafka,
      topic,
      groupId: group,
      handler,
      errorHandling: MAPPING_ERROR_HANDLING,
      batchSize: 500,
      // The deployed 300 s, scaled down so that the outage spans several invocations.
      functionTimeoutMs: 20_000,
      retryDelayMs: 500,
    });
    try {
      await waitFor('the first batches to be indexed', async () => indexedBatches >= 2);
      killComponent('mariadb');
      const failedBefore = mapping.stats.failedInvocations;
      await new Promise((resolve) => setTimeout(resolve, 120_000));
      // The outage outlasted several invocations, each returned to the mapping, none skipped.
      expect(mapping.stats.failedInvocations - failedBefore).toBeGreaterThanOrEqual(4);
      expect(await pipeline.lag(group, topic)).toBeGreaterThan(0);
      expect(await startComponent(mariadb, () => {})).toBe('started');

      const batchesBack = indexedBatches;
      await waitFor('batches after the database is back', async () => indexedBatches >= batchesBack + 3);
      const retriesBefore = entries.length;
      killComponent('opensearch');
      await waitFor(
        'the handler to retry on the search outage',
        async () =>
          entries
            .slice(retriesBefore)
            .filter(
              (e) =>
                e.message === 'batch failed on an outage, retrying' &&
                /OpenSearch/.test(String(e.fields?.error)),
            ).length >= 3,
        60_000,
      );
      expect(await startComponent(opensearch, () => {})).toBe('started');
      await waitFor(
        'every offset to be committed',
        async () => (await pipeline.lag(group, topic)) === 0,
        240_000,
      );
    } finally {
      await mapping.stop();
    }

    expect(mapping.stats.discardedRecords).toBe(0);
    await refreshIndices(pipeline.search, prefix);
    expect(await countIndexed(pipeline.search, prefix)).toEqual(truth.byCategory);
    const { body } = await pipeline.search.count({ index: `${prefix}-events-*` });
    expect(body.count).toBe(truth.sent);

    // The dead-letter topic holds the five poison records, exact bytes and source coordinates, and nothing else.
    const dead = await readAll(deadLetters, 5);
    const byKey = new Map(dead.map((m) => [m.key?.toString(), m]));
    expect([...byKey.keys()].sort()).toEqual(['poison-0', 'poison-1', 'poison-2', 'poison-3', 'poison-4']);
    for (const [key, message] of byKey) {
      expect(message.value?.toString()).toBe(`not json ${key?.slice('poison-'.length)}`);
      expect(message.headers?.[DEAD_LETTER_HEADERS.topic]?.toString()).toBe(topic);
      expect(message.headers?.[DEAD_LETTER_HEADERS.error]?.toString()).toMatch(/raw_truncated|mapper/);
    }
  });

  /** Every message of a topic, once at least `atLeast` are there. */
  async function readAll(name: string, atLeast: number): Promise<KafkaMessage[]> {
    const messages: KafkaMessage[] = [];
    const consumer = env.pipeline.kafka.consumer({ groupId: uniqueName('it-lambda-dlq-reader-') });
    await consumer.connect();
    await consumer.subscribe({ topics: [name], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        messages.push(message);
      },
    });
    try {
      await waitFor(`${atLeast} dead letters`, async () => messages.length >= atLeast, 60_000);
      const admin = env.pipeline.kafka.admin();
      await admin.connect();
      const { high } = (await admin.fetchTopicOffsets(name))[0];
      await admin.disconnect();
      await waitFor('the whole dead-letter topic', async () => messages.length >= Number(high), 30_000);
    } finally {
      await consumer.disconnect();
    }
    return messages;
  }
});
