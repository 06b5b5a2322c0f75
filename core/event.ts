// Decoding and validation of one raw Kafka value into a LogEvent, with a precise reason for every rule
// it breaks. Pure: no I/O, no clock, so the same bytes always give the same verdict.
import { ISO_COUNTRIES } from './countries.js';

export const DEVICES = ['ANDROID', 'IOS', 'WEB', 'DESKTOP'] as const;
export type Device = (typeof DEVICES)[number];

export interface LogEvent {
  readonly event_id: string;
  readonly account_id: number;
  readonly event_type: string;
  readonly device: Device;
  readonly location_country: string;
  /** Epoch seconds. */
  readonly event_timestamp: number;
}

export type ReasonCode =
  | 'invalid_utf8'
  | 'empty_payload'
  | 'not_json'
  | 'not_object'
  | 'missing_field'
  | 'null_field'
  | 'wrong_type'
  | 'bad_format'
  | 'unknown_device'
  | 'bad_country'
  | 'bad_timestamp'
  | 'unknown_account'
  | 'device_mismatch'
  | 'index_rejected'
  | 'truncated_dead_letter';

export interface Reason {
  readonly code: ReasonCode;
  readonly field?: string;
  readonly message: string;
}

export type DecodeResult = { ok: true; event: LogEvent } | { ok: false; reasons: Reason[] };

export const REQUIRED_FIELDS = [
  'event_id',
  'account_id',
  'event_type',
  'device',
  'location_country',
  'event_timestamp',
] as const;

/** Accepted epoch-second range: 2000-01-01 up to (excluding) 2100-01-01. Milliseconds fall outside. */
export const MIN_EPOCH_SECONDS = 946_684_800;
export const MAX_EPOCH_SECONDS = 4_102_444_800;

const utf8 = new TextDecoder('utf-8', { fatal: true });
const EVENT_ID = /^[0-9a-f]{32}$/i;
const DIGITS = /^[0-9]+$/;
// Date and time with seconds and an explicit zone; Date.parse alone accepts too much ('2024', 'May 1').
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-](\d{2}):(\d{2}))$/;
/** Longer event types cannot be searched (the mapping ignores keywords above 256) and only bloat documents. */
export const MAX_EVENT_TYPE_LENGTH = 256;
const DEVICE_SET: ReadonlySet<string> = new Set(DEVICES);

export function decodeEvent(value: Uint8Array | null): DecodeResult {
  if (value === null || value.length === 0) {
    return fail({ code: 'empty_payload', message: 'the record has no value (null or empty)' });
  }
  let text: string;
  try {
    text = utf8.decode(value);
  } catch {
    return fail({ code: 'invalid_utf8', message: 'the value is not valid UTF-8' });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return fail({ code: 'not_json', message: `the value is not JSON: ${(error as Error).message}` });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    const kind = Array.isArray(parsed) ? 'an array' : parsed === null ? 'null' : `a ${typeof parsed}`;
    return fail({ code: 'not_object', message: `the value is ${kind}, not a JSON object` });
  }
  return validateFields(parsed as Record<string, unknown>);
}

function validateFields(raw: Record<string, unknown>): DecodeResult {
  const reasons: Reason[] = [];
  for (const field of REQUIRED_FIELDS) {
    if (!Object.hasOwn(raw, field))
      reasons.push({ code: 'missing_field', field, message: `${field} is missing` });
    else if (raw[field] === null) reasons.push({ code: 'null_field', field, message: `${field} is null` });
  }
  const present = (field: string) => raw[field] !== undefined && raw[field] !== null;

  const eventId = present('event_id') ? checkEventId(raw.event_id, reasons) : undefined;
  const accountId = present('account_id') ? checkAccountId(raw.account_id, reasons) : undefined;
  const eventType = present('event_type') ? checkEventType(raw.event_type, reasons) : undefined;
  const device = present('device') ? checkDevice(raw.device, reasons) : undefined;
  const country = present('location_country') ? checkCountry(raw.location_country, reasons) : undefined;
  const timestamp = present('event_timestamp') ? checkTimestamp(raw.event_timestamp, reasons) : undefined;

  if (reasons.length > 0) return { ok: false, reasons };
  return {
    ok: true,
    event: {
      event_id: (eventId as string).toLowerCase(),
      account_id: accountId as number,
      event_type: eventType as string,
      device: device as Device,
      location_country: country as string,
      event_timestamp: timestamp as number,
    },
  };
}

function wrongType(field: string, expected: string, value: unknown): Reason {
  const actual = Array.isArray(value) ? 'array' : typeof value;
  return { code: 'wrong_type', field, message: `${field} must be ${expected}, got ${actual}` };
}

