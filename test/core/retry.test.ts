import { afterEach, describe, expect, it, vi } from 'vitest';
import { backoffMs, DeadlineExceededError, retryUntilDeadline, sleep } from '../../core/retry.js';

describe('retryUntilDeadline', () => {
  const transient = () => Object.assign(new Error('busy'), { transient: true });
  const isRetriable = (e: unknown) => (e as { transient?: boolean }).transient === true;

  it('retries what is retriable with growing, jittered waits until the attempt succeeds', async () => {
    const waits: number[] = [];
    let calls = 0;
    const result = await retryUntilDeadline(
      async () => {
        calls++;
        if (calls < 4) throw transient();
        return 'done';
      },
      {
        isRetriable,
        deadline: Date.now() + 60_000,
        baseDelayMs: 1_000,
        sleep: async (ms) => void waits.push(ms),
      },
    );

    expect(result).toBe('done');
    expect(waits).toHaveLength(3);
    // Full jitter over the upper half: attempt n waits between base * 2^(n-1) / 2 and base * 2^(n-1).
    waits.forEach((ms, i) => {
      expect(ms).toBeGreaterThanOrEqual((1_000 * 2 ** i) / 2);
      expect(ms).toBeLessThanOrEqual(1_000 * 2 ** i);
    });
  });

  it('rethrows at once what is not retriable', async () => {
    const refused = new Error('403');
    let calls = 0;
    await expect(
      retryUntilDeadline(
        async () => {
          calls++;
          throw refused;
        },
        { isRetriable, deadline: Date.now() + 60_000, sleep: async () => undefined },
      ),
    ).rejects.toBe(refused);
    expect(calls).toBe(1);
  });

  it('stops when the next wait would pass the deadline, with the last error and the attempts made', async () => {
    let now = 0;
    const failure = retryUntilDeadline(
      async () => {
        throw transient();
      },
      {
        isRetriable,
        deadline: 10_000,
        baseDelayMs: 1_000,
        maxDelayMs: 1_000,
        now: () => now,
        sleep: async (ms) => {
          now += ms;
        },
      },
    );
    await expect(failure).rejects.toBeInstanceOf(DeadlineExceededError);
    const error = (await failure.catch((e) => e)) as DeadlineExceededError;
    expect(error.attempts).toBeGreaterThanOrEqual(10);
    expect(now).toBeLessThan(10_000);
    expect(error.message).toBe(`still failing after ${error.attempts} attempts: busy`);
    // The error that kept failing travels as the cause, for whoever logs or classifies it.
    expect(error.cause).toBe(error.lastError);
    expect((error.cause as Error).message).toBe('busy');
  });

  it('waits 1 s before the second attempt by default, and no more than 20 s later on', async () => {
    const waits: number[] = [];
    let calls = 0;
    await retryUntilDeadline(
      async () => {
        if (++calls < 8) throw transient();
        return 'done';
      },
      { isRetriable, deadline: Date.now() + 600_000, sleep: async (ms) => void waits.push(ms) },
    );
    expect(waits[0]).toBeGreaterThanOrEqual(500);
    expect(waits[0]).toBeLessThanOrEqual(1_000);
    // 1 s doubling: 64 s uncapped by the seventh wait; capped at 20 s.
    expect(waits[6]).toBeGreaterThanOrEqual(10_000);
    expect(Math.max(...waits)).toBeLessThanOrEqual(20_000);
  });

  it('keeps backoffMs within its cap', () => {
    expect(backoffMs(10, 1_000, 20_000)).toBeLessThanOrEqual(20_000);
  });
});

// The backoff every retry of the pipeline waits: exponential, capped, with full jitter in its upper half.
describe('backoffMs', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('doubles per attempt from the base, between half and all of it', () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    expect([1, 2, 3, 4].map((attempt) => backoffMs(attempt, 100))).toEqual([50, 100, 200, 400]);
    vi.spyOn(Math, 'random').mockReturnValue(0.999_999);
    expect([1, 2, 3, 4].map((attempt) => backoffMs(attempt, 100))).toEqual([100, 200, 400, 800]);
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    expect(backoffMs(1, 100)).toBe(75);
  });

  it('never waits longer than the cap, 30 s unless told', () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.999_999);
    expect(backoffMs(20, 500)).toBe(30_000);
    expect(backoffMs(20, 500, 4_000)).toBe(4_000);
  });
});

describe('sleep', () => {
  it('resolves after the time given, not before', async () => {
    const start = Date.now();
    await sleep(30);
    expect(Date.now() - start).toBeGreaterThanOrEqual(28);
  });
});
