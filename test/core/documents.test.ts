// Document identity and placement: what makes a redelivered record overwrite its own document.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { classify, decodeAll } from '../../core/classify.js';
import { badDocument, indexName, isUsableRecordTime, MAX_RAW_BYTES, recordId } from '../../core/documents.js';
import type { SourceRecord } from '../../core/source-record.js';

const record = (over: Partial<SourceRecord> = {}): SourceRecord => ({
  topic: 'server-logs',
  partition: 1,
  offset: '0',
  timestampMs: Date.parse('2026-11-23T10:00:00Z'),
  key: new TextEncoder().encode('42'),
  value: new TextEncoder().encode('{"not":"valid"}'),
  ...over,
});

describe('recordId', () => {
  it('is the same for the same record, however often it is delivered', () => {
    expect(recordId(record())).toBe(recordId(record()));
    expect(recordId(record())).toMatch(/^server-logs-1-0-[A-Za-z0-9_-]{16}$/);
  });

  it('differs for a new record at the same offset after the topic was recreated', () => {
    const first = recordId(record());
    expect(recordId(record({ timestampMs: Date.parse('2026-11-24T08:00:00Z') }))).not.toBe(first);
    expect(recordId(record({ value: new TextEncoder().encode('other') }))).not.toBe(first);
    expect(recordId(record({ key: null }))).not.toBe(first);
  });

  // Ids are what make a redelivery overwrite its document: a different id for the same record would duplicate
  // every document on the next replay. These were computed before the one-shot hash replaced the streamed one.
  it('keeps the ids it has always given', () => {
    expect(recordId(record())).toBe('server-logs-1-0-PQcGm13m4vPIM0fi');
    expect(
      recordId(record({ partition: 2, offset: '123456789', timestampMs: -1, key: null, value: null })),
    ).toBe('server-logs-2-123456789-5kvCKgryhIfObxTq');
    // Digests with '-' and '_' (base64url, not base64: '+' and '/' would change about 40 % of ids).
    const text = (s: string) => new TextEncoder().encode(s);
    expect(recordId(record({ offset: '6', value: text('{"n":6}') }))).toBe(
      'server-logs-1-6-a-O1y3dNPwKgq_QT',
    );
    expect(recordId(record({ offset: '11', value: text('{"n":11}') }))).toBe(
      'server-logs-1-11-XCF-RZk_oxCQVJAu',
    );
    // Larger than the buffer reused for the one-shot hash: the streamed path gives the same kind of id.
    expect(recordId(record({ offset: '1', value: new Uint8Array(20_000).fill(1) }))).toBe(
      'server-logs-1-1-wtf1fc_P8I-YfQan',
    );
  });

  it.each([
    ['a small record', 200],
    ['a record larger than the reused buffer', 40_000],
  ])('hashes timestamp, key length, key and value for %s', (_, size) => {
    const key = new TextEncoder().encode('account-7');
    const value = new Uint8Array(size).map((_, i) => (i * 31) % 256);
    const expected = createHash('sha256')
      .update(`1764000000000|${key.byteLength}|`)
      .update(key)
      .update(value)
      .digest('base64url')
      .slice(0, 16);
    expect(recordId(record({ timestampMs: 1_764_000_000_000, key, value }))).toBe(
      `server-logs-1-0-${expected}`,
    );
    // A key-less record after a large one: nothing of the earlier bytes is hashed again.
    expect(recordId(record({ key: null, value: new Uint8Array([1]) }))).toBe(
      `server-logs-1-0-${createHash('sha256')
        .update(`${record().timestampMs}|-1|`)
        .update(new Uint8Array([1]))
        .digest('base64url')
        .slice(0, 16)}`,
    );
  });

  it('gives a tombstone with a key larger than the reused buffer an id of its key', () => {
    const key = new Uint8Array(20_000).fill(7);
    const expected = createHash('sha256')
      .update(`${record().timestampMs}|20000|`)
      .update(key)
      .digest('base64url');
    expect(recordId(record({ key, value: null }))).toBe(`server-logs-1-0-${expected.slice(0, 16)}`);
  });

  it('does not confuse key bytes with value bytes', () => {
    const a = recordId(record({ key: new TextEncoder().encode('ab'), value: new TextEncoder().encode('c') }));
    const b = recordId(record({ key: new TextEncoder().encode('a'), value: new TextEncoder().encode('bc') }));
    expect(a).not.toBe(b);
  });
});

