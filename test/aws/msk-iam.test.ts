import { describe, expect, it, vi } from 'vitest';
import { mskKafkaConfig, mskOauthBearerProvider } from '../../aws/msk-iam.js';

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
