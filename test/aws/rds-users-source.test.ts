// RdsUsersSource with a fake rotating pool: a refused login re-reads the secret at once, once; the real RDS-like
// rotation against MariaDB is in rds-users-source.stack.test.ts.
import { describe, expect, it } from 'vitest';
import { RdsUsersSource } from '../../aws/rds-users-source.js';
import type { RotatingPool } from '../../aws/rotating-pool.js';
import { isRetriable } from '../../core/consumer.js';
import { DatabaseAccessDeniedError, DatabaseUnavailableError } from '../../core/errors.js';
import { fakePool } from '../support/fake-mysql.js';

const denied = () => Object.assign(new Error("Access denied for user 'pipeline_reader'"), { errno: 1045 });
const rows = [{ account_id: 1, default_device: 'IOS' }];

/** A rotating pool that hands out `cached` until refreshed, then `fresh`; `getError` makes get() fail. */
function rotatingPool(
  cached: ReturnType<typeof fakePool>,
  fresh: ReturnType<typeof fakePool>,
  getError?: Error,
) {
  const calls = { get: 0, refresh: 0 };
  let refreshed = false;
  const pools = {
    user: 'pipeline_reader',
    secretArn: 'arn:aws:secretsmanager:eu-west-1:1:secret:reader',
    get: async () => {
      calls.get++;
      if (getError) throw getError;
      return (refreshed ? fresh : cached).pool;
    },
    refresh: async () => {
      calls.refresh++;
      refreshed = true;
      return fresh.pool;
    },
  };
  return { pools: pools as unknown as RotatingPool, calls };
}

describe('RdsUsersSource', () => {
  it('answers from the current pool without re-reading the secret', async () => {
    const { pools, calls } = rotatingPool(fakePool({ rows }), fakePool({ rows: [] }));
    expect([...(await new RdsUsersSource(pools).defaultDevices([1]))]).toEqual([[1, 'IOS']]);
    expect(calls).toEqual({ get: 1, refresh: 0 });
  });

  it('re-reads the secret at once when the login is refused (a rotation), and answers with the new one', async () => {
    const fresh = fakePool({ rows });
    const { pools, calls } = rotatingPool(fakePool({ error: denied() }), fresh);
    expect([...(await new RdsUsersSource(pools).defaultDevices([1]))]).toEqual([[1, 'IOS']]);
    expect(calls.refresh).toBe(1);
    expect(fresh.sent).toHaveLength(1);
  });

  it('stays retriable when the new secret is refused too (the rotation is still under way)', async () => {
    const { pools, calls } = rotatingPool(fakePool({ error: denied() }), fakePool({ error: denied() }));
    const failure = await new RdsUsersSource(pools).defaultDevices([1]).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(DatabaseAccessDeniedError);
    expect(isRetriable(failure)).toBe(true);
    // Names the login and the secret, which the database's own message does not.
    expect((failure as Error).message).toContain('arn:aws:secretsmanager:eu-west-1:1:secret:reader');
    expect((failure as Error).message).toContain("user 'pipeline_reader'");
    expect((failure as Error).cause).toBeInstanceOf(DatabaseAccessDeniedError);
    expect(calls.refresh).toBe(1);
  });

  it('passes an outage through without re-reading the secret', async () => {
    const down = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const { pools, calls } = rotatingPool(fakePool({ error: down }), fakePool({ rows }));
    const failure = await new RdsUsersSource(pools).defaultDevices([1]).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(DatabaseUnavailableError);
    expect(calls.refresh).toBe(0);
  });

  it('passes an outage after the re-read through as it is', async () => {
    const down = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const { pools } = rotatingPool(fakePool({ error: denied() }), fakePool({ error: down }));
    const failure = await new RdsUsersSource(pools).defaultDevices([1]).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(DatabaseUnavailableError);
    expect(failure).not.toBeInstanceOf(DatabaseAccessDeniedError);
  });

  it('reports a secret that cannot be read as an outage', async () => {
    const throttled = new Error('Secrets Manager throttled');
    const { pools } = rotatingPool(fakePool({ rows }), fakePool({ rows }), throttled);
    const failure = await new RdsUsersSource(pools).defaultDevices([1]).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(DatabaseUnavailableError);
    expect((failure as Error).cause).toBe(throttled);
    expect((failure as Error).message).toBe('cannot get database credentials: Secrets Manager throttled');
    expect(isRetriable(failure)).toBe(true);
  });
});
