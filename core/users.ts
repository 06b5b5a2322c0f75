// Looks up each account's default device: one query per batch for the distinct ids, answers cached for a
// bounded time in a bounded map. A database failure surfaces as DatabaseUnavailableError (retry the batch,
// never classify blindly).
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { DatabaseUnavailableError } from './errors.js';

export interface UsersSource {
  /** Default device per account id; ids without a row are absent from the map. */
  defaultDevices(accountIds: readonly number[]): Promise<Map<number, string>>;
}

export class MysqlUsersSource implements UsersSource {
  constructor(
    private readonly pool: Pool,
    private readonly table = 'users',
  ) {}

  async defaultDevices(accountIds: readonly number[]): Promise<Map<number, string>> {
    const found = new Map<number, string>();
    if (accountIds.length === 0) return found;
    try {
      const [rows] = await this.pool.query<RowDataPacket[]>(
        `SELECT account_id, default_device FROM ${this.pool.escapeId(this.table)} WHERE account_id IN (?)`,
        [accountIds],
      );
      for (const row of rows) found.set(Number(row.account_id), String(row.default_device));
    } catch (error) {
      throw new DatabaseUnavailableError(`users lookup failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
    return found;
  }
}

export interface UsersLookupOptions {
  /** @default 60_000 (one minute): how stale a default device may be. */
  readonly ttlMs?: number;
  /** @default 100_000 entries; the oldest entries are evicted first. */
  readonly maxEntries?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

interface CacheEntry {
  readonly device: string | null;
  readonly expiresAt: number;
}

export class UsersLookup {
  private readonly cache = new Map<number, CacheEntry>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  /** Number of queries sent to the source: observable for tests and metrics. */
  queries = 0;

  constructor(
    private readonly source: UsersSource,
    options: UsersLookupOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 60_000;
    this.maxEntries = options.maxEntries ?? 100_000;
    this.now = options.now ?? Date.now;
    if (this.maxEntries < 1) throw new RangeError(`maxEntries must be at least 1, got ${this.maxEntries}`);
  }

  /** Default device per requested id, null for unknown accounts (cached too, so floods of them stay cheap). */
  async lookup(accountIds: Iterable<number>): Promise<Map<number, string | null>> {
    const now = this.now();
    const result = new Map<number, string | null>();
    const missing: number[] = [];
    for (const id of new Set(accountIds)) {
      const entry = this.cache.get(id);
      if (entry && entry.expiresAt > now) result.set(id, entry.device);
      else missing.push(id);
    }
    if (missing.length > 0) {
      this.queries++;
      const found = await this.source.defaultDevices(missing);
      for (const id of missing) {
        const device = found.get(id) ?? null;
        result.set(id, device);
        this.remember(id, device, now);
      }
    }
    return result;
  }

  get size(): number {
    return this.cache.size;
  }

  private remember(id: number, device: string | null, now: number): void {
    this.cache.delete(id); // re-insert at the end: Map keeps insertion order, oldest first
    this.cache.set(id, { device, expiresAt: now + this.ttlMs });
    while (this.cache.size > this.maxEntries) {
      const oldest = this.cache.keys().next().value as number;
      this.cache.delete(oldest);
    }
  }
}
