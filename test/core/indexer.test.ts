// The bulk response handling, against a scripted transport: the only way to make OpenSearch answer per-item
// 429s or a mapping rejection on cue. The real node's 403, 413, 429 and outages are in test/integration.
import { type Client, errors } from '@opensearch-project/opensearch';
import { beforeEach, describe, expect, it } from 'vitest';
import { classify, decodeAll } from '../../core/classify.js';
import { badDocument, MAX_RAW_BYTES, type PipelineDocument, recordId } from '../../core/documents.js';
import { DocumentRejectedError, PermanentIndexError, SinkUnavailableError } from '../../core/errors.js';
import { BulkIndexer } from '../../core/indexer.js';
import type { SourceRecord } from '../../core/source-record.js';

type Item = { status: number; error?: { type: string; reason: string } };
/** One answer per request: item statuses (or one status for all), or an error thrown as a whole. */
type Answer = Item[] | Error | { readonly body: unknown };

interface SentRequest {
  readonly method: string;
  readonly path: string;
  readonly querystring: Record<string, string>;
  readonly bytes: number;
  readonly lines: Record<string, unknown>[];
}

function scriptedClient(answers: Answer[] | ((request: SentRequest) => Answer)) {
  const requests: SentRequest[] = [];
  const client = {
    transport: {
      request: async ({
        method,
        path,
        querystring,
        bulkBody,
      }: {
        method: string;
        path: string;
        querystring: Record<string, string>;
        bulkBody: Buffer;
      }) => {
        const request = {
          method,
          path,
          querystring,
          bytes: bulkBody.byteLength,
          lines: bulkBody
            .toString('utf8')
            .split('\n')
            .filter((l) => l !== '')
            .map((l) => JSON.parse(l)),
        };
        requests.push(request);
        const answer = typeof answers === 'function' ? answers(request) : answers.shift();
        if (answer === undefined) throw new Error('unexpected bulk call');
        if (answer instanceof Error) throw answer;
        if (!Array.isArray(answer)) return answer;
        return { body: { items: answer.map((i) => ({ index: i })) } };
      },
    },
  };
  return { client: client as unknown as Client, requests };
}

const ok = { status: 201 };
/** What the client throws when the whole request is answered with an error status. */
const responseError = (statusCode: number, body: unknown = '') =>
  new errors.ResponseError({ body, statusCode, headers: {}, warnings: null, meta: {} } as never);
const at = Date.parse('2026-11-23T00:00:00Z');
const records: SourceRecord[] = ['IOS', 'WEB', null].map((device, i) => ({
  topic: 't',
  partition: 0,
  offset: String(i),
  timestampMs: at,
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
}));
// Built for each test, not while the file loads: a mutant that breaks classify must fail tests, not the file's
// loading (which StrykerJS does not count as a kill), and each test's coverage tells StrykerJS which to run.
let docs: PipelineDocument[];
beforeEach(() => {
  docs = classify(decodeAll(records), new Map([[1, 'IOS']]), 'p', '2026-11-23T00:00:01Z');
});
const actions = (request: SentRequest) => request.lines.filter((_, i) => i % 2 === 0);
const ids = (request: SentRequest) => actions(request).map((op) => (op.index as { _id: string })._id);
const allOk = (request: SentRequest) => actions(request).map(() => ok);
const fast = { baseDelayMs: 1 };

/** A bad record of `size` bytes (not JSON): its document carries at most MAX_RAW_BYTES of it. */
function bigBad(offset: number, size: number) {
  const record: SourceRecord = {
    topic: 't',
    partition: 1,
    offset: String(offset),
    timestampMs: at,
    key: null,
    value: new Uint8Array(size).fill(0x78),
  };
  return badDocument('p', record, [{ code: 'not_json', message: 'x' }], '2026-11-23T00:00:01Z');
}

