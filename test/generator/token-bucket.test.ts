import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../generator/token-bucket.js';

/** A fake clock whose sleep advances time instantly, so pacing is checked without waiting. */
function fakeTime() {
  let now = 0;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
    sleeps,
    elapsed: () => now,
  };
}

describe('TokenBucket', () => {
  it('paces takes to the configured rate', async () => {
    const time = fakeTime();
    const bucket = new TokenBucket(100, 10, time.now, time.sleep);
    for (let i = 0; i < 50; i++) await bucket.take(10);
    // 500 tokens at 100/s need 5 s of simulated time (the bucket starts empty).
    expect(time.elapsed()).toBeGreaterThanOrEqual(5_000);
    expect(time.elapsed()).toBeLessThan(5_100);
  });

  it('never lets a burst exceed its capacity after idling', async () => {
    const time = fakeTime();
    const bucket = new TokenBucket(1_000, 5, time.now, time.sleep);
    await time.sleep(60_000);
    const before = time.elapsed();
    for (let i = 0; i < 3; i++) await bucket.take(5);
    // Only the first 5 were banked; the next 10 wait for refills (10 ms at 1,000/s).
    expect(time.elapsed() - before).toBeGreaterThanOrEqual(10);
  });

  it('rejects a zero rate', () => {
    expect(() => new TokenBucket(0, 1)).toThrow(RangeError);
  });
});
