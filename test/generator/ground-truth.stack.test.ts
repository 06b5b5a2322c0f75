// The generator's ground truth against what the real users table says, in the case that used to break it:
// a table seeded earlier with more accounts than the run uses (its "unknown" ids were in the table), and a
// table holding ids beyond any seed. Every produced record is read back and judged by the table.
import { Kafka, logLevel } from 'kafkajs';
import { createConnection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeEvent } from '../../core/event.js';
import { UNKNOWN_ACCOUNT_FLOOR } from '../../core/users-schema.js';
import { type GroundTruth, runGenerator, seedUsersTable } from '../../generator/run.js';
import { createTestDatabase, endpoints, type TestDatabase, uniqueName } from '../integration/support.js';

const EVENTS = 4_000;

interface Judged {
  readonly byCategory: GroundTruth['byCategory'];
  readonly unknownAccounts: number;
}

describe('the generator ground truth against the users table', () => {
  const kafka = new Kafka({
    clientId: 'ground-truth-test',
    brokers: endpoints.brokers,
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  const topics: string[] = [];
  const groups: string[] = [];
  let db: TestDatabase;

  async function readRecords(topic: string, expected: number): Promise<(Buffer | null)[]> {
    const groupId = uniqueName('it-truth-group-');
    groups.push(groupId);
    const consumer = kafka.consumer({ groupId });
    const values: (Buffer | null)[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`read ${values.length} of ${expected}`)), 60_000);
        consumer
          .run({
            eachMessage: async ({ message }) => {
              values.push(message.value);
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

  /** Classifies every record the way the pipeline does, asking the users table about every account id. */
  async function judge(values: readonly (Buffer | null)[]): Promise<Judged> {
    const decoded = values.map((value) => decodeEvent(value));
    const ids = [...new Set(decoded.flatMap((d) => (d.ok ? [d.event.account_id] : [])))];
    const conn = await createConnection({ uri: db.url });
    const devices = new Map<number, string>();
    try {
      const [rows] = await conn.query(
        'SELECT account_id, default_device FROM users WHERE account_id IN (?)',
        [ids],
      );
      for (const row of rows as { account_id: number | string; default_device: string }[]) {
        devices.set(Number(row.account_id), row.default_device);
      }
    } finally {
      await conn.end();
    }
    const byCategory = { good: 0, suspicious: 0, bad: 0 };
    let unknownAccounts = 0;
    for (const d of decoded) {
      if (!d.ok) byCategory.bad++;
      else if (!devices.has(d.event.account_id)) {
        byCategory.suspicious++;
        unknownAccounts++;
      } else if (devices.get(d.event.account_id) === d.event.device) byCategory.good++;
      else byCategory.suspicious++;
    }
    return { byCategory, unknownAccounts };
  }

  async function userCount(): Promise<number> {
    const conn = await createConnection({ uri: db.url });
    try {
      const [rows] = await conn.query('SELECT COUNT(*) AS n FROM users');
      return Number((rows as { n: number }[])[0]?.n);
    } finally {
      await conn.end();
    }
  }

  async function generate(seed: string): Promise<{ truth: GroundTruth; judged: Judged }> {
    const topic = uniqueName('it-truth-');
    topics.push(topic);
    const truth = await runGenerator({
      topic,
      brokers: endpoints.brokers,
      partitions: 2,
      count: EVENTS,
      rate: 0,
      badRatio: 0.1,
      suspiciousRatio: 0.4,
      // Many unknown accounts, so a wrong choice of ids shows at once.
      unknownAccountShare: 0.5,
      seed,
      accounts: 10_000,
      mysqlUrl: db.url,
    });
    return { truth, judged: await judge(await readRecords(topic, truth.sent)) };
  }

  beforeAll(async () => {
    await admin.connect();
    db = await createTestDatabase(uniqueName('it_truth_'));
    // An earlier, larger seed: accounts 10,001..20,000 stay in the table.
    await seedUsersTable(db.url, 20_000);
  });

  afterAll(async () => {
    if (groups.length > 0) await admin.deleteGroups(groups).catch(() => undefined);
    if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
    await db?.drop();
  });

  it('is exact for a run with 10,000 accounts after a seed of 20,000, and keeps the other rows', async () => {
    const { truth, judged } = await generate('after-a-larger-seed');
    expect(truth.sent).toBe(EVENTS);
    expect(truth.usersSeeded).toBe(10_000);
    expect(truth.bySuspiciousKind.unknown_account).toBeGreaterThan(100);
    expect(judged.byCategory).toEqual(truth.byCategory);
    expect(judged.unknownAccounts).toBe(truth.bySuspiciousKind.unknown_account);
    expect(await userCount()).toBe(20_000);
  });

  it('is exact when the table already holds every id of the usual unknown range', async () => {
    // Rows written by something other than a seed, above the fixed floor: the generator must go above them.
    const rows = Array.from({ length: 10_000 }, (_, i) => [UNKNOWN_ACCOUNT_FLOOR + 1 + i, 'WEB']);
    const conn = await createConnection({ uri: db.url });
    try {
      await conn.query('INSERT INTO users (account_id, default_device) VALUES ?', [rows]);
    } finally {
      await conn.end();
    }
    const { truth, judged } = await generate('above-the-floor');
    expect(truth.bySuspiciousKind.unknown_account).toBeGreaterThan(100);
    expect(judged.byCategory).toEqual(truth.byCategory);
    expect(judged.unknownAccounts).toBe(truth.bySuspiciousKind.unknown_account);
    expect(await userCount()).toBe(30_000);
  });
});
