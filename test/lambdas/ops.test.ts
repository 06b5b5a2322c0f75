import { afterEach, describe, expect, it, vi } from 'vitest';
import { EnvError } from '../../core/errors.js';
import { opsTargetsFromEnv } from '../../lambdas/ops.js';

const ENV = {
  TOPIC: 'server-logs',
  DEAD_LETTER_TOPIC: 'server-logs-dlq',
  CONSUMER_GROUP_ID: 'log-pipeline-consumer',
  REDRIVE_GROUP_ID: 'log-pipeline-redrive',
  READ_GROUP_PREFIX: 'log-pipeline-ops-read-',
  INDEX_PREFIX: 'logs',
};

describe('the ops handler environment', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('reads the deployment names the construct sets', () => {
    for (const [name, value] of Object.entries(ENV)) vi.stubEnv(name, value);

    expect(opsTargetsFromEnv()).toEqual({
      topic: 'server-logs',
      deadLetterTopic: 'server-logs-dlq',
      consumerGroupId: 'log-pipeline-consumer',
      redriveGroupId: 'log-pipeline-redrive',
      readGroupPrefix: 'log-pipeline-ops-read-',
      indexPrefix: 'logs',
    });
  });

  it('names a missing variable instead of working on the wrong topic', () => {
    for (const [name, value] of Object.entries(ENV)) vi.stubEnv(name, value);
    vi.stubEnv('DEAD_LETTER_TOPIC', undefined);

    expect(() => opsTargetsFromEnv()).toThrow(EnvError);
    expect(() => opsTargetsFromEnv()).toThrow(/DEAD_LETTER_TOPIC/);
  });
});
