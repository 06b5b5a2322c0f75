// Database failures on the real stack: while the users table cannot be read, or MariaDB itself is killed
// and restarted, the consumer retries instead of classifying blindly; once it is back, every event is
// indexed exactly once, nothing is lost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runConsumer } from '../../core/consumer.js';
import { silentLogger } from '../../core/logger.js';
import { processBatch } from '../../core/process-batch.js';
import { createIdempotentProducer } from '../../core/producer.js';
import { MysqlUsersSource, UsersLookup } from '../../core/users.js';
import { defaultDeviceFor, ensureUsersSchema, seedUsers } from '../../core/users-schema.js';
import { runGenerator } from '../../generator/run.js';
import { startComponent } from '../../local/components/lifecycle.js';
import { mariadb } from '../../local/components/mariadb.js';
import {
  countIndexed,
  ensureTopic,
  type LocalPipeline,
  prepareIndices,
  refreshIndices,
} from '../../local/pipeline.js';
import {
  createTestEnvironment,
  deleteIndices,
  disposeTestEnvironment,
  endpoints,
  indexedTotal,
  killComponent,
  recordingLogger,
  type TestDatabase,
  uniqueName,
  waitFor,
  watchFailure,
} from './support.js';

describe('a users database outage', () => {
  const topic = uniqueName('it-outage-');
  const prefix = uniqueName('it-outage-');
  let db: TestDatabase;
  let pipeline: LocalPipeline;

  beforeAll(async () => {
    ({ db, pipeline } = await createTestEnvironment(topic, prefix, 'outage'));
    await ensureUsersSchema(pipeline.pool);
    await seedUsers(pipeline.pool, { accounts: 10 });
    await prepareIndices(pipeline.search, prefix);
    await ensureTopic(pipeline.kafka, topic, 1);
  });

  afterAll(async () => {
    await startComponent(mariadb, () => {}); // whatever happened below, leave MariaDB up for the next file
    await disposeTestEnvironment({ topic, prefix, db, pipeline });
  });

  it('holds the batch while the table is unreadable, then indexes all of it without committing early', async () => {
    // Prepare: the table disappears before the events arrive.
    await pipeline.pool.query('RENAME TABLE users TO users_offline');
    const producer = createIdempotentProducer(pipeline.kafka);
    await producer.connect();
    const messages = Array.from({ length: 20 }, (_, i) => ({
      value: JSON.stringify({
        event_id: (i + 1).toString(16).padStart(32, 'f'),
        account_id: (i % 10) + 1,
        event_type: 'login',
        device: defaultDeviceFor((i % 10) + 1),
        location_country: 'JP',
        event_timestamp: 1_763_900_000,
      }),
    }));
    await producer.send({ topic, acks: -1, messages });
    await producer.disconnect();

    // Act: consume during the outage.
    const group = uniqueName('it-outage-group-');
    let failures = 0;
    const running = await runConsumer({
      kafka: pipeline.kafka,
      groupId: group,
      topic,
      logger: silentLogger,
      retryBaseDelayMs: 50,
      process: async (records) => {
        try {
          return await pipeline.process(records);
        } catch (error) {
          failures++;
          throw error;
        }
      },
    });
    try {
      await waitFor('the consumer to hit the outage a few times', async () => failures >= 3, 60_000);
      await refreshIndices(pipeline.search, prefix);
      expect(await countIndexed(pipeline.search, prefix)).toEqual({ good: 0, suspicious: 0, bad: 0 });
      expect(await pipeline.lag(group, topic)).toBe(20);

      // Assess: the table is back, everything lands as good (not suspicious for lack of data).
      await pipeline.pool.query('RENAME TABLE users_offline TO users');
      await waitFor(
        'every offset to be committed',
        async () => (await pipeline.lag(group, topic)) === 0,
        120_000,
      );
    } finally {
      await running.stop();
    }
    await refreshIndices(pipeline.search, prefix);
    expect(await countIndexed(pipeline.search, prefix)).toEqual({ good: 20, suspicious: 0, bad: 0 });
  });

  it('waits out MariaDB killed mid-stream and restarted, then indexes every event once', async () => {
    const killedTopic = uniqueName('it-outage-killed-');
    const killedPrefix = uniqueName('it-outage-killed-');
    await prepareIndices(pipeline.search, killedPrefix);
    const truth = await runGenerator({
      topic: killedTopic,
      brokers: endpoints.brokers,
      count: 10_000,
      rate: 0,
      badRatio: 0.2,
      suspiciousRatio: 0.2,
      seed: 'mariadb-killed',
      accounts: 10, // the accounts the first test seeded; the generator upserts the same rows
      mysqlUrl: db.url,
      partitions: 2,
    });
    const group = uniqueName('it-outage-killed-group-');
    const entries: { message: string }[] = [];
    // No users cache: every chunk asks the database, so the outage cannot hide behind cached answers.
    const processUncached = (records: Parameters<LocalPipeline['process']>[0]) =>
      processBatch(records, {
        users: new UsersLookup(new MysqlUsersSource(pipeline.pool), { ttlMs: 0 }),
        indexer: pipeline.indexer,
        indexPrefix: killedPrefix,
      });
    const running = await runConsumer({
      kafka: pipeline.kafka,
      groupId: group,
      topic: killedTopic,
      chunkSize: 250,
      // About two chunks of these records in flight: at the default budget the 10,000 events would all be indexed
      // before the kill, and the outage must come mid-stream.
      maxInFlightBytes: 100_000,
      retryBaseDelayMs: 100,
      logger: recordingLogger(entries),
      process: processUncached,
    });
    const failure = watchFailure(running);
    try {
      await waitFor(
        'the consumer to index some events',
        async () => (await indexedTotal(pipeline, killedPrefix)) >= 1_000,
      );
      killComponent('mariadb');
      await waitFor(
        'the consumer to retry on the outage',
        async () => entries.filter((e) => e.message === 'chunk failed on an outage, retrying').length >= 3,
        60_000,
      );
      expect(await pipeline.lag(group, killedTopic)).toBeGreaterThan(0);
      expect(await startComponent(mariadb, () => {})).toBe('started');
      await waitFor(
        'every offset to be committed',
        async () => (await pipeline.lag(group, killedTopic)) === 0,
      );
    } finally {
      await running.stop();
    }
    expect(failure()).toBeUndefined();
    await refreshIndices(pipeline.search, killedPrefix);
    expect(await countIndexed(pipeline.search, killedPrefix)).toEqual(truth.byCategory);
    await deleteIndices(pipeline.search, killedPrefix);
  });
});
