// Synthetic server-log events with known ground truth. Pure (no I/O): given a seed it yields the same
// events every time, and each event says which category the classifier must put it in, so a run's
// "expected" counts can be compared with what lands in OpenSearch.
import { ConfigError } from '../core/errors.js';
import { DEVICES, type Device, REQUIRED_FIELDS, type ReasonCode } from '../core/event.js';
import { defaultDeviceFor, UNKNOWN_ACCOUNT_FLOOR } from '../core/users-schema.js';
import { createPrng, type Prng } from './prng.js';

/** The reason codes a malformed payload can earn; the generator produces every one of them. */
export const BAD_KINDS = [
  'invalid_utf8',
  'empty_payload',
  'not_json',
  'not_object',
  'missing_field',
  'null_field',
  'wrong_type',
  'bad_format',
  'unknown_device',
  'bad_country',
  'bad_timestamp',
] as const satisfies readonly ReasonCode[];
export type BadKind = (typeof BAD_KINDS)[number];

export type SuspiciousKind = Extract<ReasonCode, 'device_mismatch' | 'unknown_account'>;
export type ExpectedCategory = 'good' | 'suspicious' | 'bad';

/** The fields the classifier requires: every one of them gets its missing and null defects. */
export const EVENT_FIELDS = REQUIRED_FIELDS;
export type EventField = (typeof REQUIRED_FIELDS)[number];

export interface GeneratedEvent {
  /** Kafka record key: the account id as decimal text (keeps an account's events in order). */
  readonly key: string;
  /** Kafka record value; null is a tombstone. */
  readonly value: Buffer | null;
  readonly expected: ExpectedCategory;
  /** For bad events: the reason code the classifier must report. */
  readonly badKind?: BadKind;
  /** For suspicious events: why they are suspicious. */
  readonly suspiciousKind?: SuspiciousKind;
  /** For bad events about one field: which field is broken. */
  readonly field?: EventField;
  /** For bad events: a short human description of the defect (e.g. "device 'TV'"). */
  readonly detail?: string;
}

export interface EventSourceOptions {
  readonly seed: number | string;
  /** Share of bad events, in [0, 1]. */
  readonly badRatio: number;
  /** Share of suspicious events, in [0, 1]; badRatio + suspiciousRatio <= 1. */
  readonly suspiciousRatio: number;
  /** Account ids 1..accounts exist in the users table (seeded with defaultDeviceFor). */
  readonly accounts: number;
  /**
   * Share of suspicious events that use an account id unknown to the users table (the rest use a
   * device other than the account's default).
   * @default 0.1
   */
  readonly unknownAccountShare?: number;
  /**
   * Unknown accounts get ids above this one; it must be at least the highest id in the users table.
   * @default UNKNOWN_ACCOUNT_FLOOR - above anything a seed writes
   */
  readonly unknownAccountFloor?: number;
  /**
   * Current time in epoch seconds (a number, or a clock read per event). Event timestamps fall in
   * the few minutes before it.
   * @default - the system clock
   */
  readonly nowSeconds?: number | (() => number);
}

export interface EventSource extends Iterable<GeneratedEvent> {
  next(): GeneratedEvent;
}

const EVENT_TYPES: readonly (readonly [string, number])[] = [
  ['page_view', 50],
  ['click', 30],
  ['login', 10],
  ['purchase', 5],
  ['other', 5],
];

// Rough shares of web traffic; every code is an assigned ISO 3166-1 alpha-2 code.
const COUNTRIES: readonly (readonly [string, number])[] = [
  ['US', 28],
  ['IN', 9],
  ['BR', 5],
  ['GB', 5],
  ['DE', 5],
  ['FR', 4],
  ['JP', 4],
  ['CA', 3],
  ['ID', 3],
  ['MX', 3],
  ['ES', 3],
  ['IT', 3],
  ['RU', 2],
  ['KR', 2],
  ['AU', 2],
  ['TR', 2],
  ['NL', 2],
  ['PL', 2],
  ['NG', 2],
  ['PH', 2],
  ['VN', 1],
  ['EG', 1],
  ['AR', 1],
  ['ZA', 1],
  ['SE', 1],
  ['CH', 1],
  ['IE', 1],
  ['SG', 1],
  ['NZ', 1],
  ['PT', 1],
];