describe('indexName', () => {
  it('names the daily index after the record timestamp, whatever the category', () => {
    expect(indexName('logs', Date.parse('2026-11-23T23:59:59.999Z'))).toBe('logs-events-2026.11.23');
  });

  it('names each record after its own day and prefix, however records of different days and prefixes interleave', () => {
    const lastMs = Date.parse('2026-11-23T23:59:59.999Z');
    expect(indexName('logs', lastMs)).toBe('logs-events-2026.11.23');
    expect(indexName('logs', lastMs + 1)).toBe('logs-events-2026.11.24');
    expect(indexName('demo', lastMs + 1)).toBe('demo-events-2026.11.24');
    expect(indexName('demo', lastMs)).toBe('demo-events-2026.11.23');
    expect(indexName('logs', lastMs)).toBe('logs-events-2026.11.23');
  });

  it('dates records from the first millisecond of 2000 to the last of 2099', () => {
    expect(indexName('logs', Date.UTC(2000, 0, 1))).toBe('logs-events-2000.01.01');
    expect(indexName('logs', Date.UTC(2100, 0, 1) - 1)).toBe('logs-events-2099.12.31');
    expect(indexName('logs', Date.UTC(2000, 0, 1) - 1)).toBe('logs-events-undated');
  });

  it.each([
    ['no timestamp (-1)', -1],
    ['epoch 0', 0],
    ['a negative time', -86_400_000],
    ['year 2100', Date.UTC(2100, 0, 1)],
    ['9e15, beyond what a Date can hold', 9e15],
    ['8.64e15, the last instant a Date can hold', 8.64e15],
    ['NaN', Number.NaN],
  ])('puts a record with %s in the undated index instead of throwing', (_, timestampMs) => {
    expect(isUsableRecordTime(timestampMs)).toBe(false);
    expect(indexName('logs', timestampMs)).toBe('logs-events-undated');
  });
});

describe('badDocument', () => {
  const reasons = [{ code: 'empty_payload' as const, message: 'x' }];

  it('keeps a tombstone as a document without payload', () => {
    const doc = badDocument('logs', record({ value: null, timestampMs: -1 }), reasons, 'now');
    expect(doc.index).toBe('logs-events-undated');
    expect(doc.body).toEqual({
      category: 'bad',
      reasons,
      raw: null,
      raw_base64: null,
      raw_bytes: 0,
      raw_truncated: false,
      source: { topic: 'server-logs', partition: 1, offset: '0', timestamp_ms: -1 },
      kafka_time: null,
      ingested_at: 'now',
    });
  });

  it('keeps a payload of exactly MAX_RAW_BYTES whole, and cuts one byte more', () => {
    const whole = badDocument(
      'logs',
      record({ value: new Uint8Array(MAX_RAW_BYTES).fill(0x61) }),
      reasons,
      'now',
    );
    expect(whole.body).toMatchObject({ raw_bytes: MAX_RAW_BYTES, raw_truncated: false });
    expect(whole.body.raw).toHaveLength(MAX_RAW_BYTES);
    const cut = badDocument(
      'logs',
      record({ value: new Uint8Array(MAX_RAW_BYTES + 1).fill(0x61) }),
      reasons,
      'now',
    );
    expect(cut.body).toMatchObject({ raw_bytes: MAX_RAW_BYTES + 1, raw_truncated: true });
    expect(cut.body.raw).toHaveLength(MAX_RAW_BYTES);
  });

  it('keeps the exact bytes of a payload that is not UTF-8, and dates it by its record', () => {
    const value = Uint8Array.from([0xff, 0x00, 0x7b]);
    const doc = badDocument('logs', record({ value }), reasons, 'now');
    expect(doc.body).toMatchObject({
      raw_base64: Buffer.from(value).toString('base64'),
      raw_bytes: 3,
      raw_truncated: false,
      kafka_time: '2026-11-23T10:00:00.000Z',
    });
    expect(doc.id).toBe(recordId(record({ value })));
  });
});

describe('a cut dead letter re-driven', () => {
  it('is a bad document marked cut, with the full size, even when its kept bytes are few or none', () => {
    const truncated = { id: 'server-logs-1-0-full', valueBytes: 3_000_000, valueSha256: 'ab' };
    for (const value of [new Uint8Array([0x7b]), null]) {
      const [doc] = classify(decodeAll([record({ value, truncated })]), new Map(), 'logs', 'now');
      expect(doc.id).toBe('server-logs-1-0-full');
      expect(doc.body).toMatchObject({ category: 'bad', raw_bytes: 3_000_000, raw_truncated: true });
      expect(doc.body.reasons[0].message).toContain(
        `held only ${value?.byteLength ?? 0} of the record's 3000000`,
      );
    }
  });
});
