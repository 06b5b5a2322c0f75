import mysql, { type Connection, type Pool } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseUnavailableError } from '../../core/errors.js';
import { MysqlUsersSource, UsersLookup } from '../../core/users.js';
import { defaultDeviceFor, ensureUsersSchema, seedUsers } from '../../core/users-schema.js';
import { createTestDatabase, requireStack, type TestDatabase, uniqueName } from '../integration/support.js';

describe('MysqlUsersSource against the local MariaDB', () => {
  const queryTimeoutMs = 1_000;
  let db: TestDatabase;
  let pool: Pool;
  let locker: Connection;

  beforeAll(async () => {
    await requireStack();
    db = await createTestDatabase(uniqueName('users_lookup_'));
    // Fewer connections than locked lookups below: a timed-out connection that stayed in the pool would
    // leave the third lookup waiting for a free connection with no timeout at all.
    pool = mysql.createPool({ uri: db.url, connectionLimit: 2 });
    await ensureUsersSchema(pool);
    await seedUsers(pool, { accounts: 10 });
    locker = await mysql.createConnection({ uri: db.url });
  });

  afterAll(async () => {
    await locker?.query('UNLOCK TABLES').catch(() => undefined);
    await locker?.end();
    await pool?.end();
    await db?.drop();
  });

  it('fails a lookup of a locked users table within the query timeout, and answers again once unlocked', async () => {
    const users = new UsersLookup(new MysqlUsersSource(pool, { queryTimeoutMs }));
    await locker.query('LOCK TABLES users WRITE');

    for (const id of [1, 2, 3]) {
      const started = performance.now();
      const failure = await users.lookup([id]).catch((error: unknown) => error);
      const elapsedMs = performance.now() - started;

      expect(failure).toBeInstanceOf(DatabaseUnavailableError);
      expect((failure as Error).message).toBe(`users lookup timed out after ${queryTimeoutMs} ms`);
      expect(elapsedMs).toBeGreaterThanOrEqual(queryTimeoutMs - 50);
      expect(elapsedMs).toBeLessThan(queryTimeoutMs + 2_000);
    }

    await locker.query('UNLOCK TABLES');
    const devices = await users.lookup([1, 2, 3, 11]);

    expect(devices).toEqual(
      new Map([
        [1, defaultDeviceFor(1)],
        [2, defaultDeviceFor(2)],
        [3, defaultDeviceFor(3)],
        [11, null],
      ]),
    );
    expect(users.queries).toBe(4);
  }, 30_000); // a regression hangs (connections stuck on the lock): fail well before the 300 s stack default
});