function checkEventId(value: unknown, reasons: Reason[]): string | undefined {
  if (typeof value !== 'string') return void reasons.push(wrongType('event_id', 'a string', value));
  if (!EVENT_ID.test(value)) {
    return void reasons.push({
      code: 'bad_format',
      field: 'event_id',
      message: 'event_id must be 32 hexadecimal characters',
    });
  }
  return value;
}

function checkAccountId(value: unknown, reasons: Reason[]): number | undefined {
  let id: number;
  if (typeof value === 'number') id = value;
  else if (typeof value === 'string' && DIGITS.test(value)) id = Number(value);
  else if (typeof value === 'string') {
    return void reasons.push({
      code: 'bad_format',
      field: 'account_id',
      message: `account_id must be a positive integer, got '${value.slice(0, 40)}'`,
    });
  } else return void reasons.push(wrongType('account_id', 'an integer or a numeric string', value));
  // Above 2^53 JSON.parse has already rounded the number: the id would silently point at another account.
  if (!Number.isSafeInteger(id) || id <= 0) {
    return void reasons.push({
      code: 'bad_format',
      field: 'account_id',
      message: `account_id must be a positive integer no larger than 2^53-1, got ${String(value).slice(0, 40)}`,
    });
  }
  return id;
}

function checkEventType(value: unknown, reasons: Reason[]): string | undefined {
  if (typeof value !== 'string') return void reasons.push(wrongType('event_type', 'a string', value));
  if (value.trim() === '') {
    return void reasons.push({ code: 'bad_format', field: 'event_type', message: 'event_type is empty' });
  }
  if (value.length > MAX_EVENT_TYPE_LENGTH) {
    return void reasons.push({
      code: 'bad_format',
      field: 'event_type',
      message: `event_type is ${value.length} characters long, more than ${MAX_EVENT_TYPE_LENGTH}`,
    });
  }
  return value;
}

function checkDevice(value: unknown, reasons: Reason[]): Device | undefined {
  if (typeof value !== 'string') return void reasons.push(wrongType('device', 'a string', value));
  if (!DEVICE_SET.has(value)) {
    return void reasons.push({
      code: 'unknown_device',
      field: 'device',
      message: `device '${value.slice(0, 40)}' is not one of ${DEVICES.join(', ')}`,
    });
  }
  return value as Device;
}

function checkCountry(value: unknown, reasons: Reason[]): string | undefined {
  if (typeof value !== 'string') return void reasons.push(wrongType('location_country', 'a string', value));
  if (!ISO_COUNTRIES.has(value)) {
    return void reasons.push({
      code: 'bad_country',
      field: 'location_country',
      message: `location_country '${value.slice(0, 40)}' is not an ISO 3166-1 alpha-2 code`,
    });
  }
  return value;
}

function checkTimestamp(value: unknown, reasons: Reason[]): number | undefined {
  let seconds: number;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) {
      return void reasons.push({
        code: 'bad_timestamp',
        field: 'event_timestamp',
        message: `event_timestamp must be whole epoch seconds, got ${value}`,
      });
    }
    seconds = value;
  } else if (typeof value === 'string') {
    const millis = parseIsoDateTime(value);
    if (Number.isNaN(millis)) {
      return void reasons.push({
        code: 'bad_timestamp',
        field: 'event_timestamp',
        message: `event_timestamp '${value.slice(0, 40)}' is not an ISO-8601 date-time with a time zone`,
      });
    }
    seconds = Math.floor(millis / 1000);
  } else return void reasons.push(wrongType('event_timestamp', 'epoch seconds or an ISO-8601 string', value));
  if (seconds < MIN_EPOCH_SECONDS || seconds >= MAX_EPOCH_SECONDS) {
    return void reasons.push({
      code: 'bad_timestamp',
      field: 'event_timestamp',
      message: `event_timestamp ${value} is outside 2000-01-01..2100-01-01 (milliseconds instead of seconds?)`,
    });
  }
  return seconds;
}

/**
 * Epoch milliseconds of an ISO-8601 date-time with seconds and a zone, or NaN. Every component is checked:
 * Date.parse alone rolls impossible dates over ('2024-02-30' is 1 March, 'T24:00' the next day).
 */
function parseIsoDateTime(value: string): number {
  const parts = ISO_8601.exec(value);
  if (parts === null) return Number.NaN;
  const [year, month, day, hour, minute, second] = parts.slice(1, 7).map(Number);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const zoneHours = parts[9] === undefined ? 0 : Number(parts[9]);
  const zoneMinutes = parts[10] === undefined ? 0 : Number(parts[10]);
  const valid =
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59 &&
    zoneHours <= 23 &&
    zoneMinutes <= 59;
  return valid ? Date.parse(value) : Number.NaN;
}

function fail(reason: Reason): DecodeResult {
  return { ok: false, reasons: [reason] };
}
