// Lost acknowledgements on the real local broker: a client request timeout of a few milliseconds makes
// kafkajs give up on produce requests the broker has already written and send them again. The idempotent
// producer (core/producer.ts) and the generator built on it must still leave exactly the acknowledged
// records in the topic, each once.
import { Kafka, type LogEntry, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIdempotentProducer, ProducerBrokenError } from '../../core/producer.js';
import { runGenerator } from '../../generator/run.js';
import { endpoints, uniqueName } from '../integration/support.js';

/** Short enough that the local broker misses it now and then, long enough to connect at all. */
const LOSSY_REQUEST_TIMEOUT_MS = 2;

describe('producing with lost acknowledgements', () => {
  const admin = new Kafka({
    clientId: 'idempotence-test',
    brokers: endpoints.brokers,
    logLevel: logLevel.NOTHING,
  }).admin();
  /**
   * A client whose requests time out after a few ms, whether or not the broker has handled them; it counts
   * the produce requests it gave up on (kafkajs logs each before retrying it).
   */
  function lossyKafka(): { kafka: Kafka; lostProduceAcks: () => number } {
    let lost = 0;
    const kafka = new Kafka({
      clientId: 'idempotence-test-lossy',
      brokers: endpoints.brokers,
      requestTimeout: LOSSY_REQUEST_TIMEOUT_MS,
      logLevel: logLevel.ERROR,
      logCreator:
        () =>
        ({ log }: LogEntry) => {
          if (/Request Produce\(.*timed out/.test(log.message)) lost++;
        },
    });
    return { kafka, lostProduceAcks: () => lost };
  }
  const topics: string[] = [];
  const groups: string[] = [];

  async function newTopic(partitions: number): Promise<string> {
    const topic = uniqueName('it-idem-');
    topics.push(topic);
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
    return topic;
  }

  /** Records in the topic: end offsets minus start offsets, over all partitions. */
  async function recordCount(topic: string): Promise<number> {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  }

  async function readValues(topic: string, expected: number): Promise<string[]> {
    const groupId = uniqueName('it-idem-group-');
    groups.push(groupId);
    const consumer = new Kafka({
      clientId: 'idempotence-test-reader',
      brokers: endpoints.brokers,
      logLevel: logLevel.NOTHING,
    }).consumer({ groupId });
    const values: string[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`read ${values.length} of ${expected}`)), 60_000);
        consumer
          .run({
            eachMessage: async ({ message }) => {
              values.push(message.value?.toString('utf8') ?? '');
              if (values.length >= expected) {
                clearTimeout(timer);
                resolve();
              }
            },
          })
          .catch(reject);
      });
    } finally {
      await consumer.disconnect();
    }
    return values;
  }

  beforeAll(async () => {
    await admin.connect();
  });

  afterAll(async () => {
    if (groups.length > 0) await admin.deleteGroups(groups).catch(() => undefined);
    if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
  });

  it('leaves exactly the acknowledged sends in the topic, each once, with four sends in flight', async () => {
    const topic = await newTopic(3);
    const { kafka, lostProduceAcks } = lossyKafka();
    const producer = createIdempotentProducer(kafka);
    const acked: string[] = [];
    await producer.connect();
    try {
      // Keep going until acknowledgements were really lost, so the assertion is about retried requests.
      let next = 0;
      const sender = async () => {
        while ((acked.length < 200 || lostProduceAcks() === 0) && next < 5_000) {
          const value = `event-${next++}`;
          await producer.send({ topic, acks: -1, messages: [{ key: value, value }] });
          acked.push(value);
        }
      };
      await Promise.all([sender(), sender(), sender(), sender()]);
    } finally {
      await producer.disconnect();
    }

    expect(lostProduceAcks()).toBeGreaterThan(0);
    expect(await recordCount(topic)).toBe(acked.length);
    const values = await readValues(topic, acked.length);
    expect(values.sort()).toEqual([...acked].sort());
  });

  it('gives the generator a ground truth equal to what the topic holds', async () => {
    const topic = await newTopic(3);
    const { kafka, lostProduceAcks } = lossyKafka();
    const truth = await runGenerator({
      topic,
      kafka,
      count: 3_000,
      rate: 0,
      badRatio: 0.2,
      suspiciousRatio: 0.2,
      seed: 'lost-acks',
      accounts: 100,
      chunkSize: 10,
    });
    expect(lostProduceAcks()).toBeGreaterThan(0);
    expect(truth.sent).toBe(3_000);
    expect(await recordCount(topic)).toBe(3_000);
  });

  it('refuses every send after a failed one, since its sequence numbers may now be reused', async () => {
    const topic = await newTopic(1);
    const kafka = new Kafka({
      clientId: 'idempotence-test-broken',
      brokers: endpoints.brokers,
      retry: { retries: 1, initialRetryTime: 50 },
      logLevel: logLevel.NOTHING,
    });
    const producer = createIdempotentProducer(kafka);
    await producer.connect();
    try {
      // The broker does not create topics on demand, so this send fails after kafkajs's retries.
      await expect(
        producer.send({ topic: uniqueName('it-idem-missing-'), acks: -1, messages: [{ value: 'x' }] }),
      ).rejects.toThrow();
      await expect(producer.send({ topic, acks: -1, messages: [{ value: 'y' }] })).rejects.toThrow(
        ProducerBrokenError,
      );
    } finally {
      await producer.disconnect();
    }
    expect(await recordCount(topic)).toBe(0);
  });
});