describe('BulkIndexer', () => {
  it('writes every document with op index, the record id and the daily index, and counts per category', async () => {
    const { client, requests } = scriptedClient([[ok, ok, ok]]);
    const report = await new BulkIndexer(client).index(docs);
    expect(actions(requests[0])).toEqual(
      records.map((r) => ({ index: { _index: 'p-events-2026.11.23', _id: recordId(r) } })),
    );
    expect(report).toMatchObject({ indexed: 3, counts: { good: 1, suspicious: 1, bad: 1 }, requests: 1 });
  });

  it('posts to /_bulk, refreshing only when asked to', async () => {
    const plain = scriptedClient([[ok, ok, ok]]);
    await new BulkIndexer(plain.client).index(docs);
    expect(plain.requests[0]).toMatchObject({
      method: 'POST',
      path: '/_bulk',
      querystring: { refresh: 'false' },
    });
    const waiting = scriptedClient([[ok, ok, ok]]);
    await new BulkIndexer(waiting.client, { refresh: 'wait_for' }).index(docs);
    expect(waiting.requests[0].querystring.refresh).toBe('wait_for');
  });

  it('retries a request that failed with an error carrying no response at all', async () => {
    const { client, requests } = scriptedClient([new Error('socket hang up'), [ok, ok, ok]]);
    expect((await new BulkIndexer(client, fast).index(docs)).indexed).toBe(3);
    expect(requests).toHaveLength(2);
  });

  it('retries only the items answered 429 or 5xx', async () => {
    const { client, requests } = scriptedClient([
      [ok, { status: 429 }, { status: 503 }],
      [ok, ok],
    ]);
    const report = await new BulkIndexer(client, fast).index(docs);
    expect(ids(requests[1])).toEqual([recordId(records[1]), recordId(records[2])]);
    expect(report).toMatchObject({ indexed: 3, retries: 2 });
  });

  it('resends items that are not next to each other in their chunk exactly as first sent', async () => {
    const { client, requests } = scriptedClient([
      [{ status: 429 }, ok, { status: 503 }],
      [ok, ok],
    ]);
    await new BulkIndexer(client, fast).index(docs);
    expect(ids(requests[1])).toEqual([recordId(records[0]), recordId(records[2])]);
    expect(requests[1].lines).toEqual([...requests[0].lines.slice(0, 2), ...requests[0].lines.slice(4)]);
  });

  it('writes an id that needs escaping as JSON, and plain ids as they are, each line whole', async () => {
    const odd = { ...docs[0], id: 'a "quoted"\\id\u00e9' };
    const { client, requests } = scriptedClient([[ok, ok]]);
    await new BulkIndexer(client).index([odd, docs[1]]);
    expect(actions(requests[0])).toEqual([
      { index: { _index: 'p-events-2026.11.23', _id: 'a "quoted"\\id\u00e9' } },
      { index: { _index: 'p-events-2026.11.23', _id: docs[1].id } },
    ]);
    expect(requests[0].lines[1]).toEqual(JSON.parse(JSON.stringify(docs[0].body)));
  });

  it('encodes documents of mostly multi-byte text whole (3 UTF-8 bytes per character)', async () => {
    const euros = (offset: number, count: number) =>
      badDocument(
        'p',
        { ...records[2], offset: String(offset), value: new TextEncoder().encode('€'.repeat(count)) },
        [{ code: 'not_json', message: 'x' }],
        '2026-11-23T00:00:01Z',
      );
    // Many such documents: together they need more room than one line's worst case leaves.
    const texts = Array.from({ length: 50 }, (_, i) => euros(10 + i, 1_000 + i));
    const { client, requests } = scriptedClient((request) => allOk(request));
    await new BulkIndexer(client).index(texts);
    const raws = requests[0].lines.filter((_, i) => i % 2 === 1).map((line) => line.raw);
    expect(raws).toEqual(texts.map((_, i) => '€'.repeat(1_000 + i)));
  });

  it('retries a request that failed as a whole: a refused connection (no status), a 429, a 502', async () => {
    const refused = new errors.ConnectionError('connect ECONNREFUSED 127.0.0.1:9200', {
      body: null,
      statusCode: null,
      headers: null,
      meta: {},
      warnings: null,
    } as never);
    const status = (statusCode: number) => responseError(statusCode, { error: { type: 'x' } });
    const { client, requests } = scriptedClient([refused, status(429), status(502), [ok, ok, ok]]);
    const report = await new BulkIndexer(client, fast).index(docs);
    expect(requests).toHaveLength(4);
    expect(report.indexed).toBe(3);
  });

  it('retries a whole request answered 500, and stops on any other 4xx than 429 and 413', async () => {
    const status = (statusCode: number) => responseError(statusCode, { error: { type: 'x' } });
    const retried = scriptedClient([status(500), status(599), [ok, ok, ok]]);
    expect((await new BulkIndexer(retried.client, fast).index(docs)).indexed).toBe(3);
    expect(retried.requests).toHaveLength(3);
    for (const code of [400, 401, 404, 499]) {
      const refused = scriptedClient([status(code)]);
      await expect(new BulkIndexer(refused.client, fast).index(docs)).rejects.toBeInstanceOf(
        PermanentIndexError,
      );
      expect(refused.requests).toHaveLength(1);
    }
  });

  it('retries an item answered 500, like 429 and 503', async () => {
    const { client, requests } = scriptedClient([
      [{ status: 500 }, ok, { status: 599 }],
      [ok, ok],
    ]);
    const report = await new BulkIndexer(client, fast).index(docs);
    expect(ids(requests[1])).toEqual([recordId(records[0]), recordId(records[2])]);
    expect(report).toMatchObject({ indexed: 3, counts: { good: 1, suspicious: 1, bad: 1 }, retries: 2 });
  });

  it('counts 2xx items as indexed, and stops on a 3xx or other unexpected item status', async () => {
    const created = scriptedClient([[{ status: 200 }, { status: 201 }, { status: 299 }]]);
    expect((await new BulkIndexer(created.client).index(docs)).indexed).toBe(3);
    const redirected = scriptedClient([[ok, { status: 300 }, ok]]);
    await expect(new BulkIndexer(redirected.client).index(docs)).rejects.toBeInstanceOf(PermanentIndexError);
    const informational = scriptedClient([[ok, { status: 199 }, ok]]);
    await expect(new BulkIndexer(informational.client).index(docs)).rejects.toBeInstanceOf(
      PermanentIndexError,
    );
  });

  it('never takes an answer with fewer items than documents for a success: the chunk is retried', async () => {
    const { client, requests } = scriptedClient([[ok, ok]]);
    await expect(new BulkIndexer(client, fast).index(docs)).rejects.toBeInstanceOf(SinkUnavailableError);
    expect(requests).toHaveLength(1); // the consumer retries the whole chunk
    const none = scriptedClient([[]]);
    await expect(new BulkIndexer(none.client, fast).index(docs)).rejects.toBeInstanceOf(SinkUnavailableError);
  });

  it('gives up on items that keep failing after maxAttempts requests, retriable, waiting more each time', async () => {
    const times: number[] = [];
    const { client, requests } = scriptedClient((request) => {
      times.push(Date.now());
      return actions(request).map(() => ({ status: 429 }));
    });
    const indexer = new BulkIndexer(client, { maxAttempts: 3, baseDelayMs: 40 });
    await expect(indexer.index(docs)).rejects.toBeInstanceOf(SinkUnavailableError);
    expect(requests).toHaveLength(3);
    // Backoff with jitter: at least half of 40 ms, then of 80 ms.
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(18);
    expect(times[2] - times[1]).toBeGreaterThanOrEqual(38);
  });

  it('tries 5 times by default before giving up', async () => {
    const { client, requests } = scriptedClient((request) => actions(request).map(() => ({ status: 503 })));
    await expect(new BulkIndexer(client, fast).index(docs)).rejects.toBeInstanceOf(SinkUnavailableError);
    expect(requests).toHaveLength(5);
  });

  it('takes an answer without items for a failure, not a success', async () => {
    const { client } = scriptedClient([{ body: {} }]);
    await expect(new BulkIndexer(client, fast).index(docs.slice(0, 1))).rejects.toBeInstanceOf(
      SinkUnavailableError,
    );
  });

  it('counts only failed requests as attempts: a success or a reroute never exhausts maxAttempts', async () => {
    const once = { ...fast, maxAttempts: 1 };
    const plain = scriptedClient([[ok, ok, ok]]);
    expect((await new BulkIndexer(plain.client, once).index(docs)).indexed).toBe(3);
    const rejected = { status: 400, error: { type: 'mapper_parsing_exception', reason: 'x' } };
    const rerouted = scriptedClient([[ok, rejected, ok], [ok]]);
    expect(await new BulkIndexer(rerouted.client, once).index(docs)).toMatchObject({
      indexed: 3,
      rerouted: 1,
    });
  });

  it('waits 100-200 ms before the first retry by default', async () => {
    const times: number[] = [];
    const { client } = scriptedClient((request) => {
      times.push(Date.now());
      return actions(request).map(() => (times.length === 1 ? { status: 429 } : ok));
    });
    await new BulkIndexer(client).index(docs);
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(95);
  });

  it('gives up with the retriable SinkUnavailableError after maxAttempts', async () => {
    const { client, requests } = scriptedClient(
      () => new errors.TimeoutError('Request timed out', {} as never),
    );
    await expect(new BulkIndexer(client, { ...fast, maxAttempts: 3 }).index(docs)).rejects.toBeInstanceOf(
      SinkUnavailableError,
    );
    expect(requests).toHaveLength(3);
  });

  it('stops with PermanentIndexError when the whole request is refused with 403, naming the fix', async () => {
    const blocked = responseError(403, {
      error: { type: 'cluster_block_exception', reason: 'index [p] blocked' },
    });
    const { client } = scriptedClient([blocked]);
    const failure = await new BulkIndexer(client).index(docs).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(PermanentIndexError);
    expect((failure as Error).message).toMatch(/HTTP 403.*write-blocked/);
    expect((failure as Error).cause).toBe(blocked);
  });

  it('turns a document its index rejects (400) into a bad one under the same id, in the same index', async () => {
    const rejected = {
      status: 400,
      error: { type: 'mapper_parsing_exception', reason: 'failed to parse field [device]' },
    };
    const { client, requests } = scriptedClient([[ok, rejected, ok], [ok]]);
    const report = await new BulkIndexer(client).index(docs);
    expect(requests[1].lines[0]).toEqual({
      index: { _index: 'p-events-2026.11.23', _id: recordId(records[1]) },
    });
    expect(requests[1].lines[1]).toMatchObject({
      category: 'bad',
      raw: expect.stringContaining('"device":"WEB"'),
      reasons: [
        { code: 'device_mismatch' },
        { code: 'index_rejected', message: expect.stringContaining('mapper_parsing_exception') },
      ],
    });
    expect(report).toMatchObject({ indexed: 3, rerouted: 1, counts: { good: 1, suspicious: 0, bad: 2 } });
  });

  it('fails with PermanentIndexError on an item answered 403, which no other index would accept either', async () => {
    const denied = { status: 403, error: { type: 'security_exception', reason: 'no permissions' } };
    const { client } = scriptedClient([[ok, denied, ok]]);
    await expect(new BulkIndexer(client).index(docs)).rejects.toBeInstanceOf(PermanentIndexError);
  });

  it('fails with DocumentRejectedError when a bad document is rejected too', async () => {
    const rejected = { status: 400, error: { type: 'x', reason: 'y' } };
    const { client } = scriptedClient([[ok, ok, rejected]]);
    await expect(new BulkIndexer(client).index(docs)).rejects.toBeInstanceOf(DocumentRejectedError);
  });

  it('cuts requests by bytes, never above maxRequestBytes', async () => {
    const big = Array.from({ length: 60 }, (_, i) => bigBad(i, 100_000));
    const { client, requests } = scriptedClient(allOk);
    const report = await new BulkIndexer(client, { maxRequestBytes: 1024 * 1024 }).index(big);
    expect(report.indexed).toBe(60);
    expect(requests.length).toBeGreaterThanOrEqual(
      Math.ceil(requests.reduce((s, r) => s + r.bytes, 0) / (1024 * 1024)),
    );
    expect(requests.length).toBeGreaterThan(1);
    expect(Math.max(...requests.map((r) => r.bytes))).toBeLessThanOrEqual(1024 * 1024);
    expect(report.maxRequestBytes).toBe(Math.max(...requests.map((r) => r.bytes)));
    expect(requests.flatMap(ids)).toEqual(big.map((d) => d.id));
  });

  it('answers a 413 by resending in smaller requests, and keeps the lower size afterwards', async () => {
    const domainLimit = 1_500_000;
    const tooLarge = responseError(413);
    const { client, requests } = scriptedClient((request) =>
      request.bytes > domainLimit ? tooLarge : allOk(request),
    );
    const indexer = new BulkIndexer(client, { maxRequestBytes: 8 * 1024 * 1024 });
    const big = Array.from({ length: 80 }, (_, i) => bigBad(i, 100_000));
    expect((await indexer.index(big)).indexed).toBe(80);
    const accepted = requests.filter((r) => r.bytes <= domainLimit);
    expect(accepted.flatMap(ids).sort()).toEqual(big.map((d) => d.id).sort());
    const before = requests.length;
    await indexer.index(big);
    const after = requests.slice(before);
    expect(after.every((r) => r.bytes <= domainLimit)).toBe(true);
    // Lowered to what the domain takes, not to one document a request.
    expect(after.length).toBeLessThanOrEqual(
      Math.ceil(after.reduce((s, r) => s + r.bytes, 0) / (domainLimit / 4)),
    );
  });

  it('sends one document a request when the domain takes no more, though it is above the lowered size', async () => {
    const big = Array.from({ length: 12 }, (_, i) => bigBad(i, 26_000 - 500 * i)); // the first the largest
    const single = Math.max(...big.map((d) => Buffer.byteLength(JSON.stringify(d.body)))) + 200;
    const { client, requests } = scriptedClient((request) =>
      request.bytes > single ? responseError(413) : allOk(request),
    );
    const report = await new BulkIndexer(client, { maxRequestBytes: 1024 * 1024 }).index(big);
    expect(report.indexed).toBe(12);
    expect(report.requests).toBe(requests.length); // what the metrics say is what the domain got
    const accepted = requests.filter((r) => r.bytes <= single);
    expect(accepted.map((r) => ids(r).length)).toEqual(big.map(() => 1));
    expect(accepted.flatMap(ids).sort()).toEqual(big.map((d) => d.id).sort());
  });

  it('fills a request up to exactly maxRequestBytes', async () => {
    const big = Array.from({ length: 30 }, (_, i) => bigBad(i, 100_000));
    const sizing = scriptedClient(allOk);
    await new BulkIndexer(sizing.client, { maxRequestBytes: 64 * 1024 * 1024 }).index(big);
    const lines = sizing.requests[0].lines.map((l) => Buffer.byteLength(`${JSON.stringify(l)}\n`));
    const itemSizes = big.map((_, i) => lines[2 * i] + lines[2 * i + 1]);
    let count = 0;
    let limit = 0;
    while (limit < 1024 * 1024) limit += itemSizes[count++];
    const { client, requests } = scriptedClient(allOk);
    await new BulkIndexer(client, { maxRequestBytes: limit }).index(big);
    expect(requests[0].bytes).toBe(limit);
    expect(ids(requests[0])).toHaveLength(count);
  });

  it('stops with PermanentIndexError when the domain refuses a single document as too large', async () => {
    const tooLarge = responseError(413);
    const { client } = scriptedClient(() => tooLarge);
    const failure = await new BulkIndexer(client).index([bigBad(0, 100_000)]).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(PermanentIndexError);
    expect((failure as Error).message).toMatch(/413.*single document/);
    expect((failure as Error).cause).toBe(tooLarge);
  });

  it('keeps at most MAX_RAW_BYTES of an oversize bad record, with its original size', () => {
    const doc = bigBad(0, 3 * MAX_RAW_BYTES);
    expect(doc.body).toMatchObject({ raw_bytes: 3 * MAX_RAW_BYTES, raw_truncated: true });
    expect(doc.body.raw).toHaveLength(MAX_RAW_BYTES);
    expect(Buffer.from(doc.body.raw_base64 ?? '', 'base64')).toHaveLength(MAX_RAW_BYTES);
  });

  it('refuses a request bound below 1 MiB, which a single document could exceed', () => {
    expect(() => new BulkIndexer(scriptedClient([]).client, { maxRequestBytes: 1000 })).toThrow(
      /maxRequestBytes must be at least 1048576/,
    );
  });
});

