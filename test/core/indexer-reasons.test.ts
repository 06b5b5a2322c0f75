// What the indexer says when OpenSearch does not take the documents: the reasons the node gave (error type,
// reason, index; for a whole request its status and message), counted, never just "429 or 5xx". The real
// node's flood-stage block is in test/integration/search-faults.test.ts.
import { type Client, errors } from '@opensearch-project/opensearch';
import { describe, expect, it } from 'vitest';
import { classify, decodeAll } from '../../core/classify.js';
import { SinkUnavailableError } from '../../core/errors.js';
import { BulkIndexer, summarise } from '../../core/indexer.js';
import type { LogFields, Logger } from '../../core/logger.js';
import type { SourceRecord } from '../../core/source-record.js';

const FLOOD =
  'index [p-events-2026.11.23] blocked by: [TOO_MANY_REQUESTS/12/disk usage exceeded flood-stage watermark, index has read-only-allow-delete block];';

/** A transport that answers every _bulk the same way: per-item results, or an error for the whole request. */
function answering(answer: (documents: number) => { status: number; error?: object }[] | Error): Client {
  return {
    transport: {
      request: async ({ bulkBody }: { bulkBody: Buffer }) => {
        const documents = bulkBody.toString('utf8').split('\n').filter(Boolean).length / 2;
        const result = answer(documents);
        if (result instanceof Error) throw result;
        return { body: { items: result.map((i) => ({ index: i })) } };
      },
    },
  } as unknown as Client;
}

const records: SourceRecord[] = Array.from({ length: 4 }, (_, i) => ({
  topic: 't',
  partition: 0,
  offset: String(i),
  timestampMs: Date.parse('2026-11-23T00:00:00Z'),
  key: null,
  value: new TextEncoder().encode('{'),
}));
const docs = classify(decodeAll(records), new Map(), 'p', '2026-11-23T00:00:01Z');

function recordingLogger(): { logger: Logger; warnings: string[] } {
  const warnings: string[] = [];
  const logger: Logger = {
    debug: () => {},
    info: () => {},
    warn: (message: string, _fields?: LogFields) => warnings.push(message),
    error: () => {},
    child: () => logger,
  };
  return { logger, warnings };
}

describe('BulkIndexer failure messages', () => {
  it('names the flood-stage block, its index, the count and the fix when every item is refused with 429', async () => {
    const client = answering((n) =>
      Array.from({ length: n }, () => ({
        status: 429,
        error: { type: 'cluster_block_exception', reason: FLOOD },
      })),
    );
    const failure = new BulkIndexer(client, { baseDelayMs: 1, maxAttempts: 2 }).index(docs);
    await expect(failure).rejects.toBeInstanceOf(SinkUnavailableError);
    await expect(failure).rejects.toThrow(
      'OpenSearch unavailable after 2 attempts: 4 documents still failing: 4 × HTTP 429 cluster_block_exception: ' +
        'index [p-events-2026.11.23] blocked by: [TOO_MANY_REQUESTS/12/disk usage exceeded flood-stage watermark, ' +
        "index has read-only-allow-delete block] (the node's disk is above its flood-stage watermark: free disk space",
    );
  });

  it('names a whole request that failed by its status and message, in the warning and the error', async () => {
    const body = {
      error: { type: 'circuit_breaking_exception', reason: '[parent] Data too large' },
      status: 429,
    };
    const client = answering(
      () =>
        new errors.ResponseError({ body, statusCode: 429, headers: {}, warnings: null, meta: {} } as never),
    );
    const { logger, warnings } = recordingLogger();
    const failure = new BulkIndexer(client, { baseDelayMs: 1, maxAttempts: 2, logger }).index(docs);
    await expect(failure).rejects.toThrow(
      /4 documents still failing: 4 × HTTP 429: circuit_breaking_exception.*\[parent\] Data too large/,
    );
    expect(warnings[0]).toMatch(/^bulk request failed, will retry: HTTP 429: circuit_breaking_exception/);
  });

  it('says when the node did not answer at all', async () => {
    const client = answering(
      () => new errors.ConnectionError('connect ECONNREFUSED 127.0.0.1:9200', {} as never),
    );
    await expect(new BulkIndexer(client, { baseDelayMs: 1, maxAttempts: 1 }).index(docs)).rejects.toThrow(
      '4 documents still failing: 4 × no answer: connect ECONNREFUSED 127.0.0.1:9200',
    );
  });
});

describe('summarise', () => {
  it('keeps the most frequent reasons and counts the others, in one short line', () => {
    const reasons = new Map([
      ['HTTP 503 unavailable_shards_exception: primary shard is not active', 2],
      ['HTTP 429 es_rejected_execution_exception: rejected execution', 5],
      ['HTTP 500 x: y', 1],
      ['HTTP 502 z: w', 1],
    ]);
    expect(summarise(reasons)).toBe(
      '5 × HTTP 429 es_rejected_execution_exception: rejected execution; ' +
        '2 × HTTP 503 unavailable_shards_exception: primary shard is not active; 2 × 2 other reason(s)',
    );
    expect(summarise(new Map([['x'.repeat(1000), 1]])).length).toBeLessThan(320);
  });
});
