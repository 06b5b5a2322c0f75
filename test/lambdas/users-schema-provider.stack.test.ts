import { randomBytes } from 'node:crypto';
import mysql, { type Connection, type RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultDeviceFor } from '../../core/users-schema.js';
import { applyUsersDatabase } from '../../lambdas/users-schema-provider.js';
import { localEndpoints } from '../../local/endpoints.js';

describe('applyUsersDatabase against the local MariaDB', () => {
  const database = `cr_test_${randomBytes(4).toString('hex')}`;
  let conn: Connection;

  beforeAll(async () => {
    const url = new URL(localEndpoints().mysqlUrl);
    url.pathname = '/';
    conn = await mysql.createConnection({ uri: url.toString() });
  });

  afterAll(async () => {
    await conn.query(`DROP DATABASE IF EXISTS ${conn.escapeId(database)}`);
    await conn.end();
  });

  async function users(): Promise<{ count: number; device: string }> {
    const [rows] = await conn.query<RowDataPacket[]>(
      `SELECT COUNT(*) AS count, (SELECT default_device FROM ${conn.escapeId(database)}.users WHERE account_id = 42) AS device FROM ${conn.escapeId(database)}.users`,
    );
    return { count: Number(rows[0].count), device: String(rows[0].device) };
  }

  it('creates the database and table and seeds the accounts with their default devices', async () => {
    expect(await applyUsersDatabase(conn, { database, seedAccounts: 250 })).toBe(250);

    expect(await users()).toEqual({ count: 250, device: defaultDeviceFor(42) });
  });

  it('converges on Update: re-running is harmless and a larger seed adds the new accounts', async () => {
    await applyUsersDatabase(conn, { database, seedAccounts: 250 });
    expect((await users()).count).toBe(250);

    await applyUsersDatabase(conn, { database, seedAccounts: 300 });
    expect((await users()).count).toBe(300);
  });

  it('refuses a database name that would need quoting', async () => {
    await expect(applyUsersDatabase(conn, { database: 'users; DROP', seedAccounts: 1 })).rejects.toThrow(
      /DatabaseName must match/,
    );
  });
});
