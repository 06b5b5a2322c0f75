import { describe, expect, it } from 'vitest';
import { isRetriableDatabaseError, withDatabaseRetry } from '../../lambdas/users-schema-provider.js';

/** A clock that only moves when the code under test sleeps: no real waiting, no timing in the test. */
function fakeClock() {
  let t = 0;
  const slept: number[] = [];
  return {
    now: () => t,
    sleep: async (ms: number) => {
      slept.push(ms);
      t += ms;
    },
    slept,
  };
}

const accessDenied = Object.assign(new Error("Access denied for user 'pipeline_admin'@'10.0.1.5'"), {
  errno: 1045,
  code: 'ER_ACCESS_DENIED_ERROR',
});
const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.1.9:3306'), { code: 'ECONNREFUSED' });

describe('isRetriableDatabaseError', () => {
  it('retries a refused login and an unreachable instance, nothing else', () => {
    expect(isRetriableDatabaseError(accessDenied)).toBe(true);
    expect(isRetriableDatabaseError(refused)).toBe(true);
    expect(isRetriableDatabaseError(Object.assign(new Error('syntax'), { errno: 1064 }))).toBe(false);
    expect(isRetriableDatabaseError(new TypeError('a bug'))).toBe(false);
    expect(isRetriableDatabaseError(undefined)).toBe(false);
  });
});

describe('withDatabaseRetry', () => {
  it('outlasts a rotation: access denied twice, then the freshly read password works', async () => {
    const clock = fakeClock();
    let attempts = 0;
    const result = await withDatabaseRetry(
      async () => {
        attempts++;
        if (attempts <= 2) throw attempts === 1 ? refused : accessDenied;
        return 250;
      },
      { budgetMs: 60_000, ...clock },
    );
    expect(result).toBe(250);
    expect(attempts).toBe(3);
    expect(clock.slept).toHaveLength(2);
  });

  it('fails at once on an error no retry can fix', async () => {
    const clock = fakeClock();
    const parse = Object.assign(new Error('You have an error in your SQL syntax'), { errno: 1064 });
    await expect(
      withDatabaseRetry(
        async () => {
          throw parse;
        },
        { budgetMs: 60_000, ...clock },
      ),
    ).rejects.toBe(parse);
    expect(clock.slept).toEqual([]);
  });

  it('gives up when the budget is spent, saying how often it tried and why', async () => {
    const clock = fakeClock();
    let attempts = 0;
    const failure = withDatabaseRetry(
      async () => {
        attempts++;
        throw accessDenied;
      },
      { budgetMs: 60_000, baseDelayMs: 1_000, maxDelayMs: 15_000, ...clock },
    );
    await expect(failure).rejects.toThrow(/still refused or unreachable after \d+ attempts.*Access denied/);
    expect(attempts).toBeGreaterThan(3);
    expect(clock.now()).toBeLessThanOrEqual(60_000);
  });
});
