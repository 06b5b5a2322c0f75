// Bulk indexing with per-item status handling. Each document is serialised once and requests are cut by
// bytes, so no record mix can exceed what the search domain accepts (a t3.medium.search takes 10 MiB). The
// answer decides per item: 429/5xx items are retried with backoff; an item its index rejects for good
// (400, e.g. a mapping conflict) becomes a bad document with the rejection as reason, under the same _id, so
// nothing is lost and a later success still overwrites it; a bad document rejected too is a
// DocumentRejectedError (the consumer dead-letters it). A whole request that fails is an outage (connection
// refused/reset, timeout: the client reports no status; 429; 5xx) and is retried; a 413 lowers the request
// size and resends; any other refusal (403 write-blocked or denied, 404) is configuration, not data, and a
// PermanentIndexError. A full disk (flood-stage watermark) is a per-item 429 on OpenSearch 2.x: waited out, and
// every failure message names the reasons the node gave (type, reason, index), never just a status class.
import type { Client } from '@opensearch-project/opensearch';
import { badDocument, type Category, emptyCounts, type PipelineDocument } from './documents.js';
import { DocumentRejectedError, PermanentIndexError, SinkUnavailableError } from './errors.js';
import type { Reason } from './event.js';
import type { Logger } from './logger.js';
import { backoffMs, sleep } from './retry.js';

/** Half of the smallest domain's HTTP payload limit (10 MiB on t3.medium.search): room for overhead. */
export const DEFAULT_MAX_REQUEST_BYTES = 5 * 1024 * 1024;
/** Larger than any document can be (bad documents carry at most MAX_RAW_BYTES of payload, text plus base64). */
export const MIN_MAX_REQUEST_BYTES = 1024 * 1024;

export interface BulkIndexerOptions {
  /** @default 5 attempts per document before SinkUnavailableError (the consumer then retries the chunk). */
  readonly maxAttempts?: number;
  /** @default 200 ms, doubled per attempt with jitter. */
  readonly baseDelayMs?: number;
  /** @default - no logging */
  readonly logger?: Logger;
  /** Refresh after the bulk ('wait_for' in tests that read right after). @default false */
  readonly refresh?: boolean | 'wait_for';
  /** Upper bound of one _bulk request body, in bytes (at least 1 MiB). @default DEFAULT_MAX_REQUEST_BYTES */
  readonly maxRequestBytes?: number;
  /**
   * `_bulk` requests out at once, all callers together (the consumer indexes several chunks at a time); the others
   * wait their turn in order, so that the oldest chunk is answered first. @default DEFAULT_MAX_CONCURRENT_REQUESTS
   */
  readonly maxConcurrentRequests?: number;
}

/** As many requests as the raw `_bulk` ceiling of the bench keeps out: enough to keep a node's write threads busy. */
export const DEFAULT_MAX_CONCURRENT_REQUESTS = 3;

export interface IndexReport {
  readonly indexed: number;
  /** Documents written per category, after rerouting. */
  readonly counts: Record<Category, number>;
  /** Documents rejected by their index and written as bad documents instead. */
  readonly rerouted: number;
  /** Item-level retries (429/5xx) taken. */
  readonly retries: number;
  /** _bulk requests sent, and the largest body among them in bytes. */
  readonly requests: number;
  readonly maxRequestBytes: number;
}

interface BulkItemResult {
  status: number;
  error?: { type?: string; reason?: string };
}

/**
 * A document's two NDJSON lines, serialised once however often they are sent, and held as bytes. A chunk's lines
 * lie back to back in one buffer (`block`), so a request of consecutive items, as every first attempt is, goes
 * out as a slice of it: no buffer per document and no copy (measured: 6 % less consumer CPU per event, 20 MB less
 * external memory than a buffer per document joined per request).
 *
 * Of the document, an item keeps only what its answer may need (the category it counts as, and what a reroute to
 * the bad index is built from), not the body: bodies are garbage as soon as the chunk is encoded, so they die in
 * the young generation instead of being copied and promoted while the requests are out (the documents in flight
 * were most of what survived each scavenge).
 */
