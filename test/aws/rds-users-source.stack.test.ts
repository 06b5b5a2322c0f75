import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import mysql, { type Connection, type PoolOptions, type RowDataPacket } from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DbSecretReader } from '../../aws/db-secret.js';
import { RdsUsersSource } from '../../aws/rds-users-source.js';
import { RotatingPool } from '../../aws/rotating-pool.js';
import { DatabaseAccessDeniedError, DatabaseUnavailableError } from '../../core/errors.js';
import { defaultDeviceFor, ensureUsersSchema, seedUsers } from '../../core/users-schema.js';
import { createTestDatabase, requireStack, type TestDatabase, uniqueName } from '../integration/support.js';

// The real local MariaDB behind a mocked Secrets Manager: the secret points at a user of our own whose password
// the test rotates, in the database and in the secret, the way RDS rotation does.
describe('RdsUsersSource after a password rotation, against the local MariaDB', () => {
  const secretArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:users-db-AbCdEf';
  const user = uniqueName('lp_');
  let db: TestDatabase;
  let database: string;
  let admin: Connection;
  let pools: RotatingPool;
  /** One promise per connection the pools opened, settled when the connection has closed. */
  let connectionsClosed: Promise<unknown>[];
  const client = new SecretsManagerClient({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const secrets = mockClient(client);

  const secretValue = (password: string, version: string) => {
    const server = new URL(db.url);
    return {
      VersionId: version,
      SecretString: JSON.stringify({
        engine: 'mariadb',
        username: user,
        password,
        host: server.hostname,
        port: Number(server.port),
        dbname: database,
      }),
    };
  };

  /** Changes the password in the database and ends the user's connections, as an RDS restart or idle end would. */
  async function rotateDatabasePassword(password: string): Promise<void> {
    await admin.query(`ALTER USER ?@'%' IDENTIFIED BY ?`, [user, password]);
    const [threads] = await admin.query<RowDataPacket[]>(
      'SELECT id FROM information_schema.processlist WHERE user = ?',
      [user],
    );
    for (const { id } of threads) await admin.query('KILL CONNECTION ?', [id]);
    await Promise.all(connectionsClosed);
  }

  beforeAll(async () => {
    await requireStack();
    database = uniqueName('rds_users_');
    db = await createTestDatabase(database);
    admin = await mysql.createConnection({ uri: db.url });
    await ensureUsersSchema(admin);
    await seedUsers(admin, { accounts: 5 });
    await admin.query(`CREATE USER ?@'%' IDENTIFIED BY 'first-password'`, [user]);
    await admin.query(`GRANT SELECT ON ${admin.escapeId(database)}.* TO ?@'%'`, [user]);
    await admin.query('CREATE TABLE other (id INT)');
  });

  afterAll(async () => {
    await admin?.query(`DROP USER IF EXISTS ?@'%'`, [user]);
    await admin?.end();
    await db?.drop();
  });

  beforeEach(async () => {
    secrets.reset();
    secrets.on(GetSecretValueCommand, { SecretId: secretArn }).resolves(secretValue('first-password', 'v1'));
    await admin.query(`ALTER USER ?@'%' IDENTIFIED BY 'first-password'`, [user]);
    connectionsClosed = [];
    // The local MariaDB has no TLS: drop the RDS CA settings, keep everything else rdsPoolConfig chose.
    const createPool = (config: PoolOptions) => {
      const pool = mysql.createPool({ ...config, ssl: undefined });
      // The core pool: the promise wrapper forwards its events with the core connection, not what it types.
      pool.pool.on('connection', (connection) => {
        connectionsClosed.push(new Promise((closed) => connection.once('end', closed)));
      });
      return pool;
    };
    pools = new RotatingPool(new DbSecretReader({ secretArn, client }), {}, createPool);
  });

  afterEach(async () => {
    await pools.end();
  });

  it('re-reads a rotated secret once when access is denied, and answers with the new password', async () => {
    const source = new RdsUsersSource(pools);
    expect(await source.defaultDevices([1])).toEqual(new Map([[1, defaultDeviceFor(1)]]));

    await rotateDatabasePassword('second-password');
    secrets.on(GetSecretValueCommand, { SecretId: secretArn }).resolves(secretValue('second-password', 'v2'));

    expect(await source.defaultDevices([1, 2])).toEqual(
      new Map([
        [1, defaultDeviceFor(1)],
        [2, defaultDeviceFor(2)],
      ]),
    );
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('fails as retriable, naming the user and the secret, when the re-read secret is refused too', async () => {
    const source = new RdsUsersSource(pools);
    await rotateDatabasePassword('not-yet-in-the-secret');

    const failure = await source.defaultDevices([1]).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(DatabaseUnavailableError);
    expect((failure as Error).message).toMatch(
      new RegExp(
        `^access denied for user '${user}' of secret ${secretArn}, also after re-reading the secret`,
      ),
    );
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('does not re-read the secret when the user logs in but may not read the users table', async () => {
    const source = new RdsUsersSource(pools);
    await admin.query(`REVOKE SELECT ON ${admin.escapeId(database)}.* FROM ?@'%'`, [user]);
    await admin.query(`GRANT SELECT ON ${admin.escapeId(database)}.other TO ?@'%'`, [user]);
    try {
      const failure = await source.defaultDevices([1]).catch((error: unknown) => error);

      expect(failure).toBeInstanceOf(DatabaseUnavailableError);
      expect(failure).not.toBeInstanceOf(DatabaseAccessDeniedError);
      expect((failure as Error).message).toMatch(/SELECT command denied/);
      expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    } finally {
      await admin.query(`REVOKE SELECT ON ${admin.escapeId(database)}.other FROM ?@'%'`, [user]);
      await admin.query(`GRANT SELECT ON ${admin.escapeId(database)}.* TO ?@'%'`, [user]);
    }
  });
});
