// UsersSource over RDS whose credentials live in Secrets Manager: resolves the current pool (following
// rotation) on every lookup and reports any failure to reach the database as retriable.
import { DatabaseUnavailableError } from '../core/errors.js';
import { MysqlUsersSource, type MysqlUsersSourceOptions, type UsersSource } from '../core/users.js';
import type { RotatingPool } from './rotating-pool.js';

export class RdsUsersSource implements UsersSource {
  constructor(
    private readonly pools: RotatingPool,
    private readonly options: MysqlUsersSourceOptions = {},
  ) {}

  async defaultDevices(accountIds: readonly number[]): Promise<Map<number, string>> {
    let pool: Awaited<ReturnType<RotatingPool['get']>>;
    try {
      pool = await this.pools.get();
    } catch (error) {
      throw new DatabaseUnavailableError(`cannot get database credentials: ${(error as Error).message}`, {
        cause: error,
      });
    }
    return new MysqlUsersSource(pool, this.options).defaultDevices(accountIds);
  }
}