interface Item {
  readonly block: Buffer;
  readonly start: number;
  readonly end: number;
  readonly id: string;
  readonly index: string;
  readonly category: Category;
  readonly reasons: readonly Reason[];
  readonly ingestedAt: string;
  readonly record: PipelineDocument['record'];
}

/** The start of a document's action line, up to its `_id` value: for the last index named (a chunk's documents nearly always share their day). */
function actionHead(index: string): string {
  if (index !== lastAction.index) {
    lastAction = { index, head: `{"index":{"_index":${JSON.stringify(index)},"_id":` };
  }
  return lastAction.head;
}

/** The action line's start for the last index named. */
let lastAction = { index: '', head: '' };

// Record ids are topic-partition-offset-digest: letters, digits, '.', '_' and '-' (Kafka's topic names), which
// JSON takes as they are; only an id read back from a dead letter's header could need escaping.
const PLAIN_ID = /^[\w.-]+$/;
const QUOTE = 0x22;
const NEWLINE = 0x0a;
/** After a plain id: its closing quote and the end of the action line. */
const PLAIN_ID_END = '"}}\n';
const ACTION_END = '}}\n';

/**
 * The documents' NDJSON lines UTF-8 encoded into one buffer, in order. Each line is written to the buffer piece by
 * piece (the action line's cached head, the id, the body's JSON): a line joined into one string first was a third
 * of the consumer's allocations (the joined copy, then its flattening by write()), all of it garbage at once.
 */
function toItems(docs: readonly PipelineDocument[]): Item[] {
  const bodies: string[] = new Array(docs.length);
  /** The id as JSON when it needs escaping; else it is written as it is, between quotes. */
  const escapedIds: (string | undefined)[] = new Array(docs.length);
  const lineChars: number[] = new Array(docs.length);
  let chars = 0;
  let longest = 0;
  for (let i = 0; i < docs.length; i++) {
    const { index, id, body } = docs[i];
    bodies[i] = JSON.stringify(body);
    const escaped = PLAIN_ID.test(id) ? undefined : JSON.stringify(id);
    escapedIds[i] = escaped;
    const lineLength =
      actionHead(index).length +
      (escaped?.length ?? id.length + 2) +
      ACTION_END.length +
      bodies[i].length +
      1;
    lineChars[i] = lineLength;
    chars += lineLength;
    longest = Math.max(longest, lineLength);
  }
  // One byte per character, as event JSON nearly always is, plus room for the longest line at its worst (a UTF-16
  // unit takes at most 3 bytes): write() never cuts a line, and only mostly non-ASCII lines make the buffer grow.
  let block = takeBlock(chars + 3 * longest);
  let offset = 0;
  const starts: number[] = new Array(docs.length);
  for (let i = 0; i < docs.length; i++) {
    if (block.byteLength - offset < 3 * lineChars[i]) {
      const grown = takeBlock(2 * block.byteLength + 3 * lineChars[i]);
      block.copy(grown, 0, 0, offset);
      giveBack(block);
      block = grown;
    }
    starts[i] = offset;
    const { index, id } = docs[i];
    offset += block.write(actionHead(index), offset);
    const escaped = escapedIds[i];
    if (escaped === undefined) {
      block[offset++] = QUOTE;
      offset += block.write(id, offset);
      offset += block.write(PLAIN_ID_END, offset);
    } else {
      offset += block.write(escaped, offset);
      offset += block.write(ACTION_END, offset);
    }
    offset += block.write(bodies[i], offset);
    block[offset++] = NEWLINE;
  }
  return docs.map(({ id, index, record, body }, i) => ({
    id,
    index,
    record,
    category: body.category,
    reasons: body.reasons,
    ingestedAt: body.ingested_at,
    block,
    start: starts[i],
    end: i + 1 < docs.length ? starts[i + 1] : offset,
  }));
}

/**
 * Blocks of answered chunks, kept for the next ones: a chunk's lines take about 1 MB, and the memory of a dropped
 * Buffer is only freed by a full garbage collection, so with several chunks in flight new blocks piled up as
 * garbage outside the heap (tens of MB of RSS). At most MAX_SPARE_BLOCKS are kept.
 */
