// The users table: its schema, its seed and its read-only login. Shared by the local stack, the generator, the
// tests and the RDS custom resource, so every place agrees on which device is each account's default.
import type { Connection, Pool, PoolConnection } from 'mysql2/promise';
import { ConfigError } from './errors.js';
import { DEVICES, type Device } from './event.js';

export type SqlClient = Pool | PoolConnection | Connection;

export const DEFAULT_SEEDED_ACCOUNTS = 10_000;

/** The most accounts a seed writes (ids 1..MAX_SEEDED_ACCOUNTS); larger seeds are refused. */
export const MAX_SEEDED_ACCOUNTS = 10_000_000;

/**
 * Account ids above this are never seeded: the generator's "unknown account" events use them, so they stay
 * unknown whatever an earlier, larger seed wrote (a fleet generator cannot look at the table to check).
 */
export const UNKNOWN_ACCOUNT_FLOOR = 1_000_000_000_000;

export const USERS_TABLE_DDL = `CREATE TABLE IF NOT EXISTS users (
  account_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  default_device VARCHAR(16) NOT NULL,
  created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`;

/**
 * The seeded default device of an account: a fixed hash, so a generator on EC2 (no database access) and
 * the seeder agree without talking to each other.
 */
export function defaultDeviceFor(accountId: number): Device {
  const low = accountId % 0x1_0000_0000;
  const high = Math.floor(accountId / 0x1_0000_0000);
  let h = Math.imul(low ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(high, 0xc2b2ae35);
  h ^= h >>> 13;
  h = Math.imul(h, 0x27d4eb2f);
  h ^= h >>> 16;
  return DEVICES[(h >>> 0) % DEVICES.length];
}

export async function ensureUsersSchema(sql: SqlClient): Promise<void> {
  await sql.query(USERS_TABLE_DDL);
}

/**
 * Upserts accounts 1..accounts with their default device; idempotent, in batches of `batchSize` rows. Rows
 * of other accounts are left alone.
 */
export async function seedUsers(
  sql: SqlClient,
  { accounts, batchSize = 2_000 }: { accounts: number; batchSize?: number },
): Promise<number> {
  if (!Number.isSafeInteger(accounts) || accounts < 0 || accounts > MAX_SEEDED_ACCOUNTS) {
    throw new ConfigError(
      `accounts must be an integer from 0 to ${MAX_SEEDED_ACCOUNTS} (ids above are kept for unknown accounts), got ${accounts}`,
    );
  }
  for (let first = 1; first <= accounts; first += batchSize) {
    const rows: [number, Device][] = [];
    for (let id = first; id < first + batchSize && id <= accounts; id++)
      rows.push([id, defaultDeviceFor(id)]);
    await sql.query(
      'INSERT INTO users (account_id, default_device) VALUES ? ON DUPLICATE KEY UPDATE default_device = VALUES(default_device)',
      [rows],
    );
  }
  return accounts;
}

/** The highest account id in the table, or 0 when it is empty. */
export async function highestAccountId(sql: SqlClient): Promise<number> {
  const [rows] = await sql.query('SELECT COALESCE(MAX(account_id), 0) AS highest FROM users');
  return Number((rows as { highest: number | string }[])[0]?.highest ?? 0);
}

/** MySQL user names: up to 32 characters; these are the ones the rotation functions generate too (`_clone`). */
const USER_NAME = /^[A-Za-z0-9_]{1,32}$/;

/**
 * The consumers' login: SELECT on `database`.users and nothing else. Creates the user if it is missing and sets
 * its password to `password` (the secret's current value, so re-running converges on the secret and never
 * undoes a rotation, which switches the secret to another user and leaves this one's password alone).
 */
export async function ensureReaderUser(
  sql: SqlClient,
  { database, username, password }: { database: string; username: string; password: string },
): Promise<void> {
  if (!USER_NAME.test(username)) {
    throw new ConfigError(`reader user name must match ${USER_NAME}, got '${username}'`);
  }
  await sql.query("CREATE USER IF NOT EXISTS ?@'%' IDENTIFIED BY ?", [username, password]);
  await sql.query("ALTER USER ?@'%' IDENTIFIED BY ?", [username, password]);
  await sql.query(`GRANT SELECT ON ${sql.escapeId(database)}.users TO ?@'%'`, [username]);
}
