import { Kafka, KafkaJSConnectionError, KafkaJSRequestTimeoutError } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.js';
import { createIdempotentProducer, isRequestTimeout } from '../../core/producer.js';

describe('isRequestTimeout', () => {
  it('recognises a kafkajs request timeout', () => {
    expect(
      isRequestTimeout(new KafkaJSRequestTimeoutError('Request InitProducerId(key: 22) timed out')),
    ).toBe(true);
  });

  it('recognises a request timeout wrapped as the cause of other errors', () => {
    const timeout = new KafkaJSRequestTimeoutError('Request Metadata(key: 3) timed out');
    const wrapped = new Error('connect failed', {
      cause: new Error('retries exhausted', { cause: timeout }),
    });
    expect(isRequestTimeout(wrapped)).toBe(true);
  });

  it('leaves connection errors and non-errors to the caller', () => {
    expect(isRequestTimeout(new KafkaJSConnectionError('Connection error: ECONNREFUSED'))).toBe(false);
    expect(isRequestTimeout('timed out')).toBe(false);
    expect(isRequestTimeout(undefined)).toBe(false);
  });
});

describe('createIdempotentProducer', () => {
  const kafka = new Kafka({ clientId: 'unit', brokers: ['127.0.0.1:1'] });

  it('makes an idempotent producer', () => {
    expect(createIdempotentProducer(kafka).isIdempotent()).toBe(true);
  });

  it('fails with a ConfigError naming the fix when the client never retries', () => {
    const noRetries = new Kafka({ clientId: 'unit', brokers: ['127.0.0.1:1'], retry: { retries: 0 } });
    expect(() => createIdempotentProducer(noRetries)).toThrow(ConfigError);
    expect(() => createIdempotentProducer(noRetries)).toThrow(/give it retry.retries >= 1/);
  });

  it('fails if connectAttempts is not a positive integer', () => {
    expect(() => createIdempotentProducer(kafka, { connectAttempts: 0 })).toThrow(
      'connectAttempts must be a positive integer, got 0',
    );
  });
});
