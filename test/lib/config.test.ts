import { describe, expect, it } from 'vitest';
import { configFromContext, DEFAULT_CONFIG, PipelineConfigError, resolveConfig } from '../../lib/config.js';
import { PROFILES } from '../../lib/profiles.js';

function errorOf(fn: () => unknown): PipelineConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof PipelineConfigError) return error;
    throw error;
  }
  throw new Error('expected a PipelineConfigError');
}

describe('resolveConfig', () => {
  it('returns the small dev defaults when nothing is overridden', () => {
    const config = resolveConfig();
    expect(config).toEqual({ ...DEFAULT_CONFIG, ...PROFILES.dev, profile: 'dev' });
    expect(config).toMatchObject({
      brokerCount: 2,
      brokerInstanceType: 'kafka.t3.small',
      kafkaVersion: '3.9.x',
      consumerMode: 'lambda',
      dbMultiAz: false,
    });
  });

  it('applies later layers over earlier ones (context, then props)', () => {
    const config = resolveConfig({ consumerMode: 'fargate', batchSize: 100 }, { batchSize: 200 });
    expect(config.consumerMode).toBe('fargate');
    expect(config.batchSize).toBe(200);
  });

  it('accepts numbers and booleans given as strings on the command line', () => {
    const config = resolveConfig({ brokerCount: '4', dbMultiAz: 'true' });
    expect(config.brokerCount).toBe(4);
    expect(config.dbMultiAz).toBe(true);
  });

  it('fails if brokerCount is not a multiple of the AZ count, naming key, value and fix', () => {
    const error = errorOf(() => resolveConfig({ brokerCount: 3 }));
    expect(error.key).toBe('brokerCount');
    expect(error.message).toBe(
      'logPipeline.brokerCount: must be a multiple of the AZ count (2); use 4, got 3',
    );
  });

  it('fails on an unknown consumer mode', () => {
    expect(() => resolveConfig({ consumerMode: 'ec2' })).toThrow(
      'logPipeline.consumerMode: use "lambda" or "fargate", got "ec2"',
    );
  });

  it('signs Dashboards users in through Cognito by default, and can turn it off', () => {
    expect(resolveConfig().dashboardsAuth).toBe('cognito');
    expect(resolveConfig({ dashboardsAuth: 'none' }).dashboardsAuth).toBe('none');
  });

  it('fails on an unknown Dashboards sign-in mode', () => {
    expect(() => resolveConfig({ dashboardsAuth: 'saml' })).toThrow(
      'logPipeline.dashboardsAuth: use "cognito" or "none", got "saml"',
    );
  });

  it('fails on a Kafka version outside the 3.9 line', () => {
    expect(() => resolveConfig({ kafkaVersion: '2.8.1' })).toThrow(
      /kafkaVersion: use one of 3\.9\.x.*got "2\.8\.1"/,
    );
  });

  it('fails on an unknown key so a typo never passes silently', () => {
    expect(() => resolveConfig({ brokerCont: 2 })).toThrow(
      /logPipeline\.brokerCont: unknown key; use one of .*brokerCount/,
    );
  });

  it('fails when the generator fleet minimum exceeds its maximum', () => {
    expect(() => resolveConfig({ generatorMinInstances: 5, generatorMaxInstances: 2 })).toThrow(
      'logPipeline.generatorMaxInstances: must be an integer between 5 and 100, got 2',
    );
  });

  it('fails on a seed of no accounts or of more than the generator accepts', () => {
    expect(() => resolveConfig({ seedAccounts: 0 })).toThrow(
      'logPipeline.seedAccounts: must be an integer between 1 and 10000000, got 0',
    );
    expect(() => resolveConfig({ seedAccounts: 10_000_001 })).toThrow(PipelineConfigError);
  });

  it('fails on a non-integer batch size and on a zero window with large batches', () => {
    expect(() => resolveConfig({ batchSize: 1.5 })).toThrow(
      /batchSize: must be an integer between 1 and 10000/,
    );
    expect(() => resolveConfig({ batchWindowSeconds: 0 })).toThrow(/batchWindowSeconds: must be at least 1/);
  });

  it('fails on a replication factor that cannot survive a broker restart or exceeds the brokers', () => {
    expect(() => resolveConfig({ replicationFactor: 1 })).toThrow(/replicationFactor: must be at least 2/);
    expect(() => resolveConfig({ replicationFactor: 3 })).toThrow(
      /replicationFactor: must be an integer between 1 and 2/,
    );
  });

  it('keeps min.insync.replicas at most replicationFactor - 1, following the replication factor by default', () => {
    expect(resolveConfig().minInsyncReplicas).toBe(1);
    expect(resolveConfig({ azCount: 3, brokerCount: 3, replicationFactor: 3 }).minInsyncReplicas).toBe(2);
    expect(
      resolveConfig({ azCount: 3, brokerCount: 3, replicationFactor: 3, minInsyncReplicas: '1' })
        .minInsyncReplicas,
    ).toBe(1);
    const error = errorOf(() => resolveConfig({ minInsyncReplicas: 2 }));
    expect(error.key).toBe('minInsyncReplicas');
    expect(error.message).toMatch(/must be an integer from 1 to replicationFactor - 1 \(1\).*got 2/);
    expect(() => resolveConfig({ minInsyncReplicas: 0 })).toThrow(/minInsyncReplicas: must be an integer/);
  });

  it('refuses natGateways 0 with the reason: the generator installs Node.js from the internet', () => {
    const error = errorOf(() => resolveConfig({ natGateways: 0 }));
    expect(error.key).toBe('natGateways');
    expect(error.message).toMatch(/natGateways: must be at least 1: the generator fleet installs Node\.js/);
    expect(resolveConfig({ natGateways: 2 }).natGateways).toBe(2);
    expect(() => resolveConfig({ natGateways: 3 })).toThrow(
      /natGateways: must be an integer between 1 and 2/,
    );
  });

  it('fails on more Fargate tasks than partitions in fargate mode', () => {
    expect(() => resolveConfig({ consumerMode: 'fargate', fargateMaxTasks: 12, topicPartitions: 6 })).toThrow(
      /fargateMaxTasks: must not exceed topicPartitions \(6\)/,
    );
  });

  it('fails on an alarm e-mail that is not an address', () => {
    expect(() => resolveConfig({ alarmEmail: 'ops' })).toThrow(
      'logPipeline.alarmEmail: use an e-mail address',
    );
  });

  it('fails on an OpenSearch type without encryption at rest and on a non-Graviton generator type', () => {
    expect(() => resolveConfig({ searchInstanceType: 't2.small.search' })).toThrow(
      /searchInstanceType: T2 types/,
    );
    expect(() => resolveConfig({ generatorInstanceType: 't3.small' })).toThrow(
      /generatorInstanceType: use a Graviton/,
    );
  });

  it('fails on a log retention CloudWatch does not offer', () => {
    expect(() => resolveConfig({ logRetentionDays: 10 })).toThrow(
      /logRetentionDays: use one of 1, 3, 5, 7, 14/,
    );
  });
});

describe('configFromContext', () => {
  it('reads an object or a JSON string and ignores an absent value', () => {
    expect(configFromContext({ batchSize: 10 })).toEqual({ batchSize: 10 });
    expect(configFromContext('{"batchSize":10}')).toEqual({ batchSize: 10 });
    expect(configFromContext(undefined)).toBeUndefined();
  });

  it('fails on context that is not a JSON object', () => {
    expect(() => configFromContext('batchSize=10')).toThrow(/pass the logPipeline context as a JSON object/);
    expect(() => configFromContext([1])).toThrow(/pass the logPipeline context as a JSON object/);
  });
});

describe('resolveConfig for OpenSearch zone awareness', () => {
  it('fails on a data node count the zones cannot split evenly', () => {
    expect(() => resolveConfig({ searchDataNodes: 3 })).toThrow(
      'logPipeline.searchDataNodes: must be 1 or a multiple of the zones it spans (2) for zone awareness, got 3',
    );
  });
});