const spareBlocks: Buffer[] = [];
const MAX_SPARE_BLOCKS = 8;
/** Blocks are allocated in steps of this, so that the blocks of similar chunks fit each other. */
const BLOCK_STEP = 256 * 1024;

function takeBlock(bytes: number): Buffer {
  const fits = spareBlocks.findIndex((block) => block.byteLength >= bytes);
  if (fits >= 0) return spareBlocks.splice(fits, 1)[0];
  return Buffer.allocUnsafeSlow(Math.ceil(bytes / BLOCK_STEP) * BLOCK_STEP);
}

/** Only once nothing reads the block any more: every request of its items answered. */
function giveBack(block: Buffer): void {
  if (spareBlocks.length < MAX_SPARE_BLOCKS) spareBlocks.push(block);
}

const itemBytes = (item: Item) => item.end - item.start;

/** One request's body: a slice of the block when its items lie back to back there, else their lines joined. */
function bodyOf(request: readonly Item[], bytes: number): Buffer {
  const first = request[0];
  const contiguous = request.every(
    (item, i) => item.block === first.block && (i === 0 || item.start === request[i - 1].end),
  );
  if (contiguous) return first.block.subarray(first.start, first.start + bytes);
  return Buffer.concat(
    request.map((item) => item.block.subarray(item.start, item.end)),
    bytes,
  );
}

