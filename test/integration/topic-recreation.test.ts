// A topic deleted and created again under a running `npm run consume`: kafkajs would resume the new topic at
// the old topic's position and skip its first records in silence. Every record of both topics must become
// exactly one document, and one WARN line must say what happened and where reading resumed. Three paths: the
// new topic filled at once, past the old position, while the consumer fetches (the loss reproduced at
// 8debe5c); the same with the consumer frozen (SIGSTOP) meanwhile; the new topic filled only after the
// consumer fetched past its end (kafkajs' own out-of-range reset).
import { afterEach, describe, expect, it } from 'vitest';
import { createEventSource } from '../../generator/events.js';
import { runGenerator } from '../../generator/run.js';
import { countIndexed, refreshIndices } from '../../local/pipeline.js';
import {
  type ConsumerProcess,
  createTestEnvironment,
  disposeTestEnvironment,
  endpoints,
  indexedTotal,
  startConsumerProcess,
  type TestEnvironment,
  uniqueName,
  waitFor,
} from './support.js';

const BEFORE = 2_000;
const AFTER = 4_000;

describe('a topic recreated under a running consumer', () => {
  let env: TestEnvironment | undefined;
  let consumer: ConsumerProcess | undefined;

  afterEach(async () => {
    if (consumer?.child.exitCode === null) consumer.child.kill('SIGKILL');
    if (env !== undefined) await disposeTestEnvironment(env);
  });

  it.each([
    { path: 'filled at once', freeze: false, fillAfterMs: 0 },
    { path: 'filled at once, consumer frozen', freeze: true, fillAfterMs: 0 },
    { path: 'filled after the consumer fetched past its end', freeze: false, fillAfterMs: 3_000 },
  ])(
    'indexes every record of the new topic and says so in one warning ($path)',
    async ({ freeze, fillAfterMs }) => {
      const topic = uniqueName('it-recreate-');
      const prefix = uniqueName('it-recreate-');
      const group = uniqueName('it-recreate-group-');
      env = await createTestEnvironment(topic, prefix, 'recreate');
      const { pipeline, db } = env;
      const ratios = { badRatio: 0.1, suspiciousRatio: 0.2, accounts: 500 };
      const old = await runGenerator({
        ...ratios,
        topic,
        brokers: endpoints.brokers,
        count: BEFORE,
        rate: 0,
        seed: 'recreate-old',
        mysqlUrl: db.url,
        partitions: 1,
      });
      // The new topic's records are sent by a producer connected beforehand, so they can land at once.
      const source = createEventSource({ ...ratios, seed: 'recreate-new' });
      const events = Array.from({ length: AFTER }, () => source.next());
      const recreated = { good: 0, suspicious: 0, bad: 0 };
      for (const event of events) recreated[event.expected]++;
      const producer = pipeline.kafka.producer();
      await producer.connect();
      const running = startConsumerProcess(
        ['--topic', topic, '--group', group, '--index-prefix', prefix],
        db.url,
        {
          LOG_LEVEL: 'warn',
          LOG_FORMAT: 'json',
        },
      );
      consumer = running;
      await waitFor(
        'the old topic to be indexed and committed',
        async () =>
          (await indexedTotal(pipeline, prefix)) === BEFORE && (await pipeline.lag(group, topic)) === 0,
      );

      if (freeze) running.child.kill('SIGSTOP');
      const admin = pipeline.kafka.admin();
      await admin.connect();
      try {
        await admin.deleteTopics({ topics: [topic] });
        // Long enough for the consumer to find the topic missing (kafkajs then keeps its position, unless it could
        // rejoin the group after the topic is back) and short enough to be "at once" for an operator.
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
        await new Promise((resolve) => setTimeout(resolve, fillAfterMs));
        await producer.send({ topic, acks: -1, messages: events.map(({ key, value }) => ({ key, value })) });
      } finally {
        await admin.disconnect();
        await producer.disconnect();
      }
      if (freeze) running.child.kill('SIGCONT');

      await waitFor(
        'every record of both topics to be indexed',
        async () =>
          (await indexedTotal(pipeline, prefix)) >= BEFORE + AFTER &&
          (await pipeline.lag(group, topic)) === 0,
      );
      running.child.kill('SIGTERM');
      const { code, stderr } = await running.exited;

      expect(code).toBe(0);
      await refreshIndices(pipeline.search, prefix);
      expect(await countIndexed(pipeline.search, prefix)).toEqual({
        good: old.byCategory.good + recreated.good,
        suspicious: old.byCategory.suspicious + recreated.suspicious,
        bad: old.byCategory.bad + recreated.bad,
      });
      // The new topic's first records, the ones kafkajs skipped, are there: offsets below BEFORE twice (old, new).
      const early = await pipeline.search.count({
        index: `${prefix}-events-*`,
        body: { query: { range: { 'source.offset': { lt: BEFORE } } } },
      });
      expect(early.body.count).toBe(2 * BEFORE);
      const warnings = stderr.split('\n').filter((line) => line.includes('was deleted and recreated'));
      expect(warnings).toHaveLength(1);
      expect(JSON.parse(warnings[0])).toMatchObject({
        level: 'warn',
        topic,
        partition: 0,
        lostOffset: String(BEFORE),
        startOffset: '0',
      });
    },
  );
});
