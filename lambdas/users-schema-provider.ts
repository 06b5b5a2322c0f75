// Custom resource that creates the users database and table on RDS, seeds accounts 1..SeedAccounts with the
// same schema and seed code the local stack uses, and creates the consumers' read-only login (SELECT on users)
// from the reader secret. Create and Update both converge (every statement is idempotent), so raising
// SeedAccounts in the config seeds the new accounts on the next deploy.
// A refused login or an unreachable instance is retried for a bounded time, re-reading the secrets each time:
// a rotation may be changing the password at that moment (the stack orders rotation after this resource, but
// an Update can still meet a scheduled rotation).
// Delete leaves the database alone: the data's fate follows the RDS instance's removal policy, not this resource.
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import mysql, { type Connection } from 'mysql2/promise';
import { DbSecretReader, rdsConnectionConfig } from '../aws/db-secret.js';
import { createLogger, type Logger } from '../core/logger.js';
import { backoffMs, sleep } from '../core/retry.js';
import {
  DEFAULT_SEEDED_ACCOUNTS,
  ensureReaderUser,
  ensureUsersSchema,
  seedUsers,
} from '../core/users-schema.js';
import { intProp, type OnEventResponse, PropertyError, stringProp } from './custom-resource.js';

const DATABASE_NAME = /^[A-Za-z0-9_]{1,64}$/;

export interface UsersDatabaseOptions {
  readonly database: string;
  readonly seedAccounts: number;
  /** The consumers' login, from the reader secret. @default - none is created */
  readonly reader?: { readonly username: string; readonly password: string };
}

/**
 * Creates the database if needed, then the users table, upserts the seed and (given one) the reader login;
 * returns the seeded count.
 */
export async function applyUsersDatabase(conn: Connection, options: UsersDatabaseOptions): Promise<number> {
  if (!DATABASE_NAME.test(options.database)) {
    throw new PropertyError(`DatabaseName must match ${DATABASE_NAME}, got '${options.database}'`);
  }
  await conn.query(`CREATE DATABASE IF NOT EXISTS ${conn.escapeId(options.database)} CHARACTER SET utf8mb4`);
  await conn.changeUser({ database: options.database });
  await ensureUsersSchema(conn);
  const seeded = await seedUsers(conn, { accounts: options.seedAccounts });
  if (options.reader) await ensureReaderUser(conn, { database: options.database, ...options.reader });
  return seeded;
}

/** Server errors of a refused login (wrong password or user, no access to the database). */
const ACCESS_DENIED_ERRNOS = new Set([1044, 1045]);

/** Client errors of an instance that is not reachable (yet): starting, rebooting, or its ingress not in place. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
]);

/** A refused login or an unreachable instance: worth another attempt with freshly read secrets. */
export function isRetriableDatabaseError(error: unknown): boolean {
  const { errno, code } = (error ?? {}) as { errno?: number; code?: string };
  return (
    (errno !== undefined && ACCESS_DENIED_ERRNOS.has(errno)) ||
    (code !== undefined && CONNECTION_CODES.has(code))
  );
}

export interface RetryOptions {
  /** Stop retrying once this much time has passed since the first attempt. */
  readonly budgetMs: number;
  /** @default 1_000 */
  readonly baseDelayMs?: number;
  /** @default 15_000 */
  readonly maxDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  readonly logger?: Logger;
}

/**
 * Runs `attempt` until it succeeds, retrying errors `isRetriableDatabaseError` accepts while `budgetMs` lasts;
 * any other error, or a retriable one after the budget, is thrown (the last one, with the attempt count).
 */
export async function withDatabaseRetry<T>(attempt: () => Promise<T>, options: RetryOptions): Promise<T> {
  const now = options.now ?? Date.now;
  const wait = options.sleep ?? sleep;
  const started = now();
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (!isRetriableDatabaseError(error)) throw error;
      const delay = backoffMs(n, options.baseDelayMs ?? 1_000, options.maxDelayMs ?? 15_000);
      if (now() - started + delay > options.budgetMs) {
        throw new Error(
          `users database still refused or unreachable after ${n} attempts in ${Math.round((now() - started) / 1000)} s: ${(error as Error).message}`,
          { cause: error },
        );
      }
      options.logger?.warn('users database refused or unreachable, retrying with the secrets read again', {
        attempt: n,
        delayMs: delay,
        error: error as Error,
      });
      await wait(delay);
    }
  }
}

/** Retries for up to 4 of the handler's 5 minutes: long enough for a rotation to finish its steps. */
const RETRY_BUDGET_MS = 4 * 60_000;

const logger = createLogger({ handler: 'users-schema-provider' });

export async function handler(event: CloudFormationCustomResourceEvent): Promise<OnEventResponse> {
  const props = event.ResourceProperties as Record<string, unknown>;
  if (event.RequestType === 'Delete') {
    logger.info('delete: leaving the users database in place', { physicalId: event.PhysicalResourceId });
    return { PhysicalResourceId: event.PhysicalResourceId };
  }
  const database = stringProp(props, 'DatabaseName');
  const seedAccounts = intProp(props, 'SeedAccounts', { min: 0, fallback: DEFAULT_SEEDED_ACCOUNTS });
  const master = new DbSecretReader({ secretArn: stringProp(props, 'SecretArn'), ttlSeconds: 0 });
  const reader =
    props.ReaderSecretArn === undefined
      ? undefined
      : new DbSecretReader({ secretArn: stringProp(props, 'ReaderSecretArn'), ttlSeconds: 0 });
  const seeded = await withDatabaseRetry(
    async () => {
      const { secret } = await master.read();
      const readerSecret = reader ? (await reader.read()).secret : undefined;
      // No database in the connection: it may not exist yet.
      const conn = await mysql.createConnection({ ...rdsConnectionConfig(secret), database: undefined });
      try {
        return await applyUsersDatabase(conn, {
          database,
          seedAccounts,
          reader: readerSecret && { username: readerSecret.username, password: readerSecret.password },
        });
      } finally {
        // A connection the failure already broke cannot close cleanly; the failure itself is what is thrown.
        await conn.end().catch(() => undefined);
      }
    },
    { budgetMs: RETRY_BUDGET_MS, logger },
  );
  logger.info('users schema applied', { requestType: event.RequestType, database, seeded });
  return {
    PhysicalResourceId: `users@${database}`,
    Data: { DatabaseName: database, SeededAccounts: seeded },
  };
}
