// A token bucket that paces the generator to a target rate: tokens refill continuously at `ratePerSecond`
// up to `capacity`, and take(n) waits until n are available. Bursts stay bounded by the capacity.

export type Clock = () => number;
export type Sleep = (ms: number) => Promise<void>;

const defaultSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly capacity: number,
    private readonly now: Clock = () => performance.now(),
    private readonly sleep: Sleep = defaultSleep,
  ) {
    if (!(ratePerSecond > 0) || !(capacity >= 1)) {
      throw new RangeError(
        `TokenBucket needs a rate > 0 and a capacity >= 1, got ${ratePerSecond}, ${capacity}`,
      );
    }
    // Start empty so the first second sends `ratePerSecond` events, not capacity + rate.
    this.tokens = 0;
    this.last = now();
  }

  /** Waits until `n` tokens (at most the capacity) are available, then takes them. */
  async take(n: number): Promise<void> {
    const wanted = Math.min(n, this.capacity);
    for (;;) {
      const now = this.now();
      this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) * this.ratePerSecond) / 1000);
      this.last = now;
      if (this.tokens >= wanted) {
        this.tokens -= wanted;
        return;
      }
      await this.sleep(Math.max(1, ((wanted - this.tokens) * 1000) / this.ratePerSecond));
    }
  }
}
