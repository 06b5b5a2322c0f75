import { describe, expect, it } from 'vitest';
import { type DecodeResult, decodeEvent, type ReasonCode } from '../../core/event.js';

const valid = {
  event_id: '0123456789abcdef0123456789ABCDEF',
  account_id: 42,
  event_type: 'page_view',
  device: 'IOS',
  location_country: 'DE',
  event_timestamp: 1_763_900_000,
};

const bytes = (text: string) => new TextEncoder().encode(text);
const decodeJson = (value: unknown) => decodeEvent(bytes(JSON.stringify(value)));
const codes = (result: DecodeResult) =>
  result.ok ? [] : result.reasons.map((r) => `${r.code}:${r.field ?? ''}`);

function expectBad(result: DecodeResult, code: ReasonCode, field?: string) {
  expect(result.ok).toBe(false);
  expect(codes(result)).toEqual([`${code}:${field ?? ''}`]);
}

describe('decodeEvent', () => {
  it('accepts a valid event and normalises the event id to lower case', () => {
    const result = decodeJson(valid);
    expect(result).toEqual({ ok: true, event: { ...valid, event_id: valid.event_id.toLowerCase() } });
  });

  it('accepts a numeric-string account id and an ISO-8601 timestamp with a zone', () => {
    const result = decodeJson({ ...valid, account_id: '42', event_timestamp: '2025-11-23T12:13:20+01:00' });
    expect(result.ok && result.event.account_id).toBe(42);
    expect(result.ok && result.event.event_timestamp).toBe(Date.parse('2025-11-23T11:13:20Z') / 1000);
  });

  it('ignores unknown extra fields', () => {
    expect(decodeJson({ ...valid, referrer: 'x' }).ok).toBe(true);
  });

  it('classifies a null value (tombstone) and an empty value as empty_payload', () => {
    expectBad(decodeEvent(null), 'empty_payload');
    expectBad(decodeEvent(new Uint8Array()), 'empty_payload');
  });

  it('classifies invalid UTF-8 as invalid_utf8 rather than decoding it lossily', () => {
    expectBad(decodeEvent(Uint8Array.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])), 'invalid_utf8');
  });

  it.each([
    ['truncated JSON', '{"event_id": "abc"'],
    ['plain text', 'GET /index.html 200'],
    ['a trailing comma', '{"a": 1,}'],
  ])('classifies %s as not_json', (_, text) => {
    expectBad(decodeEvent(bytes(text)), 'not_json');
  });

  it.each([
    ['an array', [valid]],
    ['a number', 42],
    ['a string', 'hello'],
    ['null', null],
    ['a boolean', true],
  ])('classifies %s as not_object', (_, value) => {
    expectBad(decodeJson(value), 'not_object');
  });

  it.each([
    [[valid], 'the value is an array, not a JSON object'],
    [null, 'the value is null, not a JSON object'],
    [42, 'the value is a number, not a JSON object'],
  ])('says what a non-object value is (%j)', (value, message) => {
    expect(decodeJson(value)).toEqual({ ok: false, reasons: [{ code: 'not_object', message }] });
  });

  // A reason's message quotes at most 40 characters of the value: a document stays small whatever arrives.
  it.each([
    ['account_id', `${'1'.repeat(30)}x${'1'.repeat(5_000)}`],
    ['account_id', '9'.repeat(5_000)],
    ['device', 'X'.repeat(5_000)],
    ['location_country', 'X'.repeat(5_000)],
    ['event_timestamp', `2025-${'1'.repeat(5_000)}`],
  ])('quotes a long %s in its reason only in part', (field, value) => {
    const result = decodeJson({ ...valid, [field]: value });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reasons[0].message.length).toBeLessThan(160);
  });

  it.each(Object.keys(valid))('classifies a missing %s as missing_field', (field) => {
    const event: Record<string, unknown> = { ...valid };
    delete event[field];
    expectBad(decodeJson(event), 'missing_field', field);
  });

  it.each(Object.keys(valid))('classifies a null %s as null_field', (field) => {
    expectBad(decodeJson({ ...valid, [field]: null }), 'null_field', field);
  });

  it('reports every broken field, not only the first', () => {
    const result = decodeJson({ ...valid, device: 'TV', location_country: 'XX', event_id: null });
    expect(codes(result)).toEqual([
      'null_field:event_id',
      'unknown_device:device',
      'bad_country:location_country',
    ]);
  });

  it.each([
    ['event_id', 123],
    ['account_id', { id: 1 }],
    ['account_id', true],
    ['account_id', [42]],
    ['event_type', 5],
    ['device', 1],
    ['location_country', ['DE']],
    ['event_timestamp', false],
  ])('classifies %s of the wrong type (%j) as wrong_type', (field, value) => {
    expectBad(decodeJson({ ...valid, [field]: value }), 'wrong_type', field);
  });

  it.each([
    ['event_id', 'not-hex-0123456789abcdef01234567'],
    ['event_id', '0123456789abcdef'],
    ['event_id', '0123456789abcdef0123456789abcdef0'],
    ['account_id', 0],
    ['account_id', -5],
    ['account_id', 1.5],
    ['account_id', '12a'],
    ['account_id', '-3'],
    ['account_id', ' 42'],
    ['account_id', '42 '],
    ['account_id', '1e3'],
    ['account_id', '0x10'],
    ['account_id', 2 ** 53],
    ['account_id', '9007199254740993'],
    ['event_type', ''],
    ['event_type', '   '],
  ])('classifies %s = %j as bad_format', (field, value) => {
    expectBad(decodeJson({ ...valid, [field]: value }), 'bad_format', field);
  });

  it('rejects account ids above 2^53 written as JSON numbers, which JSON.parse would round', () => {
    expectBad(
      decodeEvent(
        bytes(
          `{"event_id":"${valid.event_id}","account_id":9007199254740993,"event_type":"x","device":"IOS","location_country":"DE","event_timestamp":1763900000}`,
        ),
      ),
      'bad_format',
      'account_id',
    );
  });

  it.each(['android', 'TV', 'Ios', ''])('classifies device %j as unknown_device', (device) => {
    expectBad(decodeJson({ ...valid, device }), 'unknown_device', 'device');
  });

  it.each(['XX', 'usa', 'de', 'u1', 'EU', ''])('classifies country %j as bad_country', (country) => {
    expectBad(decodeJson({ ...valid, location_country: country }), 'bad_country', 'location_country');
  });

  it.each([
    ['a millisecond epoch', 1_763_900_000_000],
    ['a fractional epoch', 1_763_900_000.5],
    ['an epoch before 2000', 100],
    ['a negative epoch', -1],
    ['a word', 'yesterday'],
    ['a date without time', '2025-11-23'],
    ['a date-time without zone', '2025-11-23T10:00:00'],
    ['an impossible date', '2025-13-45T10:00:00Z'],
    ['a day the month does not have', '2024-02-30T00:00:00Z'],
    ['29 February of a common year', '2025-02-29T00:00:00Z'],
    ['hour 24', '2024-05-01T24:00:00Z'],
    ['minute 60', '2024-05-01T10:60:00Z'],
    ['a zone offset of 24 hours', '2024-05-01T10:00:00+24:00'],
    ['a numeric string', '1763900000'],
    ['text before the date', 'on 2025-05-01T10:00:00Z'],
    ['text after the zone', '2025-05-01T10:00:00Z and more'],
  ])('classifies %s as bad_timestamp', (_, value) => {
    expectBad(decodeJson({ ...valid, event_timestamp: value }), 'bad_timestamp', 'event_timestamp');
  });

  it.each([
    ['1 January', '2025-01-01T00:00:00Z', Date.UTC(2025, 0, 1)],
    ['31 January', '2025-01-31T12:00:00Z', Date.UTC(2025, 0, 31, 12)],
    ['1 December', '2025-12-01T08:30:00Z', Date.UTC(2025, 11, 1, 8, 30)],
    ['31 December, last second', '2025-12-31T23:59:59Z', Date.UTC(2025, 11, 31, 23, 59, 59)],
    ['30 April', '2025-04-30T10:00:00Z', Date.UTC(2025, 3, 30, 10)],
    ['fractional seconds (rounded down)', '2025-06-15T10:00:00.999Z', Date.UTC(2025, 5, 15, 10)],
    ['nanoseconds', '2025-06-15T10:00:01.123456789Z', Date.UTC(2025, 5, 15, 10, 0, 1)],
    ['a negative zone', '2025-12-31T20:00:00-05:00', Date.UTC(2026, 0, 1, 1)],
    ['the largest zone offset', '2025-06-15T23:59:00+23:59', Date.UTC(2025, 6 - 1, 15)],
  ])('accepts an ISO-8601 timestamp on %s as its epoch second', (_, value, ms) => {
    expect(decodeJson({ ...valid, event_timestamp: value })).toEqual({
      ok: true,
      event: { ...valid, event_id: valid.event_id.toLowerCase(), event_timestamp: ms / 1000 },
    });
  });

  it.each([
    ['month 0', '2025-00-10T10:00:00Z'],
    ['month 13', '2025-13-10T10:00:00Z'],
    ['day 0', '2025-05-00T10:00:00Z'],
    ['31 April', '2025-04-31T10:00:00Z'],
    ['32 December', '2025-12-32T10:00:00Z'],
    ['second 60', '2025-05-01T10:00:60Z'],
    ['a zone of 60 minutes', '2025-05-01T10:00:00+01:60'],
    ['ten fractional digits', '2025-05-01T10:00:00.1234567891Z'],
  ])('refuses an ISO-8601 timestamp with %s', (_, value) => {
    expectBad(decodeJson({ ...valid, event_timestamp: value }), 'bad_timestamp', 'event_timestamp');
  });

  it('accepts 29 February of a leap year and an offset zone', () => {
    expect(decodeJson({ ...valid, event_timestamp: '2024-02-29T23:59:59+05:30' })).toMatchObject({
      ok: true,
      event: { event_timestamp: Date.parse('2024-02-29T18:29:59Z') / 1000 },
    });
  });

  it('classifies an event_type longer than 256 characters as bad_format', () => {
    expect(decodeJson({ ...valid, event_type: 'x'.repeat(256) }).ok).toBe(true);
    expectBad(decodeJson({ ...valid, event_type: 'x'.repeat(257) }), 'bad_format', 'event_type');
  });

  it('accepts the boundaries of the epoch range', () => {
    expect(decodeJson({ ...valid, event_timestamp: 946_684_800 }).ok).toBe(true);
    expect(decodeJson({ ...valid, event_timestamp: 4_102_444_799 }).ok).toBe(true);
    expectBad(decodeJson({ ...valid, event_timestamp: 4_102_444_800 }), 'bad_timestamp', 'event_timestamp');
  });

  it('gives a human-readable message with every reason', () => {
    const result = decodeJson({ ...valid, device: 'TV' });
    expect(result.ok ? '' : result.reasons[0].message).toBe(
      "device 'TV' is not one of ANDROID, IOS, WEB, DESKTOP",
    );
  });

  // The messages are indexed with the bad document: what an operator reads to see why a record is bad.
  it.each([
    [null, 'the record has no value (null or empty)'],
    [Uint8Array.from([0xff]), 'the value is not valid UTF-8'],
    [bytes('{'), expect.stringMatching(/^the value is not JSON: ./)],
    [bytes(JSON.stringify({ ...valid, event_id: undefined })), 'event_id is missing'],
    [bytes(JSON.stringify({ ...valid, event_id: null })), 'event_id is null'],
    [bytes(JSON.stringify({ ...valid, event_id: 5 })), 'event_id must be a string, got number'],
    [bytes(JSON.stringify({ ...valid, event_id: 'x' })), 'event_id must be 32 hexadecimal characters'],
    [
      bytes(JSON.stringify({ ...valid, account_id: 'abc' })),
      "account_id must be a positive integer, got 'abc'",
    ],
    [
      bytes(JSON.stringify({ ...valid, account_id: [1] })),
      'account_id must be an integer or a numeric string, got array',
    ],
    [
      bytes(JSON.stringify({ ...valid, account_id: -2 })),
      'account_id must be a positive integer no larger than 2^53-1, got -2',
    ],
    [bytes(JSON.stringify({ ...valid, event_type: 1 })), 'event_type must be a string, got number'],
    [bytes(JSON.stringify({ ...valid, event_type: ' ' })), 'event_type is empty'],
    [
      bytes(JSON.stringify({ ...valid, event_type: 'x'.repeat(300) })),
      'event_type is 300 characters long, more than 256',
    ],
    [bytes(JSON.stringify({ ...valid, device: true })), 'device must be a string, got boolean'],
    [
      bytes(JSON.stringify({ ...valid, location_country: 1 })),
      'location_country must be a string, got number',
    ],
    [
      bytes(JSON.stringify({ ...valid, location_country: 'XX' })),
      "location_country 'XX' is not an ISO 3166-1 alpha-2 code",
    ],
    [
      bytes(JSON.stringify({ ...valid, event_timestamp: 1.5e9 + 0.5 })),
      'event_timestamp must be whole epoch seconds, got 1500000000.5',
    ],
    [
      bytes(JSON.stringify({ ...valid, event_timestamp: 'soon' })),
      "event_timestamp 'soon' is not an ISO-8601 date-time with a time zone",
    ],
    [
      bytes(JSON.stringify({ ...valid, event_timestamp: {} })),
      'event_timestamp must be epoch seconds or an ISO-8601 string, got object',
    ],
    [
      bytes(JSON.stringify({ ...valid, event_timestamp: 5 })),
      'event_timestamp 5 is outside 2000-01-01..2100-01-01 (milliseconds instead of seconds?)',
    ],
  ])('says what is wrong in words (%#)', (value, message) => {
    const result = decodeEvent(value);
    expect(result.ok ? [] : result.reasons.map((r) => r.message)).toEqual([message]);
  });
});