function weightedPicker(entries: readonly (readonly [string, number])[]): (prng: Prng) => string {
  const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
  return (prng) => {
    let r = prng.float() * total;
    for (const [value, weight] of entries) {
      r -= weight;
      if (r < 0) return value;
    }
    return (entries[entries.length - 1] as readonly [string, number])[0];
  };
}

const pickEventType = weightedPicker(EVENT_TYPES);
const pickCountry = weightedPicker(COUNTRIES);

/** A valid event as a plain object, before any defect is applied. */
type EventObject = Record<string, unknown>;

interface Defect {
  readonly value: Buffer | null;
  readonly field?: EventField;
  readonly detail: string;
}

type DefectMaker = (event: EventObject, prng: Prng, nowSeconds: number) => Defect;

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value), 'utf8');

/** Replaces one field's value; the rest of the event stays valid so only one rule is broken. */
const withField =
  (field: EventField, value: unknown, detail: string): DefectMaker =>
  (event) => ({ value: json({ ...event, [field]: value }), field, detail });

const withoutField =
  (field: EventField): DefectMaker =>
  (event) => {
    const copy = { ...event };
    delete copy[field];
    return { value: json(copy), field, detail: `${field} missing` };
  };

/** Puts raw bytes where a string field's text would be, so the rest of the JSON is intact. */
const withBytesIn =
  (field: EventField, bytes: readonly number[], detail: string): DefectMaker =>
  (event) => {
    const marker = '\u0001MARK\u0001';
    const text = JSON.stringify({ ...event, [field]: marker });
    const escaped = JSON.stringify(marker).slice(1, -1);
    const [before, after] = text.split(escaped) as [string, string];
    return {
      value: Buffer.concat([Buffer.from(before, 'utf8'), Buffer.from(bytes), Buffer.from(after, 'utf8')]),
      detail,
    };
  };

const fixed =
  (value: Buffer | null, detail: string): DefectMaker =>
  () => ({ value, detail });

