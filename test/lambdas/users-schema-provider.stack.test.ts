import { randomBytes } from 'node:crypto';
import mysql, { type Connection, type RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
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

  it('creates the read-only login: it reads users and can write nothing', async () => {
    const username = `rd_${randomBytes(4).toString('hex')}`;
    const password = randomBytes(12).toString('hex');
    onTestFinished(async () => {
      await conn.query("DROP USER IF EXISTS ?@'%'", [username]);
    });
    await applyUsersDatabase(conn, { database, seedAccounts: 10, reader: { username, password } });
    // Again with another password: the login follows the secret (as after a secret replacement).
    const current = `${password}x`;
    await applyUsersDatabase(conn, { database, seedAccounts: 10, reader: { username, password: current } });

    const url = new URL(localEndpoints().mysqlUrl);
    const reader = await mysql.createConnection({
      host: url.hostname,
      port: Number(url.port),
      user: username,
      password: current,
      database,
    });
    try {
      const [rows] = await reader.query<RowDataPacket[]>(
        'SELECT default_device FROM users WHERE account_id = 7',
      );
      expect(rows[0]?.default_device).toBe(defaultDeviceFor(7));
      await expect(
        reader.query("UPDATE users SET default_device = 'WEB' WHERE account_id = 7"),
      ).rejects.toThrow(/command denied/i);
      await expect(reader.query('CREATE TABLE other (id INT)')).rejects.toThrow(/command denied/i);
    } finally {
      await reader.end();
    }
  });

  it('refuses a database name that would need quoting', async () => {
    await expect(applyUsersDatabase(conn, { database: 'users; DROP', seedAccounts: 1 })).rejects.toThrow(
      /DatabaseName must match/,
    );
  });
});