/** Consecutive runs of items whose bodies stay within `limit` bytes (an item alone may exceed it), with their size. */
function requestsOf(items: readonly Item[], limit: number): { items: Item[]; bytes: number }[] {
  const requests: { items: Item[]; bytes: number }[] = [];
  let current: Item[] = [];
  let bytes = 0;
  for (const item of items) {
    if (current.length > 0 && bytes + itemBytes(item) > limit) {
      requests.push({ items: current, bytes });
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += itemBytes(item);
  }
  if (current.length > 0) requests.push({ items: current, bytes });
  return requests;
}

/** What one request came back with: item results, or the whole request to send again. */
type Outcome =
  | { kind: 'items'; results: BulkItemResult[] }
  | { kind: 'retry'; reason: string }
  | { kind: 'too-large' };

export class BulkIndexer {
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  /** Lowered for good when the domain answers 413: it said what it accepts. */
  private requestLimit: number;
  private readonly maxConcurrent: number;
  private active = 0;
  /** Callers waiting for a request slot, first come first served. */
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly client: Client,
    private readonly options: BulkIndexerOptions = {},
  ) {
    this.maxAttempts = options.maxAttempts ?? 5;
    this.baseDelayMs = options.baseDelayMs ?? 200;
    this.requestLimit = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
    this.maxConcurrent = options.maxConcurrentRequests ?? DEFAULT_MAX_CONCURRENT_REQUESTS;
    if (!Number.isSafeInteger(this.maxConcurrent) || this.maxConcurrent < 1) {
      throw new RangeError(
        `maxConcurrentRequests must be a positive integer, got ${options.maxConcurrentRequests}`,
      );
    }
    if (!Number.isSafeInteger(this.requestLimit) || this.requestLimit < MIN_MAX_REQUEST_BYTES) {
      throw new RangeError(
        `maxRequestBytes must be at least ${MIN_MAX_REQUEST_BYTES} (1 MiB), got ${options.maxRequestBytes}`,
      );
    }
  }

  /**
   * Not async on purpose: the documents are encoded before this returns, and nothing waiting for the answer refers
   * to them (an async function's suspended frame would keep its arguments alive until the end).
   */
  index(docs: readonly PipelineDocument[]): Promise<IndexReport> {
    const items = toItems(docs);
    // Rerouted documents get small blocks of their own, left to the garbage collector.
    return this.indexItems(items).finally(() => {
      if (items.length > 0) giveBack(items[0].block);
    });
  }

  private async indexItems(items: Item[]): Promise<IndexReport> {
    let pending = items;
    let attempt = 1;
    let rerouted = 0;
    let retries = 0;
    let requests = 0;
    let largest = 0;
    let indexed = 0;
    const counts = emptyCounts();
    while (pending.length > 0) {
      const again: Item[] = [];
      let failed = 0;
      // What the node said about the documents of this round that failed: the error names it, never a guess.
      const reasons = new Map<string, number>();
      const failedFor = (reason: string, documents: number) => {
        failed += documents;
        reasons.set(reason, (reasons.get(reason) ?? 0) + documents);
      };
      for (const { items: request, bytes } of requestsOf(pending, this.requestLimit)) {
        requests++;
        largest = Math.max(largest, bytes);
        const release = await this.requestSlot();
        let outcome: Outcome;
        try {
          outcome = await this.send(request, bytes, attempt);
        } finally {
          release();
        }
        if (outcome.kind === 'too-large') {
          again.push(...request);
          continue;
        }
        if (outcome.kind === 'retry') {
          again.push(...request);
          failedFor(outcome.reason, request.length);
          continue;
        }
        outcome.results.forEach((result, i) => {
          const item = request[i];
          if (result.status >= 200 && result.status < 300) {
            indexed++;
            counts[item.category]++;
          } else if (result.status === 429 || result.status >= 500) {
            again.push(request[i]);
            failedFor(`HTTP ${result.status} ${describe(result)}`, 1);
            retries++;
          } else if (result.status === 400) {
            again.push(...toItems([this.reroute(item, result)]));
            rerouted++;
          } else {
            throw new PermanentIndexError(
              `OpenSearch refused document ${item.id} in ${item.index} with HTTP ${result.status} ` +
                `(${describe(result)}): ${fixFor(result.status)}`,
            );
          }
        });
      }
      pending = again;
      if (failed > 0) {
        if (attempt >= this.maxAttempts) {
          throw new SinkUnavailableError(
            `OpenSearch unavailable after ${attempt} attempts: ${failed} documents still failing: ${summarise(reasons)}`,
          );
        }
        await sleep(backoffMs(attempt, this.baseDelayMs));
        attempt++;
      }
    }
    return { indexed, counts, rerouted, retries, requests, maxRequestBytes: largest };
  }

  /** Waits for one of the maxConcurrentRequests slots; the function returned gives it to the next caller. */
  private async requestSlot(): Promise<() => void> {
    if (this.active < this.maxConcurrent) this.active++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve)); // the slot is handed over as it is
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next === undefined) this.active--;
      else next();
    };
  }

  private async send(request: readonly Item[], bytes: number, attempt: number): Promise<Outcome> {
    try {
      // Through the transport: the body is the NDJSON already built, and only the item statuses come back.
      const response = await this.client.transport.request({
        method: 'POST',
        path: '/_bulk',
        querystring: {
          refresh: String(this.options.refresh ?? false),
          filter_path: 'items.*.status,items.*.error',
        },
        bulkBody: bodyOf(request, bytes),
      });
      const items = (response.body as { items?: Record<string, BulkItemResult>[] }).items ?? [];
      if (items.length !== request.length) {
        throw new SinkUnavailableError(`bulk answered ${items.length} items for ${request.length} documents`);
      }
      return {
        kind: 'items',
        results: items.map((item) => Object.values(item)[0]),
      };
    } catch (error) {
      if (error instanceof SinkUnavailableError) throw error;
      // Connection errors (refused, reset, timeout) carry no status: an outage like 429 and 5xx.
      const status = (error as { meta?: { statusCode?: number | null } }).meta?.statusCode ?? null;
      if (status === 413) return this.tooLarge(request, bytes, error);
      if (status !== null && status >= 400 && status < 500 && status !== 429) {
        throw new PermanentIndexError(
          `OpenSearch refused a _bulk request with HTTP ${status} (${(error as Error).message}): ${fixFor(status)}`,
          { cause: error },
        );
      }
      const reason = `${status === null ? 'no answer' : `HTTP ${status}`}: ${whyRequestFailed(error)}`;
      this.options.logger?.warn(`bulk request failed, will retry: ${reason}`, {
        attempt,
        status,
        documents: request.length,
        error: error as Error,
      });
      return { kind: 'retry', reason };
    }
  }

  /** The domain refused the body size: remember a limit below it and resend in smaller requests. */
  private tooLarge(request: readonly Item[], bytes: number, error: unknown): Outcome {
    if (request.length === 1) {
      throw new PermanentIndexError(
        `OpenSearch refused one document of ${bytes} bytes with HTTP 413: the domain's HTTP payload limit ` +
          '(http.max_content_length) is below the size of a single document; raise it',
        { cause: error },
      );
    }
    this.requestLimit = Math.max(1, Math.min(this.requestLimit, Math.floor(bytes / 2)));
    this.options.logger?.warn('bulk request too large (HTTP 413): lowering the request size and resending', {
      bytes,
      maxRequestBytes: this.requestLimit,
    });
    return { kind: 'too-large' };
  }

  private reroute(item: Item, result: BulkItemResult): PipelineDocument {
    const why = describe(result);
    if (item.category === 'bad') {
      throw new DocumentRejectedError(
        `the bad document ${item.id} was rejected by ${item.index} (${why}): fix that index's mapping, or give the consumer a dead-letter topic for such records`,
      );
    }
    const prefix = item.index.slice(0, item.index.lastIndexOf('-events-'));
    return badDocument(
      prefix,
      item.record,
      [...item.reasons, { code: 'index_rejected', message: `rejected by ${item.index}: ${why}` }],
      item.ingestedAt,
      item.id,
    );
  }
}

