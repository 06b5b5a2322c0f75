// UsersSource over RDS whose credentials live in Secrets Manager: resolves the current pool (following
// rotation) on every lookup and reports any failure to reach the database as retriable. When the database
// refuses the credentials, the secret is re-read right away, once, instead of when its cached copy expires:
// a rotation changes the password up to that TTL (5 minutes) earlier.
import type { Pool } from 'mysql2/promise';
import { DatabaseAccessDeniedError, DatabaseUnavailableError } from '../core/errors.js';
import { MysqlUsersSource, type MysqlUsersSourceOptions, type UsersSource } from '../core/users.js';
import type { RotatingPool } from './rotating-pool.js';

export class RdsUsersSource implements UsersSource {
  constructor(
    private readonly pools: RotatingPool,
    private readonly options: MysqlUsersSourceOptions = {},
  ) {}

  async defaultDevices(accountIds: readonly number[]): Promise<Map<number, string>> {
    try {
      return await this.query(await this.pool(), accountIds);
    } catch (error) {
      if (!(error instanceof DatabaseAccessDeniedError)) throw error;
    }
    try {
      return await this.query(await this.pool({ refresh: true }), accountIds);
    } catch (error) {
      if (!(error instanceof DatabaseAccessDeniedError)) throw error;
      // Still retriable: during a rotation the secret and the database change at different moments.
      throw new DatabaseAccessDeniedError(
        `access denied for user '${this.pools.user}' of secret ${this.pools.secretArn}, also after re-reading the secret (a rotation may still be in progress): ${error.message}`,
        { cause: error },
      );
    }
  }

  private query(pool: Pool, accountIds: readonly number[]): Promise<Map<number, string>> {
    return new MysqlUsersSource(pool, this.options).defaultDevices(accountIds);
  }

  private async pool({ refresh = false } = {}): Promise<Pool> {
    try {
      return await (refresh ? this.pools.refresh() : this.pools.get());
    } catch (error) {
      throw new DatabaseUnavailableError(`cannot get database credentials: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
}
