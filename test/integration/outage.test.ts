// Infrastructure failure on the real stack: while the users table cannot be read, the consumer retries
// and pauses instead of classifying blindly; once it is back, every event is indexed, nothing is lost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runConsumer } from '../../core/consumer.js';
import { silentLogger } from '../../core/logger.js';
import { defaultDeviceFor, ensureUsersSchema, seedUsers } from '../../core/users-schema.js';
import {
  countIndexed,
  ensureTopic,
  type LocalPipeline,
  prepareIndices,
  refreshIndices,
} from '../../local/pipeline.js';
import {
  createTestEnvironment,
  disposeTestEnvironment,
  type TestDatabase,
  uniqueName,
  waitFor,
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
    await disposeTestEnvironment({ topic, prefix, db, pipeline });
  });

  it('holds the batch while the table is unreadable, then indexes all of it without committing early', async () => {
    // Prepare: the table disappears before the events arrive.
    await pipeline.pool.query('RENAME TABLE users TO users_offline');
    const producer = pipeline.kafka.producer();
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
});