// Each kind lists its variants; within a kind the variants are used in turn, so every one shows up.
const DEFECTS: Readonly<Record<BadKind, readonly DefectMaker[]>> = {
  invalid_utf8: [
    withBytesIn('event_type', [0x63, 0x6c, 0xc3, 0x28], 'invalid 2-byte sequence in event_type'),
    withBytesIn('location_country', [0xc0, 0xaf], 'overlong encoding in location_country'),
    fixed(Buffer.from([0x80, 0x81, 0xfe, 0xff]), 'binary garbage'),
    withBytesIn('device', [0xed, 0xa0, 0x80], 'UTF-16 surrogate encoded in device'),
  ],
  empty_payload: [fixed(null, 'null value (tombstone)'), fixed(Buffer.alloc(0), 'zero-length value')],
  not_json: [
    (event, prng) => {
      const text = JSON.stringify(event);
      // Any strict prefix of an object's text is invalid JSON (the closing brace is missing).
      const cut = prng.int(1, text.length - 1);
      return { value: Buffer.from(text.slice(0, cut), 'utf8'), detail: `JSON truncated at ${cut} chars` };
    },
    fixed(Buffer.from('GET /checkout HTTP/1.1 200 512', 'utf8'), 'plain-text access log line'),
    (event) => ({
      value: Buffer.from(JSON.stringify(event).replaceAll('"', "'"), 'utf8'),
      detail: 'single-quoted pseudo-JSON',
    }),
    fixed(Buffer.from('account_id=42 device=WEB', 'utf8'), 'key=value text'),
  ],
  not_object: [
    (event) => ({ value: json([event]), detail: 'event wrapped in an array' }),
    fixed(Buffer.from('42', 'utf8'), 'a JSON number'),
    fixed(Buffer.from('"page_view"', 'utf8'), 'a JSON string'),
    fixed(Buffer.from('true', 'utf8'), 'a JSON boolean'),
    fixed(Buffer.from('[]', 'utf8'), 'an empty JSON array'),
  ],
  missing_field: EVENT_FIELDS.map(withoutField),
  null_field: EVENT_FIELDS.map((field) => withField(field, null, `${field} null`)),
  wrong_type: [
    withField('event_id', 123456789, 'event_id as a number'),
    withField('account_id', { id: 7 }, 'account_id as an object'),
    withField('event_type', 3, 'event_type as a number'),
    withField('device', 2, 'device as a number'),
    withField('location_country', ['US'], 'location_country as an array'),
    withField('event_timestamp', true, 'event_timestamp as a boolean'),
    withField('account_id', true, 'account_id as a boolean'),
  ],
  bad_format: [
    withField('event_id', 'not-an-id', "event_id 'not-an-id'"),
    (event, prng) => {
      const id = prng.hex128().slice(0, 31);
      return {
        value: json({ ...event, event_id: id }),
        field: 'event_id',
        detail: 'event_id of 31 hex chars',
      };
    },
    (event, prng) => {
      const id = `${prng.hex128().slice(0, 31)}g`;
      return { value: json({ ...event, event_id: id }), field: 'event_id', detail: "event_id with a 'g'" };
    },
    withField('account_id', -5, 'account_id negative'),
    withField('account_id', 0, 'account_id zero'),
    withField('account_id', 12.5, 'account_id not an integer'),
    withField('event_type', '', 'event_type empty'),
  ],
  unknown_device: [
    withField('device', 'android', "device 'android' (lower case)"),
    withField('device', 'TV', "device 'TV'"),
    withField('device', 'Ios', "device 'Ios'"),
    withField('device', 'WINDOWS_PHONE', "device 'WINDOWS_PHONE'"),
  ],
  bad_country: [
    withField('location_country', 'XX', "location_country 'XX' (unassigned)"),
    withField('location_country', 'usa', "location_country 'usa'"),
    withField('location_country', 'u1', "location_country 'u1'"),
    withField('location_country', 'us', "location_country 'us' (lower case)"),
  ],
  bad_timestamp: [
    withField('event_timestamp', 'yesterday', "event_timestamp 'yesterday'"),
    (event, _prng, now) => ({
      value: json({ ...event, event_timestamp: now * 1000 }),
      field: 'event_timestamp',
      detail: 'event_timestamp in milliseconds (out of range)',
    }),
    withField('event_timestamp', '2024-13-45T99:00:00Z', 'event_timestamp impossible ISO date'),
    withField('event_timestamp', 946684799 - 86400, 'event_timestamp before 2000'),
  ],
};

function assertRatio(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0 || value > 1) {
    throw new ConfigError(`${name} must be a number in [0, 1], got ${value}`);
  }
}

function validate(options: EventSourceOptions): void {
  assertRatio('badRatio', options.badRatio);
  assertRatio('suspiciousRatio', options.suspiciousRatio);
  assertRatio('unknownAccountShare', options.unknownAccountShare ?? 0.1);
  // A little slack for binary floating point (0.7 + 0.3 is 0.9999999999999999 or 1.0000000000000002).
  if (options.badRatio + options.suspiciousRatio > 1 + 1e-9) {
    throw new ConfigError(
      `badRatio + suspiciousRatio must be <= 1, got ${options.badRatio} + ${options.suspiciousRatio}`,
    );
  }
  if (!Number.isSafeInteger(options.accounts) || options.accounts < 1) {
    throw new ConfigError(`accounts must be a positive integer, got ${options.accounts}`);
  }
  const floor = options.unknownAccountFloor ?? UNKNOWN_ACCOUNT_FLOOR;
  if (
    !Number.isSafeInteger(floor) ||
    floor < options.accounts ||
    !Number.isSafeInteger(unknownAccountRange(options.accounts, floor).last)
  ) {
    throw new ConfigError(
      `unknownAccountFloor must be an integer >= accounts (${options.accounts}) that leaves the unknown ids below 2^53, got ${floor}`,
    );
  }
}

