// Broker outage on the real stack: Kafka is stopped while the consumer is mid-stream and started again;
// the consumer rejoins by itself and every event is indexed exactly once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runConsumer } from '../../core/consumer.js';
import type { Logger } from '../../core/logger.js';
import { type GroundTruth, runGenerator } from '../../generator/run.js';
import { kafka as kafkaComponent } from '../../local/components/kafka.js';
import { startComponent } from '../../local/components/lifecycle.js';
import { readPid, stopProcess } from '../../local/components/processes.js';
import { countIndexed, type LocalPipeline, prepareIndices, refreshIndices } from '../../local/pipeline.js';
import {
  createTestEnvironment,
  disposeTestEnvironment,
  endpoints,
  type TestDatabase,
  uniqueName,
  waitFor,
} from './support.js';

/** A logger that keeps the messages it is given, to see what the consumer went through. */
function recordingLogger(messages: string[]): Logger {
  const record = (message: string) => {
    messages.push(message);
  };
  return { debug: record, info: record, warn: record, error: record, child: () => recordingLogger(messages) };
}

describe('a Kafka broker outage', () => {
  const topic = uniqueName('it-broker-');
  const prefix = uniqueName('it-broker-');
  let db: TestDatabase;
  let pipeline: LocalPipeline;
  let truth: GroundTruth;

  beforeAll(async () => {
    ({ db, pipeline } = await createTestEnvironment(topic, prefix, 'broker'));
    truth = await runGenerator({
      topic,
      brokers: endpoints.brokers,
      count: 6_000,
      rate: 0,
      badRatio: 0.2,
      suspiciousRatio: 0.2,
      seed: 'broker-outage',
      accounts: 500,
      mysqlUrl: db.url,
      partitions: 2,
    });
    await prepareIndices(pipeline.search, prefix);
  });

  afterAll(async () => {
    // Whatever happened above, leave Kafka running for the next test file.
    await startComponent(kafkaComponent, () => {});
    await disposeTestEnvironment({ topic, prefix, db, pipeline });
  });

  it('rejoins after the broker comes back and indexes every event exactly once', async () => {
    const group = uniqueName('it-broker-group-');
    const messages: string[] = [];
    let chunks = 0;
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const running = await runConsumer({
      kafka: pipeline.kafka,
      groupId: group,
      topic,
      chunkSize: 250,
      logger: recordingLogger(messages),
      process: async (records) => {
        // Hold the fourth chunk until the broker is down: its commit then has to survive the outage.
        if (++chunks === 4) await gate;
        return pipeline.process(records);
      },
    });
    try {
      await waitFor('the consumer to reach its fourth chunk', async () => chunks >= 4, 60_000);
      const pid = readPid('kafka');
      expect(pid).toBeDefined();
      await stopProcess(pid as number, 30_000);
      release();
      await waitFor(
        'the consumer to notice the outage',
        async () => messages.some((m) => /rejoin|crash/i.test(m)),
        60_000,
      );
      expect(await startComponent(kafkaComponent, () => {})).toBe('started');
      await waitFor(
        'every offset to be committed',
        async () => (await pipeline.lag(group, topic).catch(() => -1)) === 0,
        180_000,
      );
    } finally {
      await running.stop();
    }
    await refreshIndices(pipeline.search, prefix);
    expect(await countIndexed(pipeline.search, prefix)).toEqual(truth.byCategory);
    // kafkajs restarts by itself after retriable crashes; runConsumer rejoins after the others.
    expect(
      messages.some(
        (m) => m === 'consumer crashed, kafkajs restarts it' || m === 'rejoining the group after a crash',
      ),
    ).toBe(true);
  });
});
