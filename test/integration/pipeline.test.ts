// End to end on the real stack: known events through real Kafka, MariaDB and OpenSearch, asserting the
// exact documents (category, reasons, _id) and the counts per category; then a redelivery that changes
// nothing, and a replay after the users table changed that moves documents between categories in place.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runConsumer } from '../../core/consumer.js';
import { DEVICES } from '../../core/event.js';
import { silentLogger } from '../../core/logger.js';
import { createIdempotentProducer } from '../../core/producer.js';
import { defaultDeviceFor, ensureUsersSchema, seedUsers } from '../../core/users-schema.js';
import {
  countIndexed,
  createLocalPipeline,
  ensureTopic,
  type LocalPipeline,
  prepareIndices,
  refreshIndices,
} from '../../local/pipeline.js';
import {
  createTestEnvironment,
  disposeTestEnvironment,
  endpoints,
  type TestDatabase,
  uniqueName,
  waitFor,
} from './support.js';

const accounts = 50;

interface StoredDocument {
  category: string;
  event_id?: string;
  reasons: Array<{ code: string }>;
  raw?: string | null;
  raw_base64?: string;
  raw_bytes?: number;
  source: { topic: string; partition: number; offset: string };
}
const otherDevice = (id: number) => DEVICES.find((d) => d !== defaultDeviceFor(id)) as string;
const hex = (n: number) => n.toString(16).padStart(32, '0');
const event = (n: number, account: number, device: string) =>
  JSON.stringify({
    event_id: hex(n),
    account_id: account,
    event_type: 'click',
    device,
    location_country: 'NL',
    event_timestamp: 1_763_900_000,
  });

// key = partition choice is left to the partitioner; expectations are per event, not per offset.
const cases: Array<{ value: Buffer | null; category: string; codes: string[]; eventId?: string }> = [
  { value: Buffer.from(event(1, 1, defaultDeviceFor(1))), category: 'good', codes: [], eventId: hex(1) },
  { value: Buffer.from(event(2, 2, defaultDeviceFor(2))), category: 'good', codes: [], eventId: hex(2) },
  {
    value: Buffer.from(event(3, 3, otherDevice(3))),
    category: 'suspicious',
    codes: ['device_mismatch'],
    eventId: hex(3),
  },
  {
    value: Buffer.from(event(4, accounts + 1, 'WEB')),
    category: 'suspicious',
    codes: ['unknown_account'],
    eventId: hex(4),
  },
  { value: Buffer.from('{"event_id": '), category: 'bad', codes: ['not_json'] },
  { value: null, category: 'bad', codes: ['empty_payload'] },
  { value: Buffer.from([0x7b, 0xc3, 0x28, 0x7d]), category: 'bad', codes: ['invalid_utf8'] },
  {
    value: Buffer.from(JSON.stringify({ event_id: hex(8), account_id: 1 })),
    category: 'bad',
    codes: ['missing_field', 'missing_field', 'missing_field', 'missing_field'],
  },
  { value: Buffer.from(event(9, 1, 'TV')), category: 'bad', codes: ['unknown_device'] },
];

