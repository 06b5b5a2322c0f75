import { randomBytes } from 'node:crypto';
import { type Admin, type Consumer, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIdempotentProducer } from '../../core/producer.js';
import { localEndpoints } from '../../local/endpoints.js';
import { ReplayError, type Waiting } from '../../ops/consumer-pause.js';
import { previewReset, resetGroup } from '../../ops/replay.js';

/** The reset step of ops:replay against the local Kafka, on a topic and group of its own. */
describe('the replay reset step against the local Kafka', () => {
  const run = randomBytes(4).toString('hex');
  const topic = `replay-test-${run}`;
  const groupId = `replay-test-${run}-group`;
  const hour = 3_600_000;
  // Whole hours in the past, so that the times between records are unambiguous.
  const t0 = Math.floor(Date.now() / hour) * hour - 6 * hour;
  const wait: Waiting = {
    timeoutMs: 30_000,
    pollMs: 250,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    now: Date.now,
  };
  let kafka: Kafka;
  let admin: Admin;
  const consumers: Consumer[] = [];

  async function committed(): Promise<Record<number, string>> {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return Object.fromEntries((offsets?.partitions ?? []).map((p) => [p.partition, p.offset]));
  }

  /** A member of the group that has read `expected` records and committed each one. */
  async function joinAndRead(expected: number): Promise<Consumer> {
    const consumer = kafka.consumer({ groupId });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let read = 0;
    const done = new Promise<void>((resolve) => {
      if (expected === 0) resolve();
      void consumer.run({
        autoCommitThreshold: 1,
        eachMessage: async () => {
          read++;
          if (read === expected) resolve();
        },
      });
    });
    await done;
    return consumer;
  }

  beforeAll(async () => {
    kafka = new Kafka({
      clientId: `replay-test-${run}`,
      brokers: localEndpoints().brokers,
      logLevel: logLevel.NOTHING,
    });
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic, numPartitions: 2, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    const producer = createIdempotentProducer(kafka);
    await producer.connect();
    const at = (partition: number, hours: number) => ({
      partition,
      value: `record at t0+${hours}h`,
      timestamp: String(t0 + hours * hour),
    });
    // Partition 0: t0, t0+1h, t0+2h. Partition 1: t0, t0+2h.
    await producer.send({ topic, messages: [at(0, 0), at(0, 1), at(0, 2), at(1, 0), at(1, 2)] });
    await producer.disconnect();
    // The consumer commits everything it read, then leaves: the group is Empty, as after ops:replay's pause.
    const consumer = await joinAndRead(5);
    await consumer.disconnect();
  });

  afterAll(async () => {
    for (const consumer of consumers) await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('starts from a group that committed every record', async () => {
    expect(await committed()).toEqual({ 0: '3', 1: '2' });
  });

  it('moves the committed offsets to the first retained record with earliest', async () => {
    const partitions = await resetGroup(admin, groupId, topic, 'earliest', wait);

    expect(partitions).toEqual([
      { partition: 0, committed: '3', offset: '0', end: '3', records: 3n },
      { partition: 1, committed: '2', offset: '0', end: '2', records: 2n },
    ]);
    expect(await committed()).toEqual({ 0: '0', 1: '0' });
  });

  it('moves them to the first record at or after a time, previewing the same offsets first', async () => {
    const at = new Date(t0 + 1.5 * hour);

    const preview = await previewReset(admin, groupId, topic, at);
    expect(await committed()).toEqual({ 0: '0', 1: '0' });
    const partitions = await resetGroup(admin, groupId, topic, at, wait);

    expect(partitions).toEqual([
      { partition: 0, committed: '0', offset: '2', end: '3', records: 1n },
      { partition: 1, committed: '0', offset: '1', end: '2', records: 1n },
    ]);
    expect(preview).toEqual(partitions);
    expect(await committed()).toEqual({ 0: '2', 1: '1' });
  });

  it('moves them to the end where no record is as recent as the time', async () => {
    const partitions = await resetGroup(admin, groupId, topic, new Date(t0 + 3 * hour), wait);

    expect(partitions.map((p) => [p.offset, p.records])).toEqual([
      ['3', 0n],
      ['2', 0n],
    ]);
    expect(await committed()).toEqual({ 0: '3', 1: '2' });
  });

  it('leaves the offsets alone while the group still has a member', async () => {
    const member = await joinAndRead(0);
    // Joining is done once the member has an assignment: wait for the group to be Stable.
    await expect
      .poll(async () => (await admin.describeGroups([groupId])).groups[0]?.state, { timeout: 30_000 })
      .toBe('Stable');

    const refused = resetGroup(admin, groupId, topic, 'earliest', { ...wait, timeoutMs: 1_000 });

    await expect(refused).rejects.toThrow(ReplayError);
    await expect(refused).rejects.toThrow(/group replay-test-\w+-group still has 1 member\(s\)/);
    expect(await committed()).toEqual({ 0: '3', 1: '2' });
    await member.disconnect();
  });
});
