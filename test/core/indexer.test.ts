// The bulk response handling, against a scripted client: the only way to make OpenSearch answer 429 or
// a mapping rejection on cue. The real-node path is covered by the integration tests.
import type { Client } from '@opensearch-project/opensearch';
import { describe, expect, it } from 'vitest';
import { classify, decodeAll } from '../../core/classify.js';
import { PermanentIndexError, SinkUnavailableError } from '../../core/errors.js';
import { BulkIndexer } from '../../core/indexer.js';

type Item = { status: number; error?: { type: string; reason: string } };
type Answer = Item[] | Error;

function scriptedClient(answers: Answer[]) {
  const requests: Array<Array<Record<string, unknown>>> = [];
  const client = {
    bulk: async ({ body }: { body: Array<Record<string, unknown>> }) => {
      requests.push(body);
      const answer = answers.shift();
      if (answer === undefined) throw new Error('unexpected bulk call');
      if (answer instanceof Error) throw answer;
      return {
        body: { errors: answer.some((i) => i.status >= 300), items: answer.map((i) => ({ index: i })) },
      };
    },
  };
  return { client: client as unknown as Client, requests };
}

const ok = { status: 201 };
const docs = classify(
  decodeAll(
    ['IOS', 'WEB', null].map((device, i) => ({
      topic: 't',
      partition: 0,
      offset: String(i),
      timestampMs: Date.parse('2026-11-23T00:00:00Z'),
      key: null,
      value:
        device === null
          ? new TextEncoder().encode('{')
          : new TextEncoder().encode(
              JSON.stringify({
                event_id: `${i}`.repeat(32),
                account_id: 1,
                event_type: 'x',
                device,
                location_country: 'US',
                event_timestamp: 1_763_900_000,
              }),
            ),
    })),
  ),
  new Map([[1, 'IOS']]),
  'p',
  '2026-11-23T00:00:01Z',
);
const ids = (body: Array<Record<string, unknown>>) =>
  body.filter((_, i) => i % 2 === 0).map((op) => (op.index as { _id: string })._id);

describe('BulkIndexer', () => {
  it('writes every document with op index and its deterministic _id, and counts per category', async () => {
    const { client, requests } = scriptedClient([[ok, ok, ok]]);
    const report = await new BulkIndexer(client).index(docs);
    expect(requests[0][0]).toEqual({ index: { _index: 'p-good-2026.11.23', _id: '0'.repeat(32) } });
    expect(ids(requests[0])).toEqual(['0'.repeat(32), '1'.repeat(32), 't-0-2']);
    expect(report).toEqual({
      indexed: 3,
      counts: { good: 1, suspicious: 1, bad: 1 },
      rerouted: 0,
      retries: 0,
    });
  });

  it('retries only the items answered 429 or 5xx', async () => {
    const { client, requests } = scriptedClient([
      [ok, { status: 429 }, { status: 503 }],
      [ok, ok],
    ]);
    const report = await new BulkIndexer(client, { baseDelayMs: 1 }).index(docs);
    expect(ids(requests[1])).toEqual(['1'.repeat(32), 't-0-2']);
    expect(report).toMatchObject({ indexed: 3, retries: 2 });
  });

  it('retries a bulk request that failed as a whole (connection error)', async () => {
    const { client, requests } = scriptedClient([new Error('ECONNREFUSED'), [ok, ok, ok]]);
    await new BulkIndexer(client, { baseDelayMs: 1 }).index(docs);
    expect(requests).toHaveLength(2);
  });

  it('gives up with SinkUnavailableError after maxAttempts', async () => {
    const throttled: Item[] = [{ status: 429 }, { status: 429 }, { status: 429 }];
    const { client, requests } = scriptedClient([throttled, throttled, throttled]);
    await expect(
      new BulkIndexer(client, { baseDelayMs: 1, maxAttempts: 3 }).index(docs),
    ).rejects.toBeInstanceOf(SinkUnavailableError);
    expect(requests).toHaveLength(3);
  });

  it('reroutes a document its index rejects (400) to the bad index with the rejection as reason', async () => {
    const rejected = {
      status: 400,
      error: { type: 'mapper_parsing_exception', reason: 'failed to parse field [device]' },
    };
    const { client, requests } = scriptedClient([[ok, rejected, ok], [ok]]);
    const report = await new BulkIndexer(client).index(docs);
    expect(requests[1][0]).toEqual({ index: { _index: 'p-bad-2026.11.23', _id: 't-0-1' } });
    expect(requests[1][1]).toMatchObject({
      category: 'bad',
      raw: expect.stringContaining('"device":"WEB"'),
      reasons: [
        { code: 'device_mismatch' },
        { code: 'index_rejected', message: expect.stringContaining('mapper_parsing_exception') },
      ],
    });
    expect(report).toMatchObject({ indexed: 3, rerouted: 1, counts: { good: 1, suspicious: 0, bad: 2 } });
  });

  it('fails with PermanentIndexError on a 403, which no other index would accept either', async () => {
    const denied = { status: 403, error: { type: 'security_exception', reason: 'no permissions' } };
    const { client } = scriptedClient([[ok, denied, ok]]);
    await expect(new BulkIndexer(client).index(docs)).rejects.toBeInstanceOf(PermanentIndexError);
  });

  it('fails with PermanentIndexError when the bad index rejects a document too', async () => {
    const rejected = { status: 400, error: { type: 'x', reason: 'y' } };
    const { client } = scriptedClient([[ok, ok, rejected]]);
    await expect(new BulkIndexer(client).index(docs)).rejects.toBeInstanceOf(PermanentIndexError);
  });
});
