// processBatch wires decode, one users lookup, classify and the indexer: checked here with a fake users source
// and a scripted _bulk answer; on the real stack in test/integration/pipeline.test.ts.
import type { Client } from '@opensearch-project/opensearch';
import { describe, expect, it } from 'vitest';
import { recordId } from '../../core/documents.js';
import { BulkIndexer } from '../../core/indexer.js';
import { mergeSummaries, processBatch } from '../../core/process-batch.js';
import type { SourceRecord } from '../../core/source-record.js';
import { UsersLookup } from '../../core/users.js';

const at = Date.parse('2026-11-23T10:00:00Z');
const event = (account_id: number, device: string) =>
  new TextEncoder().encode(
    JSON.stringify({
      event_id: 'f'.repeat(32),
      account_id,
      event_type: 'click',
      device,
      location_country: 'FR',
      event_timestamp: 1_763_900_000,
    }),
  );
const records: SourceRecord[] = [
  event(1, 'IOS'),
  event(1, 'WEB'),
  event(2, 'IOS'),
  new TextEncoder().encode('{'),
].map((value, i) => ({ topic: 't', partition: 0, offset: String(i), timestampMs: at, key: null, value }));

/** A _bulk endpoint answering each item with `status(id)`, keeping every document line it got. */
function bulk(status: (id: string, body: Record<string, unknown>) => number = () => 201) {
  const sent: { id: string; body: Record<string, unknown> }[] = [];
  const client = {
    transport: {
      request: async ({ bulkBody }: { bulkBody: Buffer }) => {
        const lines = bulkBody
          .toString()
          .split('\n')
          .filter((l) => l !== '')
          .map((l) => JSON.parse(l));
        const items = [];
        for (let i = 0; i < lines.length; i += 2) {
          const id = lines[i].index._id as string;
          sent.push({ id, body: lines[i + 1] });
          const code = status(id, lines[i + 1]);
          items.push({
            index: code < 300 ? { status: code } : { status: code, error: { type: 'x', reason: 'y' } },
          });
        }
        return { body: { items } };
      },
    },
  };
  return { indexer: new BulkIndexer(client as unknown as Client), sent };
}

function users() {
  const queries: number[][] = [];
  const lookup = new UsersLookup({
    defaultDevices: async (ids) => {
      queries.push([...ids]);
      return new Map([[1, 'IOS']].filter(([id]) => ids.includes(id as number)) as [number, string][]);
    },
  });
  return { lookup, queries };
}

describe('processBatch', () => {
  it('indexes one document per record in its category, after one users query for the distinct accounts', async () => {
    const { indexer, sent } = bulk();
    const { lookup, queries } = users();
    const summary = await processBatch(records, {
      users: lookup,
      indexer,
      indexPrefix: 'p',
      now: () => new Date('2026-11-23T10:00:05Z'),
    });
    expect(summary).toEqual({ total: 4, counts: { good: 1, suspicious: 2, bad: 1 }, rerouted: 0 });
    expect(queries).toEqual([[1, 2]]);
    expect(sent.map((d) => [d.id, d.body.category, d.body.ingested_at])).toEqual([
      [recordId(records[0]), 'good', '2026-11-23T10:00:05.000Z'],
      [recordId(records[1]), 'suspicious', '2026-11-23T10:00:05.000Z'],
      [recordId(records[2]), 'suspicious', '2026-11-23T10:00:05.000Z'],
      [recordId(records[3]), 'bad', '2026-11-23T10:00:05.000Z'],
    ]);
  });

  it('stamps documents with the current time when no clock is given', async () => {
    const { indexer, sent } = bulk();
    const before = Date.now();
    await processBatch(records.slice(3), { users: users().lookup, indexer, indexPrefix: 'p' });
    const stamped = Date.parse(sent[0].body.ingested_at as string);
    expect(stamped).toBeGreaterThanOrEqual(before);
    expect(stamped).toBeLessThanOrEqual(Date.now());
  });

  it('counts a document its index rejected as bad, and as rerouted', async () => {
    let first = true;
    const { indexer } = bulk((id) => {
      if (id === recordId(records[0]) && first) {
        first = false;
        return 400;
      }
      return 201;
    });
    const summary = await processBatch(records, { users: users().lookup, indexer, indexPrefix: 'p' });
    expect(summary).toEqual({ total: 4, counts: { good: 0, suspicious: 2, bad: 2 }, rerouted: 1 });
  });

  it('does nothing for no records: no users query, no request', async () => {
    const { indexer, sent } = bulk();
    const { lookup, queries } = users();
    expect(await processBatch([], { users: lookup, indexer, indexPrefix: 'p' })).toEqual({
      total: 0,
      counts: { good: 0, suspicious: 0, bad: 0 },
      rerouted: 0,
    });
    expect(queries).toEqual([]);
    expect(sent).toEqual([]);
  });
});

describe('mergeSummaries', () => {
  it('adds up two halves of a batch', () => {
    expect(
      mergeSummaries(
        { total: 5, counts: { good: 1, suspicious: 2, bad: 2 }, rerouted: 2, deadLettered: 0 },
        { total: 4, counts: { good: 3, suspicious: 0, bad: 0 }, rerouted: 1, deadLettered: 1 },
      ),
    ).toEqual({ total: 9, counts: { good: 4, suspicious: 2, bad: 2 }, rerouted: 3, deadLettered: 1 });
  });
});
