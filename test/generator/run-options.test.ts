// runGenerator's failures that need no running stack: invalid options and unreachable brokers.
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.js';
import { type GeneratorOptions, KafkaUnavailableError, runGenerator } from '../../generator/run.js';

const BASE: GeneratorOptions = {
  topic: 'server-logs',
  brokers: ['127.0.0.1:1'],
  count: 10,
  rate: 0,
  badRatio: 0.1,
  suspiciousRatio: 0.1,
  seed: 1,
  accounts: 10,
};

describe('runGenerator', () => {
  it.each([
    [{ count: undefined }, /exactly one of count and durationSeconds/],
    [{ durationSeconds: 5 }, /exactly one of count and durationSeconds/],
    [{ count: 0 }, /count must be a positive integer, got 0/],
    [{ count: undefined, durationSeconds: -1 }, /durationSeconds must be a positive number/],
    [{ rate: Number.NaN }, /rate must be a number >= 0/],
    [{ topic: ' ' }, /topic must not be empty/],
    [{ brokers: [] }, /give brokers or a kafka client/],
    [{ chunkSize: 0 }, /chunkSize must be a positive integer/],
    [{ maxInFlight: 1.5 }, /maxInFlight must be a positive integer/],
    [{ badRatio: 0.9, suspiciousRatio: 0.2 }, /badRatio \+ suspiciousRatio must be <= 1/],
  ])('rejects %o before connecting', async (overrides, message) => {
    const run = runGenerator({ ...BASE, ...overrides } as GeneratorOptions);
    await expect(run).rejects.toThrow(ConfigError);
    await expect(run).rejects.toThrow(message);
  });

  it('fails with KafkaUnavailableError naming the cause when the brokers cannot be reached', async () => {
    const kafka = new Kafka({
      clientId: 'unreachable',
      brokers: ['127.0.0.1:1'],
      // One retry: the idempotent producer refuses a client that never retries.
      retry: { retries: 1, initialRetryTime: 50 },
      connectionTimeout: 500,
      logLevel: logLevel.NOTHING,
    });
    const run = runGenerator({ ...BASE, kafka });
    await expect(run).rejects.toThrow(KafkaUnavailableError);
    await expect(run).rejects.toThrow(/cannot reach Kafka at .*ECONNREFUSED/);
  });
});
