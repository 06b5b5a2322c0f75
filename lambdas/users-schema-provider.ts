// Custom resource that creates the users database and table on RDS and seeds accounts 1..SeedAccounts with
// the same schema and seed code the local stack uses. Create and Update both converge (every statement is
// idempotent), so raising SeedAccounts in the config seeds the new accounts on the next deploy.
// Delete leaves the database alone: the data's fate follows the RDS instance's removal policy, not this resource.
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import mysql, { type Connection } from 'mysql2/promise';
import { DbSecretReader, rdsConnectionConfig } from '../aws/db-secret.js';
import { createLogger } from '../core/logger.js';
import { DEFAULT_SEEDED_ACCOUNTS, ensureUsersSchema, seedUsers } from '../core/users-schema.js';
import { intProp, type OnEventResponse, PropertyError, stringProp } from './custom-resource.js';

const DATABASE_NAME = /^[A-Za-z0-9_]{1,64}$/;

export interface UsersDatabaseOptions {
  readonly database: string;
  readonly seedAccounts: number;
}

/** Creates the database if needed, then the users table, then upserts the seed; returns the seeded count. */
export async function applyUsersDatabase(conn: Connection, options: UsersDatabaseOptions): Promise<number> {
  if (!DATABASE_NAME.test(options.database)) {
    throw new PropertyError(`DatabaseName must match ${DATABASE_NAME}, got '${options.database}'`);
  }
  await conn.query(`CREATE DATABASE IF NOT EXISTS ${conn.escapeId(options.database)} CHARACTER SET utf8mb4`);
  await conn.changeUser({ database: options.database });
  await ensureUsersSchema(conn);
  return seedUsers(conn, { accounts: options.seedAccounts });
}

const logger = createLogger({ handler: 'users-schema-provider' });

export async function handler(event: CloudFormationCustomResourceEvent): Promise<OnEventResponse> {
  const props = event.ResourceProperties as Record<string, unknown>;
  if (event.RequestType === 'Delete') {
    logger.info('delete: leaving the users database in place', { physicalId: event.PhysicalResourceId });
    return { PhysicalResourceId: event.PhysicalResourceId };
  }
  const database = stringProp(props, 'DatabaseName');
  const seedAccounts = intProp(props, 'SeedAccounts', { min: 0, fallback: DEFAULT_SEEDED_ACCOUNTS });
  const { secret } = await new DbSecretReader({
    secretArn: stringProp(props, 'SecretArn'),
    ttlSeconds: 0,
  }).read();
  // No database in the connection: it may not exist yet.
  const conn = await mysql.createConnection({ ...rdsConnectionConfig(secret), database: undefined });
  try {
    const seeded = await applyUsersDatabase(conn, { database, seedAccounts });
    logger.info('users schema applied', { requestType: event.RequestType, database, seeded });
    return {
      PhysicalResourceId: `users@${database}`,
      Data: { DatabaseName: database, SeededAccounts: seeded },
    };
  } finally {
    await conn.end();
  }
}
