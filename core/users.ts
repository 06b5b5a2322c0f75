// Looks up each account's default device: one query per batch for the distinct ids, answers cached for a
// bounded time in a bounded map, concurrent misses of one id sharing one query. A database failure or a query
// that outlives its timeout surfaces as DatabaseUnavailableError (retry the batch, never classify blindly).
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { ConfigError, DatabaseAccessDeniedError, DatabaseUnavailableError } from './errors.js';

export interface UsersSource {
  /** Default device per account id; ids without a row are absent from the map. */
  defaultDevices(accountIds: readonly number[]): Promise<Map<number, string>>;
}

export interface MysqlUsersSourceOptions {
  /** @default 'users' */
  readonly table?: string;
  /**
   * How long the query may wait for the server once sent, e.g. on a table lock (the server's own
   * lock_wait_timeout is a day). Waiting for a free pool connection or for a connect is not counted.
   * @default 5_000
   */
  readonly queryTimeoutMs?: number;
}

/**
 * Server errors of a refused login, which a rotated secret explains: wrong password or user (1045), no access
 * to the database (1044). Not 1142 (no SELECT on the table): that user has logged in, so its secret is current.
 */
const ACCESS_DENIED_ERRNOS = new Set([1044, 1045]);

/** mysql2's error when a query's `timeout` elapses before the server answers. */
function isTimeout(error: unknown): boolean {
  return (error as { code?: string }).code === 'PROTOCOL_SEQUENCE_TIMEOUT';
}

export class MysqlUsersSource implements UsersSource {
  private readonly table: string;
  private readonly queryTimeoutMs: number;

  constructor(
    private readonly pool: Pool,
    options: MysqlUsersSourceOptions = {},
  ) {
    this.table = options.table ?? 'users';
    this.queryTimeoutMs = options.queryTimeoutMs ?? 5_000;
    if (!Number.isSafeInteger(this.queryTimeoutMs) || this.queryTimeoutMs < 1) {
      throw new ConfigError(
        `queryTimeoutMs must be a positive whole number of ms, got ${this.queryTimeoutMs}`,
      );
    }
  }

  async defaultDevices(accountIds: readonly number[]): Promise<Map<number, string>> {
    const found = new Map<number, string>();
    if (accountIds.length === 0) return found;
    let rows: RowDataPacket[];
    try {
      rows = await this.query(accountIds);
    } catch (error) {
      throw this.unavailable(error);
    }
    for (const row of rows) found.set(Number(row.account_id), String(row.default_device));
    return found;
  }

  private async query(accountIds: readonly number[]): Promise<RowDataPacket[]> {
    const connection = await this.pool.getConnection();
    try {
      const [rows] = await connection.query<RowDataPacket[]>(
        {
          sql: `SELECT account_id, default_device FROM ${this.pool.escapeId(this.table)} WHERE account_id IN (?)`,
          timeout: this.queryTimeoutMs,
        },
        [accountIds],
      );
      connection.release();
      return rows;
    } catch (error) {
      // After a timeout mysql2 keeps the connection busy until the server answers (it neither closes nor frees
      // it), so a few timeouts would fill the pool with connections stuck on the lock and the next lookup would
      // wait for a free one forever. Destroying it frees the slot; the next lookup connects afresh.
      if (isTimeout(error)) connection.destroy();
      else connection.release();
      throw error;
    }
  }

  private unavailable(error: unknown): DatabaseUnavailableError {
    if (isTimeout(error)) {
      return new DatabaseUnavailableError(`users lookup timed out after ${this.queryTimeoutMs} ms`, {
        cause: error,
      });
    }
    const { errno, message } = error as { errno?: number; message?: string };
    const Unavailable =
      errno !== undefined && ACCESS_DENIED_ERRNOS.has(errno)
        ? DatabaseAccessDeniedError
        : DatabaseUnavailableError;
    return new Unavailable(`users lookup failed: ${message}`, { cause: error });
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
  /** The query under way for each id, so that concurrent misses of one id wait for it instead of asking again. */
  private readonly inflight = new Map<number, Promise<Map<number, string>>>();
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

  /**
   * Default device per requested id, null for unknown accounts (cached too, so floods of them stay cheap).
   * Ids already being fetched by another lookup are awaited from that query; if it fails, so does this lookup.
   */
  async lookup(accountIds: Iterable<number>): Promise<Map<number, string | null>> {
    const now = this.now();
    const result = new Map<number, string | null>();
    const pending = new Map<number, Promise<Map<number, string>>>();
    const missing: number[] = [];
    for (const id of new Set(accountIds)) {
      const entry = this.cache.get(id);
      const inflight = this.inflight.get(id);
      if (entry && entry.expiresAt > now) result.set(id, entry.device);
      else if (inflight) pending.set(id, inflight);
      else missing.push(id);
    }
    if (missing.length > 0) {
      const query = this.query(missing, now);
      for (const id of missing) pending.set(id, query);
    }
    // Promise.all awaits every query involved, so a second failing one is not left unhandled.
    await Promise.all(
      [...pending].map(async ([id, query]) => {
        result.set(id, (await query).get(id) ?? null);
      }),
    );
    return result;
  }

  /** One query to the source for `ids`, registered as in flight until it settles; caches only a success. */
  private query(ids: readonly number[], now: number): Promise<Map<number, string>> {
    this.queries++;
    const query = this.source
      .defaultDevices(ids)
      .then((found) => {
        for (const id of ids) this.remember(id, found.get(id) ?? null, now);
        return found;
      })
      .finally(() => {
        for (const id of ids) if (this.inflight.get(id) === query) this.inflight.delete(id);
      });
    for (const id of ids) this.inflight.set(id, query);
    return query;
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
