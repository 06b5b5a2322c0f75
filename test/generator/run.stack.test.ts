// The generator against the real local Kafka and MariaDB: what it reports as ground truth is exactly what
// the topic holds, and the users table it seeds agrees with the events.
import { spawnSync } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';
import { createConnection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeEvent } from '../../core/event.js';
import { defaultDeviceFor } from '../../core/users-schema.js';
import { type GroundTruth, runGenerator, UsersSeedError } from '../../generator/run.js';
import { createTestDatabase, endpoints, type TestDatabase, uniqueName } from '../integration/support.js';

const ACCOUNTS = 300;

interface ConsumedEvent {
  readonly key: string | null;
  readonly value: Buffer | null;
}

describe('runGenerator on the local stack', () => {
  const kafka = new Kafka({
    clientId: 'generator-test',
    brokers: [...endpoints.brokers],
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  const topics: string[] = [];
  const groups: string[] = [];
  let db: TestDatabase;

  const newTopic = () => {
    const topic = uniqueName('it-gen-');
    topics.push(topic);
    return topic;
  };

  async function endOffsetSum(topic: string): Promise<number> {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, partition) => sum + Number(partition.high), 0);
  }

  async function consumeAll(topic: string, expected: number): Promise<ConsumedEvent[]> {
    const groupId = uniqueName('it-gen-group-');
    groups.push(groupId);
    const consumer = kafka.consumer({ groupId });
    const events: ConsumedEvent[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`consumed ${events.length} of ${expected}`)), 60_000);
        consumer
          .run({
            eachMessage: async ({ message }) => {
              events.push({ key: message.key?.toString('utf8') ?? null, value: message.value });
              if (events.length >= expected) {
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
    return events;
  }

  beforeAll(async () => {
    await admin.connect();
    db = await createTestDatabase(uniqueName('it_gen_'));
  });

  afterAll(async () => {
    if (groups.length > 0) await admin.deleteGroups(groups).catch(() => undefined);
    if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
    await db?.drop();
  });

  describe('by count, with users seeding', () => {
    const topic = newTopic();
    let truth: GroundTruth;
    const progress: number[] = [];

    beforeAll(async () => {
      truth = await runGenerator(
        {
          topic,
          brokers: endpoints.brokers,
          partitions: 3,
          count: 3_000,
          rate: 0,
          badRatio: 0.3,
          suspiciousRatio: 0.2,
          seed: 'run-test',
          accounts: ACCOUNTS,
          mysqlUrl: db.url,
          chunkSize: 250,
          compression: 'gzip',
        },
        { onProgress: (p) => progress.push(p.sent) },
      );
    });

    it('reports exactly the requested count, split into categories and kinds', () => {
      expect(truth.sent).toBe(3_000);
      const { good, suspicious, bad } = truth.byCategory;
      expect(good + suspicious + bad).toBe(3_000);
      expect(Object.values(truth.byBadKind).reduce((a, b) => a + b, 0)).toBe(bad);
      expect(Object.values(truth.byBadKind).every((n) => n > 0)).toBe(true);
      expect(truth.bySuspiciousKind.device_mismatch + truth.bySuspiciousKind.unknown_account).toBe(
        suspicious,
      );
      expect(truth.usersSeeded).toBe(ACCOUNTS);
      expect(truth.eventsPerSecond).toBeGreaterThan(0);
    });

    it('leaves exactly that many records in the topic', async () => {
      expect(await endOffsetSum(topic)).toBe(3_000);
    });

    it('reports progress after each acknowledged request, ending at the total', () => {
      expect(progress).toHaveLength(12);
      expect(progress.at(-1)).toBe(3_000);
    });

    it('writes records whose decoded categories match the ground truth, keyed by account id', async () => {
      const consumed = await consumeAll(topic, 3_000);
      const tally = { good: 0, suspicious: 0, bad: 0 };
      for (const record of consumed) {
        const decoded = decodeEvent(record.value);
        if (!decoded.ok) {
          tally.bad++;
          continue;
        }
        const { account_id: id, device } = decoded.event;
        expect(record.key).toBe(String(id));
        if (id <= ACCOUNTS && defaultDeviceFor(id) === device) tally.good++;
        else tally.suspicious++;
      }
      expect(tally).toEqual(truth.byCategory);
    });

    it('seeds the users table with every account and its default device', async () => {
      const conn = await createConnection({ uri: db.url });
      try {
        const [rows] = await conn.query('SELECT account_id, default_device FROM users ORDER BY account_id');
        const users = rows as { account_id: number; default_device: string }[];
        expect(users).toHaveLength(ACCOUNTS);
        for (const user of users) expect(user.default_device).toBe(defaultDeviceFor(Number(user.account_id)));
      } finally {
        await conn.end();
      }
    });
  });

  it('produces for a duration at a paced rate and counts only acknowledged events', async () => {
    const topic = newTopic();
    const truth = await runGenerator({
      topic,
      brokers: endpoints.brokers,
      partitions: 1,
      durationSeconds: 1,
      rate: 200,
      badRatio: 0.1,
      suspiciousRatio: 0.1,
      seed: 1,
      accounts: ACCOUNTS,
    });
    expect(truth.sent).toBeGreaterThan(0);
    expect(truth.usersSeeded).toBeNull();
    expect(await endOffsetSum(topic)).toBe(truth.sent);
  });

  it('stops when aborted and reports what was sent', async () => {
    const topic = newTopic();
    const abort = new AbortController();
    const truth = await runGenerator(
      {
        topic,
        brokers: endpoints.brokers,
        partitions: 1,
        count: 1_000_000,
        rate: 0,
        badRatio: 0.1,
        suspiciousRatio: 0.1,
        seed: 2,
        accounts: ACCOUNTS,
        chunkSize: 100,
      },
      { signal: abort.signal, onProgress: (p) => p.sent >= 1_000 && abort.abort() },
    );
    expect(truth.aborted).toBe(true);
    expect(truth.sent).toBeLessThan(1_000_000);
    expect(await endOffsetSum(topic)).toBe(truth.sent);
  });

  it('fails with a clear error when the users database cannot be reached', async () => {
    const run = runGenerator({
      topic: newTopic(),
      brokers: endpoints.brokers,
      count: 10,
      rate: 0,
      badRatio: 0,
      suspiciousRatio: 0,
      seed: 3,
      accounts: 10,
      mysqlUrl: 'mysql://nobody:secret@127.0.0.1:1/none',
    });
    await expect(run).rejects.toThrow(UsersSeedError);
    await expect(run).rejects.toThrow(/mysql:\/\/nobody:\*\*\*@127\.0\.0\.1:1\/none failed/);
  });

  describe('the CLI', () => {
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'generator/cli.ts', ...args], {
        encoding: 'utf8',
        timeout: 60_000,
      });

    it('prints the ground truth as JSON and exits 0', async () => {
      const topic = newTopic();
      const result = cli(
        '--brokers',
        endpoints.brokers.join(','),
        '--topic',
        topic,
        '--partitions',
        '2',
        '--count',
        '500',
        '--seed',
        'cli',
        '--json',
      );
      expect(result.status, result.stderr).toBe(0);
      const truth = JSON.parse(result.stdout) as GroundTruth;
      expect(truth.sent).toBe(500);
      expect(truth.seed).toBe('cli');
      expect(result.stderr).toContain('users table not seeded');
      expect(await endOffsetSum(topic)).toBe(500);
    });

    it('exits 2 with a message naming the option on invalid input', () => {
      const result = cli('--bad-ratio', '2');
      expect(result.status).toBe(2);
      expect(result.stderr).toContain("--bad-ratio must be a number between 0 and 1, got '2'");
    });

    it('prints its help', () => {
      const result = cli('--help');
      expect(result.status).toBe(0);
      expect(result.stdout).toContain('--suspicious-ratio');
    });
  });
});
