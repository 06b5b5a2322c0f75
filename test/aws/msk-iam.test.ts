import { createRequire } from 'node:module';
import { describe, expect, it, vi } from 'vitest';
import { MSK_RETRY, mskKafkaConfig, mskOauthBearerProvider } from '../../aws/msk-iam.js';

describe('mskOauthBearerProvider', () => {
  it('hands kafkajs a fresh signed token for the configured region on every authentication', async () => {
    let n = 0;
    const generate = vi.fn(async () => ({ token: `token-${++n}`, expiryTime: Date.now() + 900_000 }));
    const provider = mskOauthBearerProvider('eu-west-1', generate);

    expect(await provider()).toEqual({ value: 'token-1' });
    expect(await provider()).toEqual({ value: 'token-2' });
    expect(generate).toHaveBeenCalledWith({ region: 'eu-west-1' });
  });
});

describe('mskKafkaConfig', () => {
  it('enables TLS and SASL/OAUTHBEARER against the given brokers', () => {
    const config = mskKafkaConfig({
      brokers: ['b-1:9098', 'b-2:9098'],
      region: 'eu-west-1',
      clientId: 'test',
    });

    expect(config).toMatchObject({ clientId: 'test', brokers: ['b-1:9098', 'b-2:9098'], ssl: true });
    expect(config.sasl).toMatchObject({ mechanism: 'oauthbearer' });
  });
});

describe('MSK reconnect backoff', () => {
  // kafkajs's own retrier, fed the options every MSK client gets: the waits it draws are what the brokers see.
  const createRetry = createRequire(import.meta.url)('kafkajs/src/retry/index.js') as (
    options: object,
  ) => (fn: (bail: unknown, count: number, retryTime: number) => Promise<unknown>) => Promise<unknown>;

  async function firstWaits(samples: number): Promise<number[]> {
    const waits: number[] = [];
    for (let i = 0; i < samples; i++) {
      const retrier = createRetry({
        ...mskKafkaConfig({ brokers: ['b:9098'], region: 'eu-west-1', clientId: 't' }).retry,
        retries: 0,
      });
      await retrier(async (_bail, _count, retryTime) => {
        waits.push(retryTime);
        throw Object.assign(new Error('broker restarting'), { retriable: true });
      }).catch(() => undefined);
    }
    return waits;
  }

  it('waits at least 1 s before reconnecting, and spreads clients over seconds instead of a burst', async () => {
    const waits = await firstWaits(500);

    expect(Math.min(...waits)).toBeGreaterThanOrEqual(1_000);
    expect(Math.max(...waits)).toBeLessThanOrEqual(3_000);
    // Jittered: 500 clients restarting together come back over about 2 s, not in the same instant.
    expect(Math.max(...waits) - Math.min(...waits)).toBeGreaterThan(1_500);
    expect(new Set(waits.map((w) => Math.floor(w / 250))).size).toBeGreaterThanOrEqual(7);
  });

  it('doubles the wait after each failure, up to 30 s, for a bounded number of retries', () => {
    expect(MSK_RETRY).toMatchObject({ multiplier: 2, maxRetryTime: 30_000, retries: 5 });
    expect(MSK_RETRY.initialRetryTime * (1 - MSK_RETRY.factor)).toBeGreaterThanOrEqual(1_000);
  });
});
