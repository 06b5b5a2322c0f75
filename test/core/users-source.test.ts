// MysqlUsersSource against a fake mysql2 pool: the query it sends, and which failures it reports as a refused
// login (a rotated secret, worth re-reading at once) or as an outage. The real server: users.stack.test.ts.
import { describe, expect, it } from 'vitest';
import { isRetriable } from '../../core/consumer.js';
import { ConfigError, DatabaseAccessDeniedError, DatabaseUnavailableError } from '../../core/errors.js';
import { MysqlUsersSource } from '../../core/users.js';
import { fakePool } from '../support/fake-mysql.js';

const serverError = (errno: number, message: string) => Object.assign(new Error(message), { errno });

describe('MysqlUsersSource', () => {
  it('asks for the ids in one query on the users table, with the query timeout, and maps the rows', async () => {
    const { pool, sent, connections } = fakePool({
      rows: [
        { account_id: '42', default_device: 'IOS' },
        { account_id: 7, default_device: 'WEB' },
      ],
    });
    const found = await new MysqlUsersSource(pool).defaultDevices([42, 7, 9]);
    expect([...found]).toEqual([
      [42, 'IOS'],
      [7, 'WEB'],
    ]);
    expect(sent).toEqual([
      {
        sql: 'SELECT account_id, default_device FROM `users` WHERE account_id IN (?)',
        timeout: 5_000,
        values: [[42, 7, 9]],
      },
    ]);
    expect(connections).toEqual({ taken: 1, released: 1, destroyed: 0 });
  });

  it('uses the table and timeout it is given, and sends no query for no ids', async () => {
    const { pool, sent } = fakePool({ rows: [] });
    const source = new MysqlUsersSource(pool, { table: 'users_v2', queryTimeoutMs: 250 });
    expect((await source.defaultDevices([])).size).toBe(0);
    expect(sent).toEqual([]);
    await source.defaultDevices([1]);
    expect(sent[0]).toMatchObject({ sql: expect.stringContaining('FROM `users_v2`'), timeout: 250 });
  });

  it.each([
    [1045, "Access denied for user 'pipeline_reader'@'10.0.0.1' (using password: YES)"],
    [1044, "Access denied for user 'pipeline_reader'@'%' to database 'logpipeline'"],
  ])('reports server error %i as a refused login, which is retriable', async (errno, message) => {
    const { pool, connections } = fakePool({ error: serverError(errno, message) });
    const failure = await new MysqlUsersSource(pool).defaultDevices([1]).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(DatabaseAccessDeniedError);
    expect(isRetriable(failure)).toBe(true);
    expect(connections).toEqual({ taken: 1, released: 1, destroyed: 0 });
  });

  it.each([
    [
      'no SELECT on the table (1142): logged in, so the secret is current',
      serverError(1142, 'SELECT denied'),
    ],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })],
    ['an error without errno', new Error('pool is closed')],
  ])('reports %s as an outage, not a refused login', async (_, error) => {
    const { pool } = fakePool({ error });
    const failure = await new MysqlUsersSource(pool).defaultDevices([1]).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(DatabaseUnavailableError);
    expect(failure).not.toBeInstanceOf(DatabaseAccessDeniedError);
    expect((failure as Error).cause).toBe(error);
    expect((failure as Error).message).toBe(`users lookup failed: ${error.message}`);
  });

  it('destroys the connection of a query that timed out (mysql2 keeps it busy), and reports an outage', async () => {
    const timeout = Object.assign(new Error('Query inactivity timeout'), {
      code: 'PROTOCOL_SEQUENCE_TIMEOUT',
    });
    const { pool, connections } = fakePool({ error: timeout });
    const failure = await new MysqlUsersSource(pool, { queryTimeoutMs: 300 })
      .defaultDevices([1])
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(DatabaseUnavailableError);
    expect(failure).not.toBeInstanceOf(DatabaseAccessDeniedError);
    expect((failure as Error).message).toBe('users lookup timed out after 300 ms');
    expect((failure as Error).cause).toBe(timeout);
    expect(connections).toEqual({ taken: 1, released: 0, destroyed: 1 });
  });

  it.each([0, -1, 1.5])('refuses a query timeout of %j ms', (queryTimeoutMs) => {
    expect(() => new MysqlUsersSource(fakePool({}).pool, { queryTimeoutMs })).toThrow(ConfigError);
  });

  it('accepts a query timeout of 1 ms', () => {
    expect(() => new MysqlUsersSource(fakePool({}).pool, { queryTimeoutMs: 1 })).not.toThrow();
  });
});