function describe(item: BulkItemResult): string {
  return `${item.error?.type ?? `HTTP ${item.status}`}: ${item.error?.reason ?? 'rejected'}`;
}

const oneLine = (text: string) => text.replace(/\s*\n\s*/g, ' ');

/** A failed request's error type and reason from the node's answer, else the client's message (no answer). */
function whyRequestFailed(error: unknown): string {
  const body = (error as { meta?: { body?: unknown } }).meta?.body;
  const answer = (body as { error?: { type?: string; reason?: string } | string } | undefined)?.error;
  if (typeof answer === 'object' && answer !== null && answer.type !== undefined) {
    return oneLine(`${answer.type}: ${answer.reason ?? ''}`);
  }
  if (typeof answer === 'string') return oneLine(answer);
  if (typeof body === 'string' && body.trim() !== '') return oneLine(body);
  return oneLine((error as Error).message);
}
/** Longer reasons are cut: a message stays one readable line. */
const MAX_REASON_CHARS = 300;
/** Distinct reasons named in a message; the rest are counted. */
const MAX_REASONS = 2;

/**
 * The reasons the node gave, most frequent first, with how many documents each: e.g. a full disk's "HTTP 429
 * cluster_block_exception: index [x] blocked by: [TOO_MANY_REQUESTS/12/disk usage exceeded flood-stage
 * watermark, ...]", with what to do about it when the reason is a known one.
 */
export function summarise(reasons: ReadonlyMap<string, number>): string {
  const sorted = [...reasons].sort((a, b) => b[1] - a[1]);
  const named = sorted.slice(0, MAX_REASONS).map(([reason, documents]) => {
    const text = reason.length > MAX_REASON_CHARS ? `${reason.slice(0, MAX_REASON_CHARS)}...` : reason;
    return `${documents} × ${text.replace(/;$/, '')}`;
  });
  const others = sorted.slice(MAX_REASONS).reduce((sum, [, documents]) => sum + documents, 0);
  if (others > 0) named.push(`${others} × ${sorted.length - MAX_REASONS} other reason(s)`);
  const hint = sorted.some(([reason]) => reason.includes('flood-stage watermark'))
    ? " (the node's disk is above its flood-stage watermark: free disk space; OpenSearch lifts the block once usage falls below the high watermark, and the consumer goes on by itself)"
    : '';
  return `${named.join('; ')}${hint}`;
}

/** What an operator does about a permanent refusal. */
function fixFor(status: number): string {
  if (status === 401 || status === 403) {
    return 'the index is write-blocked (index.blocks.write or index.blocks.read_only) or the consumer role may not write to it; unblock it or fix the role mapping, then restart the consumer (a full disk is a 429 the consumer waits out, not this)';
  }
  if (status === 404) {
    return 'the index does not exist and may not be created: apply the index templates (the consumer does at start) and allow auto-creation of <prefix>-events-* indices';
  }
  return 'fix the request or the domain configuration, then restart the consumer';
}
