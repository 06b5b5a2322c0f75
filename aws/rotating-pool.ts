// A mysql2 pool that follows Secrets Manager rotation: each `get()` checks the (TTL-cached) secret version and
// replaces the pool when it changed, so long-lived consumers keep working after the password rotates;
// `refresh()` re-reads the secret at once, for when the database has refused the cached one.
import mysql, { type Pool, type PoolOptions } from 'mysql2/promise';
import { type DbSecretReader, type PoolConfigOptions, rdsPoolConfig } from './db-secret.js';

export type PoolFactory = (config: PoolOptions) => Pool;

export class RotatingPool {
  private current?: { pool: Pool; version?: string; user: string; password: string };

  constructor(
    private readonly reader: DbSecretReader,
    private readonly options: PoolConfigOptions = {},
    private readonly createPool: PoolFactory = (config) => mysql.createPool(config),
  ) {}

  async get(): Promise<Pool> {
    const { secret, version } = await this.reader.read();
    if (this.current && this.current.version === version && this.current.password === secret.password) {
      return this.current.pool;
    }
    const previous = this.current?.pool;
    const pool = this.createPool(rdsPoolConfig(secret, this.options));
    this.current = { pool, version, user: secret.username, password: secret.password };
    // In-flight queries on the old pool finish; end() only refuses new ones. Its outcome cannot affect the new
    // pool (the old credentials may already be revoked), so it is not awaited.
    previous?.end().catch(() => undefined);
    return pool;
  }

  /** The pool of the secret as Secrets Manager has it now, without waiting for the cached copy to expire. */
  async refresh(): Promise<Pool> {
    this.reader.invalidate();
    return this.get();
  }

  /** The user the current pool logs in as, for error messages. */
  get user(): string | undefined {
    return this.current?.user;
  }

  get secretArn(): string {
    return this.reader.secretArn;
  }

  async end(): Promise<void> {
    const pool = this.current?.pool;
    this.current = undefined;
    await pool?.end();
  }
}
