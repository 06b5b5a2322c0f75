// Classification of decoded records into good / suspicious / bad documents, given the users' default
// devices. Pure: the database lookup happens before, in processBatch.

import { badDocument, type PipelineDocument, validDocument } from './documents.js';
import { type DecodeResult, decodeEvent, type Reason } from './event.js';
import type { SourceRecord, TruncatedRecord } from './source-record.js';

export interface Decoded {
  readonly record: SourceRecord;
  readonly result: DecodeResult;
}

export function decodeAll(records: readonly SourceRecord[]): Decoded[] {
  return records.map((record) => ({
    record,
    result: record.truncated === undefined ? decodeEvent(record.value) : truncatedResult(record),
  }));
}

/** A cut record is never decoded: its bytes are only the beginning of the record's. */
function truncatedResult(record: SourceRecord): DecodeResult {
  const { valueBytes, valueSha256 } = record.truncated as TruncatedRecord;
  return {
    ok: false,
    reasons: [
      {
        code: 'truncated_dead_letter',
        message:
          `the dead letter held only ${record.value?.byteLength ?? 0} of the record's ${valueBytes} value bytes ` +
          `(sha256 ${valueSha256}): the full record is at ${record.topic}/${record.partition}/${record.offset}`,
      },
    ],
  };
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