describe('the pipeline on the real local stack', () => {
  const topic = uniqueName('it-pipeline-');
  const prefix = uniqueName('it-pipeline-');
  let db: TestDatabase;
  let pipeline: LocalPipeline;

  beforeAll(async () => {
    ({ db, pipeline } = await createTestEnvironment(topic, prefix, 'pipeline'));
    await ensureUsersSchema(pipeline.pool);
    await seedUsers(pipeline.pool, { accounts });
    await prepareIndices(pipeline.search, prefix);
    await ensureTopic(pipeline.kafka, topic, 3);
    const producer = createIdempotentProducer(pipeline.kafka);
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: cases.map((c, i) => ({ key: String(i), value: c.value })),
    });
    await producer.disconnect();
  });

  afterAll(async () => {
    await disposeTestEnvironment({ topic, prefix, db, pipeline });
  });

  /** Consumes the whole topic with a new group; `through` is a pipeline of its own (a new process's cache). */
  async function consumeAll(groupId: string, through: LocalPipeline = pipeline): Promise<void> {
    const running = await runConsumer({
      kafka: through.kafka,
      groupId,
      topic,
      process: through.process,
      logger: silentLogger,
    });
    try {
      await waitFor(
        `group ${groupId} to commit every offset`,
        async () => (await pipeline.lag(groupId, topic)) === 0,
      );
    } finally {
      await running.stop();
    }
    await refreshIndices(pipeline.search, prefix);
  }

  async function allDocuments() {
    const response = await pipeline.search.search({
      index: `${prefix}-*`,
      body: { size: 100, query: { match_all: {} } },
    });
    return response.body.hits.hits.map((hit) => ({
      index: hit._index ?? '',
      id: hit._id,
      source: hit._source as StoredDocument,
    }));
  }

  it('indexes every event once, in the daily index, with its category and reasons', async () => {
    await consumeAll(uniqueName('it-group-'));
    const docs = await allDocuments();
    expect(docs).toHaveLength(cases.length);
    for (const d of docs) expect(d.index).toMatch(new RegExp(`^${prefix}-events-\\d{4}\\.\\d{2}\\.\\d{2}$`));
    for (const c of cases.filter((c) => c.eventId !== undefined)) {
      const doc = docs.find((d) => d.source.event_id === c.eventId);
      expect(doc?.source.category, `event ${c.eventId}`).toBe(c.category);
      expect(doc?.source.reasons.map((r) => r.code)).toEqual(c.codes);
    }
    const bad = docs.filter((d) => d.source.category === 'bad');
    expect(bad.map((d) => d.source.reasons.map((r) => r.code)).sort()).toEqual(
      cases
        .filter((c) => c.category === 'bad')
        .map((c) => c.codes)
        .sort(),
    );
    for (const d of docs) {
      const { topic: t, partition, offset } = d.source.source;
      expect((d.id ?? '').startsWith(`${t}-${partition}-${offset}-`)).toBe(true);
    }
  });

  it('keeps the raw payload of bad events, exact bytes included', async () => {
    const docs = await allDocuments();
    const notJson = docs.find((d) => d.source.reasons[0]?.code === 'not_json');
    expect(notJson?.source.raw).toBe('{"event_id": ');
    const invalid = docs.find((d) => d.source.reasons[0]?.code === 'invalid_utf8');
    expect(Buffer.from(invalid?.source.raw_base64 ?? '', 'base64')).toEqual(
      Buffer.from([0x7b, 0xc3, 0x28, 0x7d]),
    );
    const tombstone = docs.find((d) => d.source.reasons[0]?.code === 'empty_payload');
    expect(tombstone?.source.raw).toBeNull();
  });

  it('counts per category match the cases, by field and through each category alias', async () => {
    expect(await countIndexed(pipeline.search, prefix)).toEqual({ good: 2, suspicious: 2, bad: 5 });
    const viaAlias = async (category: string) =>
      (await pipeline.search.count({ index: `${prefix}-${category}` })).body.count;
    expect([await viaAlias('good'), await viaAlias('suspicious'), await viaAlias('bad')]).toEqual([2, 2, 5]);
  });

  it('changes no count when a new group replays the same offsets', async () => {
    const before = await allDocuments();
    await consumeAll(uniqueName('it-replay-'));
    expect(await countIndexed(pipeline.search, prefix)).toEqual({ good: 2, suspicious: 2, bad: 5 });
    const after = await allDocuments();
    expect(after.map((d) => d.id).sort()).toEqual(before.map((d) => d.id).sort());
  });

  it('moves documents between categories in place when a replay classifies them differently', async () => {
    const before = await allDocuments();
    // Account 1's default device changes, account 51 (unknown so far) appears with another device.
    await pipeline.pool.query('UPDATE users SET default_device = ? WHERE account_id = 1', [otherDevice(1)]);
    await pipeline.pool.query('INSERT INTO users (account_id, default_device) VALUES (?, ?)', [
      accounts + 1,
      'WEB',
    ]);
    const replay = createLocalPipeline({
      ...endpoints,
      mysqlUrl: db.url,
      indexPrefix: prefix,
      logger: silentLogger,
    });
    try {
      await consumeAll(uniqueName('it-reclassify-'), replay);
    } finally {
      await replay.close();
    }
    const after = await allDocuments();
    expect(after.map((d) => d.id).sort()).toEqual(before.map((d) => d.id).sort());
    const byEvent = (n: number) => after.find((d) => d.source.event_id === hex(n))?.source;
    expect(byEvent(1)?.category).toBe('suspicious');
    expect(byEvent(1)?.reasons.map((r) => r.code)).toEqual(['device_mismatch']);
    expect(byEvent(4)?.category).toBe('good');
    expect(await countIndexed(pipeline.search, prefix)).toEqual({ good: 2, suspicious: 2, bad: 5 });
    // Restore the seed for the test below.
    await pipeline.pool.query('UPDATE users SET default_device = ? WHERE account_id = 1', [
      defaultDeviceFor(1),
    ]);
    await pipeline.pool.query('DELETE FROM users WHERE account_id = ?', [accounts + 1]);
  });

  it('seeds the default device of every account the generator assumes', async () => {
    const [rows] = await pipeline.pool.query(
      'SELECT account_id, default_device FROM users ORDER BY account_id',
    );
    const table = rows as Array<{ account_id: number; default_device: string }>;
    expect(table).toHaveLength(accounts);
    expect(table.every((r) => r.default_device === defaultDeviceFor(Number(r.account_id)))).toBe(true);
  });
});