/**
 * The ids unknown accounts are drawn from: just above the floor, so they name no seeded row (neither
 * 1..accounts nor anything an earlier, larger seed wrote), and as many as there are accounts (at least
 * 1000), so they do not all hit one cached answer.
 */
export function unknownAccountRange(
  accounts: number,
  floor: number = UNKNOWN_ACCOUNT_FLOOR,
): { readonly first: number; readonly last: number } {
  return { first: floor + 1, last: floor + Math.max(accounts, 1000) };
}

/**
 * An endless, deterministic stream of events. Category assignment is exact: each event's `expected`
 * is what the classifier must decide (given a users table that holds accounts 1..accounts, seeded with
 * defaultDeviceFor, and no account above the unknown-account floor).
 */
export function createEventSource(options: EventSourceOptions): EventSource {
  validate(options);
  const { badRatio, suspiciousRatio, accounts } = options;
  const unknownAccountShare = options.unknownAccountShare ?? 0.1;
  const unknownIds = unknownAccountRange(accounts, options.unknownAccountFloor);
  const clock = options.nowSeconds;
  const now =
    typeof clock === 'number'
      ? () => clock
      : typeof clock === 'function'
        ? clock
        : () => Math.floor(Date.now() / 1000);
  const prng = createPrng(options.seed);
  let nextBadKind = 0;
  const nextVariant = new Map<BadKind, number>();

  /** A valid event for an account and device; some use the alternative encodings the rules allow. */
  const validEvent = (accountId: number, device: Device, nowSeconds: number): EventObject => {
    const timestamp = nowSeconds - prng.int(0, 300);
    const style = prng.float();
    return {
      event_id: prng.hex128(),
      // ~5% send the account id as a string of digits and ~10% an ISO-8601 time: both are valid.
      account_id: style < 0.05 ? String(accountId) : accountId,
      event_type: pickEventType(prng),
      device,
      location_country: pickCountry(prng),
      event_timestamp:
        style >= 0.9 ? new Date(timestamp * 1000).toISOString().replace('.000Z', 'Z') : timestamp,
    };
  };

  const next = (): GeneratedEvent => {
    const nowSeconds = now();
    const roll = prng.float();
    if (roll < badRatio) {
      const kind = BAD_KINDS[nextBadKind % BAD_KINDS.length] as BadKind;
      nextBadKind++;
      const variants = DEFECTS[kind];
      const index = nextVariant.get(kind) ?? 0;
      nextVariant.set(kind, index + 1);
      const makeDefect = variants[index % variants.length] as DefectMaker;
      const accountId = prng.int(1, accounts);
      const base = validEvent(accountId, defaultDeviceFor(accountId), nowSeconds);
      const defect = makeDefect(base, prng, nowSeconds);
      return {
        key: String(accountId),
        value: defect.value,
        expected: 'bad',
        badKind: kind,
        detail: defect.detail,
        ...(defect.field === undefined ? {} : { field: defect.field }),
      };
    }
    if (roll < badRatio + suspiciousRatio) {
      if (prng.float() < unknownAccountShare) {
        const accountId = prng.int(unknownIds.first, unknownIds.last);
        return {
          key: String(accountId),
          value: json(validEvent(accountId, prng.pick(DEVICES), nowSeconds)),
          expected: 'suspicious',
          suspiciousKind: 'unknown_account',
        };
      }
      const accountId = prng.int(1, accounts);
      const usual = defaultDeviceFor(accountId);
      const other = prng.pick(DEVICES.filter((device) => device !== usual));
      return {
        key: String(accountId),
        value: json(validEvent(accountId, other, nowSeconds)),
        expected: 'suspicious',
        suspiciousKind: 'device_mismatch',
      };
    }
    const accountId = prng.int(1, accounts);
    return {
      key: String(accountId),
      value: json(validEvent(accountId, defaultDeviceFor(accountId), nowSeconds)),
      expected: 'good',
    };
  };

  return {
    next,
    *[Symbol.iterator]() {
      for (;;) yield next();
    },
  };
}