describe('BulkIndexer shared by chunks in flight', () => {
  /** A transport whose requests the test answers one by one, recording each body as sent. */
  function heldClient() {
    const held: { body: string; answer: () => void }[] = [];
    const client = {
      transport: {
        request: ({ bulkBody }: { bulkBody: Buffer }) =>
          new Promise((resolve) => {
            const body = bulkBody.toString('utf8');
            const items = body.split('\n').filter((l) => l !== '').length / 2;
            held.push({
              body,
              answer: () =>
                resolve({ body: { items: Array.from({ length: items }, () => ({ index: ok })) } }),
            });
          }),
      },
    };
    return { client: client as unknown as Client, held };
  }
  const settle = () => new Promise((resolve) => setTimeout(resolve, 5));

  it('keeps at most maxConcurrentRequests requests out, and sends the waiting ones in the order they came', async () => {
    const { client, held } = heldClient();
    const indexer = new BulkIndexer(client, { maxConcurrentRequests: 2 });
    const chunks = [0, 1, 2, 3].map((i) => [docs[i % docs.length]]);
    const done = chunks.map((chunk) => indexer.index(chunk));
    await settle();
    expect(held).toHaveLength(2);
    held[1].answer();
    await settle();
    expect(held).toHaveLength(3);
    expect(held[2].body).toContain(docs[2].id); // the third caller, not the fourth
    held[0].answer();
    await settle();
    held[2].answer();
    await settle();
    held[3].answer();
    await Promise.all(done);
    expect(held).toHaveLength(4);
    expect(() => new BulkIndexer(client, { maxConcurrentRequests: 0 })).toThrow(/maxConcurrentRequests/);
  });

  it('reuses the buffer of an answered chunk only once every request of it is answered', async () => {
    const { client, held } = heldClient();
    const indexer = new BulkIndexer(client, { maxConcurrentRequests: 4 });
    const first = indexer.index(docs);
    await settle();
    const sent = held[0].body;
    held[0].answer();
    await first;
    // The next chunks take the buffer back; what the first sent was its own bytes, and each new body is whole.
    const next = [indexer.index([docs[2]]), indexer.index([docs[0], docs[1]])];
    await settle();
    expect(sent.split('\n').filter((l) => l !== '')).toHaveLength(6);
    expect(
      held[1].body
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l)),
    ).toHaveLength(2);
    expect(held[2].body).toContain(docs[1].id);
    for (const h of held.slice(1)) h.answer();
    await Promise.all(next);
  });
});
