// Classification of decoded records into good / suspicious / bad documents, given the users' default
// devices. Pure: the database lookup happens before, in processBatch.

import { badDocument, type PipelineDocument, validDocument } from './documents.js';
import { type DecodeResult, decodeEvent, type Reason } from './event.js';
import type { SourceRecord } from './source-record.js';

export interface Decoded {
  readonly record: SourceRecord;
  readonly result: DecodeResult;
}

export function decodeAll(records: readonly SourceRecord[]): Decoded[] {
  return records.map((record) => ({ record, result: decodeEvent(record.value) }));
}

/** The distinct account ids of the valid events: what the users lookup needs. */
export function accountIdsOf(decoded: readonly Decoded[]): number[] {
  const ids = new Set<number>();
  for (const { result } of decoded) if (result.ok) ids.add(result.event.account_id);
  return [...ids];
}

export function classify(
  decoded: readonly Decoded[],
  defaultDevices: ReadonlyMap<number, string | null>,
  prefix: string,
  ingestedAt: string,
): PipelineDocument[] {
  return decoded.map(({ record, result }) => {
    if (!result.ok) return badDocument(prefix, record, result.reasons, ingestedAt);
    const { event } = result;
    const defaultDevice = defaultDevices.get(event.account_id);
    if (defaultDevice === undefined) {
      throw new Error(`account ${event.account_id} was not looked up before classification`);
    }
    const reasons: Reason[] = [];
    if (defaultDevice === null) {
      reasons.push({
        code: 'unknown_account',
        field: 'account_id',
        message: `account ${event.account_id} is not in the users table`,
      });
    } else if (defaultDevice !== event.device) {
      reasons.push({
        code: 'device_mismatch',
        field: 'device',
        message: `device ${event.device} differs from the account's default device ${defaultDevice}`,
      });
    }
    const category = reasons.length === 0 ? 'good' : 'suspicious';
    return validDocument(prefix, record, event, category, reasons, defaultDevice, ingestedAt);
  });
}
