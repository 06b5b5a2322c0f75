import { afterEach, describe, expect, it, vi } from 'vitest';
import { pipelineConfigFromEnv } from '../../aws/pipeline-deps.js';
import { ConfigError } from '../../core/errors.js';

describe('pipelineConfigFromEnv', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  const required = {
    AWS_REGION: 'eu-west-1',
    OPENSEARCH_ENDPOINT: 'https://vpc-logs.eu-west-1.es.amazonaws.com',
    DB_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf',
  };
  const stub = (env: Record<string, string>) => {
    for (const name of [
      ...Object.keys(required),
      'INDEX_PREFIX',
      'DB_NAME',
      'USERS_CACHE_TTL_SECONDS',
      'USERS_QUERY_TIMEOUT_MS',
      'METRICS_NAMESPACE',
    ]) {
      vi.stubEnv(name, '');
    }
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  };

  it('applies the defaults to everything optional', () => {
    stub(required);

    expect(pipelineConfigFromEnv()).toEqual({
      region: 'eu-west-1',
      indexPrefix: 'logs',
      opensearchEndpoint: required.OPENSEARCH_ENDPOINT,
      dbSecretArn: required.DB_SECRET_ARN,
      databaseName: undefined,
      usersCacheTtlSeconds: 60,
      usersQueryTimeoutMs: 5_000,
      secretTtlSeconds: 300,
      metricsNamespace: 'LogPipeline',
      bulkMaxBytes: 5 * 1024 * 1024,
    });
  });

  it('fails fast naming the missing variable', () => {
    stub({ ...required, DB_SECRET_ARN: '' });

    expect(() => pipelineConfigFromEnv()).toThrow(ConfigError);
    expect(() => pipelineConfigFromEnv()).toThrow(/DB_SECRET_ARN/);
  });

  it('rejects a cache TTL that is not a whole number of seconds', () => {
    stub({ ...required, USERS_CACHE_TTL_SECONDS: '1.5' });

    expect(() => pipelineConfigFromEnv()).toThrow(/USERS_CACHE_TTL_SECONDS/);
  });

  it('reads the users query timeout in milliseconds', () => {
    stub({ ...required, USERS_QUERY_TIMEOUT_MS: '2500' });

    expect(pipelineConfigFromEnv().usersQueryTimeoutMs).toBe(2_500);
  });

  it('rejects a users query timeout of 0, which would disable it', () => {
    stub({ ...required, USERS_QUERY_TIMEOUT_MS: '0' });

    expect(() => pipelineConfigFromEnv()).toThrow(/USERS_QUERY_TIMEOUT_MS must be at least 1/);
  });
});
