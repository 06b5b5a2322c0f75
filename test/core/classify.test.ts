import { beforeEach, describe, expect, it } from 'vitest';
import { accountIdsOf, classify, type Decoded, decodeAll } from '../../core/classify.js';
import { type PipelineDocument, recordId } from '../../core/documents.js';
import type { SourceRecord } from '../../core/source-record.js';

const at = Date.parse('2026-11-23T10:00:00Z');
const record = (offset: number, value: unknown): SourceRecord => ({
  topic: 'server-logs',
  partition: 2,
  offset: String(offset),
  timestampMs: at,
  key: null,
  value:
    value === null
      ? null
      : new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value)),
});
const event = (account_id: number, device: string) => ({
  event_id: `${String(account_id).padStart(4, '0')}${'a'.repeat(28)}`,
  account_id,
  event_type: 'click',
  device,
  location_country: 'FR',
  event_timestamp: 1_763_900_000,
});

describe('classify', () => {
  // Built for each test, not while the file loads: StrykerJS counts a file that fails to load as no kill, and
  // runs every test for a mutant in code that runs outside tests.
  let decoded: Decoded[];
  let docs: PipelineDocument[];
  beforeEach(() => {
    decoded = decodeAll([
      record(10, event(1, 'IOS')),
      record(11, event(1, 'WEB')),
      record(12, event(7, 'IOS')),
      record(13, 'nope'),
    ]);
    docs = classify(
      decoded,
      new Map([
        [1, 'IOS'],
        [7, null],
      ]),
      'logs',
      '2026-11-23T10:00:01.000Z',
    );
  });

  it('looks up only the distinct account ids of valid events', () => {
    expect(accountIdsOf(decoded)).toEqual([1, 7]);
  });

  it('classifies an event on the default device as good, with no reasons', () => {
    expect(docs[0]).toMatchObject({
      index: 'logs-events-2026.11.23',
      id: recordId(decoded[0].record),
      body: { category: 'good', reasons: [], device: 'IOS', default_device: 'IOS' },
    });
  });

  it('writes the whole event into a valid document, its times as ISO-8601 UTC', () => {
    expect(docs[0].body).toEqual({
      category: 'good',
      reasons: [],
      event_id: `0001${'a'.repeat(28)}`,
      account_id: 1,
      event_type: 'click',
      device: 'IOS',
      default_device: 'IOS',
      location_country: 'FR',
      event_time: new Date(1_763_900_000 * 1000).toISOString(),
      source: { topic: 'server-logs', partition: 2, offset: '10', timestamp_ms: at },
      kafka_time: '2026-11-23T10:00:00.000Z',
      ingested_at: '2026-11-23T10:00:01.000Z',
    });
    expect(docs[0].record).toBe(decoded[0].record);
  });

  it('classifies another device as suspicious with a device_mismatch reason', () => {
    expect(docs[1].body).toMatchObject({
      category: 'suspicious',
      reasons: [
        {
          code: 'device_mismatch',
          field: 'device',
          message: "device WEB differs from the account's default device IOS",
        },
      ],
    });
    expect(docs[1].index).toBe('logs-events-2026.11.23');
  });

  it('classifies an unknown account as suspicious with an unknown_account reason', () => {
    expect(docs[2].body).toMatchObject({
      category: 'suspicious',
      reasons: [
        { code: 'unknown_account', field: 'account_id', message: 'account 7 is not in the users table' },
      ],
      default_device: null,
    });
  });

  it('keeps a bad record with its raw payload, its size and reason, in the same daily index', () => {
    expect(docs[3]).toMatchObject({
      index: 'logs-events-2026.11.23',
      id: recordId(decoded[3].record),
      body: {
        category: 'bad',
        raw: 'nope',
        raw_base64: Buffer.from('nope').toString('base64'),
        raw_bytes: 4,
        raw_truncated: false,
        reasons: [{ code: 'not_json' }],
        source: { topic: 'server-logs', partition: 2, offset: '13', timestamp_ms: at },
      },
    });
  });

  it('refuses to classify an account that was not looked up, rather than guessing', () => {
    expect(() => classify(decoded, new Map(), 'logs', '')).toThrow(/not looked up/);
  });
});
