// Bulk indexing with per-item status handling. OpenSearch answers a bulk with HTTP 200 even when items
// fail: 429/5xx items are retried with backoff; items rejected for good (4xx, e.g. a mapping conflict) are
// rerouted to the bad index with the rejection as reason, so nothing is lost; a bad document rejected
// too, or any other 4xx (403 denied, 404 no index, 413 too large: configuration, not data) is a
// PermanentIndexError. Every write is an `index` with a deterministic _id: retries overwrite.
import type { Client } from '@opensearch-project/opensearch';
import { badDocument, type Category, emptyCounts, type PipelineDocument } from './documents.js';
import { DocumentRejectedError, PermanentIndexError, SinkUnavailableError } from './errors.js';
import type { Logger } from './logger.js';
import { backoffMs, sleep } from './retry.js';

export interface BulkIndexerOptions {
  /** @default 5 attempts per document before SinkUnavailableError. */
  readonly maxAttempts?: number;
  /** @default 200 ms, doubled per attempt with jitter. */
  readonly baseDelayMs?: number;
  /** @default - no logging */
  readonly logger?: Logger;
  /** Refresh after the bulk ('wait_for' in tests that read right after). @default false */
  readonly refresh?: boolean | 'wait_for';
}

export interface IndexReport {
  readonly indexed: number;
  /** Documents written per category, after rerouting. */
  readonly counts: Record<Category, number>;
  /** Documents rejected by their own index and written to the bad index instead. */
  readonly rerouted: number;
  /** Item-level retries (429/5xx) taken. */
  readonly retries: number;
}

interface BulkItemResult {
  status: number;
  error?: { type?: string; reason?: string };
}

export class BulkIndexer {
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;

  constructor(
    private readonly client: Client,
    private readonly options: BulkIndexerOptions = {},
  ) {
    this.maxAttempts = options.maxAttempts ?? 5;
    this.baseDelayMs = options.baseDelayMs ?? 200;
  }

  async index(docs: readonly PipelineDocument[]): Promise<IndexReport> {
    let pending = [...docs];
    let attempt = 1;
    let rerouted = 0;
    let retries = 0;
    let indexed = 0;
    const counts = emptyCounts();
    while (pending.length > 0) {
      const items = await this.send(pending, attempt);
      if (items === null) {
        attempt = await this.nextAttempt(attempt, `bulk request failed for ${pending.length} documents`);
        continue;
      }
      const retry: PipelineDocument[] = [];
      const fallback: PipelineDocument[] = [];
      items.forEach((item, i) => {
        const doc = pending[i];
        if (item.status >= 200 && item.status < 300) {
          indexed++;
          counts[doc.body.category]++;
        } else if (item.status === 429 || item.status >= 500) retry.push(doc);
        else if (item.status === 400) fallback.push(this.reroute(doc, item));
        else throw new PermanentIndexError(`document ${doc.id} refused by ${doc.index}: ${describe(item)}`);
      });
      retries += retry.length;
      rerouted += fallback.length;
      if (fallback.length > 0) {
        this.options.logger?.warn('documents rejected by their index, rerouted to the bad index', {
          count: fallback.length,
        });
      }
      pending = [...retry, ...fallback];
      if (retry.length > 0) {
        attempt = await this.nextAttempt(
          attempt,
          `${retry.length} documents still throttled or failing (429/5xx)`,
        );
      }
    }
    return { indexed, counts, rerouted, retries };
  }

  /** One _bulk call; null when the whole request failed in a retriable way (connection, 429, 5xx). */
  private async send(docs: readonly PipelineDocument[], attempt: number): Promise<BulkItemResult[] | null> {
    const body: object[] = [];
    for (const doc of docs) {
      body.push({ index: { _index: doc.index, _id: doc.id } }, doc.body);
    }
    try {
      const response = await this.client.bulk({ body, refresh: this.options.refresh ?? false });
      const items = response.body.items;
      if (items.length !== docs.length) {
        throw new SinkUnavailableError(`bulk answered ${items.length} items for ${docs.length} documents`);
      }
      return items.map((item) => {
        const result = Object.values(item)[0] as BulkItemResult;
        return { status: result.status, error: result.error };
      });
    } catch (error) {
      const status = (error as { meta?: { statusCode?: number } }).meta?.statusCode;
      if (status !== undefined && status !== 429 && status < 500) {
        throw new PermanentIndexError(`bulk request rejected with HTTP ${status}`, { cause: error });
      }
      this.options.logger?.warn('bulk request failed', { attempt, status, error: error as Error });
      return null;
    }
  }

  private async nextAttempt(attempt: number, what: string): Promise<number> {
    if (attempt >= this.maxAttempts) {
      throw new SinkUnavailableError(`OpenSearch unavailable after ${attempt} attempts: ${what}`);
    }
    await sleep(backoffMs(attempt, this.baseDelayMs));
    return attempt + 1;
  }

  private reroute(doc: PipelineDocument, item: BulkItemResult): PipelineDocument {
    const why = describe(item);
    if (doc.body.category === 'bad') {
      throw new DocumentRejectedError(`the bad index rejected document ${doc.id} (${doc.index}): ${why}`);
    }
    const prefix = doc.index.slice(0, doc.index.lastIndexOf(`-${doc.body.category}-`));
    return badDocument(
      prefix,
      doc.record,
      [...doc.body.reasons, { code: 'index_rejected', message: `rejected by ${doc.index}: ${why}` }],
      doc.body.ingested_at,
    );
  }
}

function describe(item: BulkItemResult): string {
  return `${item.error?.type ?? `HTTP ${item.status}`}: ${item.error?.reason ?? 'rejected'}`;
}
