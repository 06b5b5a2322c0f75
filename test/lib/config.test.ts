import { describe, expect, it } from 'vitest';
import {
  configFromContext,
  DEFAULT_CONFIG,
  PipelineConfigError,
  resolveConfig,
  resolveConfigFor,
} from '../../lib/config.js';
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

  it('names the db context keys when the users database refuses their values', () => {
    expect(() => resolveConfig({ dbInstanceType: 'db.t4g.micro' })).toThrow(
      'logPipeline.dbInstanceType: use an RDS class without the db. prefix, such as t4g.micro, got "db.t4g.micro"',
    );
    expect(() => resolveConfig({ dbBackupRetentionDays: 0 })).toThrow(
      'logPipeline.dbBackupRetentionDays: must be whole days from 1 to 35 (0 would switch backups off), got 0',
    );
    expect(() => resolveConfig({ dbMultiAz: 'maybe' })).toThrow(
      'logPipeline.dbMultiAz: must be true or false, got "maybe"',
    );
    expect(() => resolveConfig({ dbDeletionProtection: 'off' })).toThrow(
      'logPipeline.dbDeletionProtection: must be true or false, got "off"',
    );
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

  it('takes operator role ARNs, none by default, and refuses anything else naming key, value and fix', () => {
    expect(resolveConfig().operatorRoleArns).toEqual([]);
    const ops = 'arn:aws:iam::123456789012:role/team/ops-admin';
    expect(resolveConfig({ operatorRoleArns: [ops] }).operatorRoleArns).toEqual([ops]);
    expect(() => resolveConfig({ operatorRoleArns: ops })).toThrow(
      `logPipeline.operatorRoleArns: use a list of IAM role ARNs such as ["arn:aws:iam::123456789012:role/ops"], or [], got "${ops}"`,
    );
    expect(() => resolveConfig({ operatorRoleArns: ['arn:aws:iam::123456789012:user/bob'] })).toThrow(
      'logPipeline.operatorRoleArns: each entry must be an IAM role ARN such as arn:aws:iam::123456789012:role/ops (not a user, not an assumed-role session ARN), got "arn:aws:iam::123456789012:user/bob"',
    );
    expect(() =>
      resolveConfig({ operatorRoleArns: ['arn:aws:sts::123456789012:assumed-role/ops/alice'] }),
    ).toThrow(/operatorRoleArns: each entry must be an IAM role ARN/);
    expect(() => resolveConfig({ operatorRoleArns: [ops, ops] })).toThrow(
      'logPipeline.operatorRoleArns: list each role once',
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

  it('refreshes the indices every 5 s in every profile unless indexRefreshInterval says otherwise', () => {
    expect(resolveConfig().indexRefreshInterval).toBe('5s');
    expect(resolveConfig({ profile: 'production' }).indexRefreshInterval).toBe('5s');
    expect(
      resolveConfig(configFromContext('{"profile":"production","indexRefreshInterval":"500ms"}'))
        .indexRefreshInterval,
    ).toBe('500ms');
  });

  it('fails on a refresh interval OpenSearch would not take or that never refreshes, naming the context key', () => {
    expect(() => resolveConfig(configFromContext('{"indexRefreshInterval":"1.5s"}'))).toThrow(
      'logPipeline.indexRefreshInterval: use a whole number of ms, s or m, such as 500ms, 1s or 5s, got "1.5s"',
    );
    expect(errorOf(() => resolveConfig({ indexRefreshInterval: '-1' })).key).toBe('indexRefreshInterval');
    // A bare number has no unit: milliseconds or seconds?
    expect(() => resolveConfig({ indexRefreshInterval: 5 })).toThrow(
      /^logPipeline\.indexRefreshInterval: .*, got 5$/,
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

describe('resolveConfig with an existing OpenSearch domain', () => {
  it('does not check the keys of a new domain, and still checks the index keys', () => {
    const config = resolveConfigFor(
      { searchDomain: true },
      { searchDataNodes: 3, searchInstanceType: 't2.small.search' },
    );
    expect(config.searchDataNodes).toBe(3);
    expect(() => resolveConfigFor({ searchDomain: true }, { indexRetentionDays: 0 })).toThrow(
      'logPipeline.indexRetentionDays: must be an integer between 1 and 3650, got 0',
    );
    expect(() => resolveConfigFor({ searchDomain: true }, { indexRefreshInterval: '1 s' })).toThrow(
      'logPipeline.indexRefreshInterval: use a whole number of ms, s or m, such as 500ms, 1s or 5s, got "1 s"',
    );
    expect(() => resolveConfigFor({}, { searchDataNodes: 3 })).toThrow(/logPipeline\.searchDataNodes/);
  });
});

describe('resolveConfig for OpenSearch zone awareness', () => {
  it('fails on a data node count the zones cannot split evenly', () => {
    expect(() => resolveConfig({ searchDataNodes: 3 })).toThrow(
      'logPipeline.searchDataNodes: must be 1 or a multiple of the zones it spans (2) for zone awareness, got 3',
    );
  });
});

describe('resolveConfig against the limits of the chosen instance types', () => {
  it('refuses a search volume larger than the instance type takes, naming the type, its limit and the fix', () => {
    const error = errorOf(() =>
      resolveConfig({ searchInstanceType: 't3.medium.search', searchVolumeGiB: 500 }),
    );
    expect(error.key).toBe('searchVolumeGiB');
    expect(error.message).toBe(
      'logPipeline.searchVolumeGiB: t3.medium.search takes a gp3 volume of 10 to 200 GiB per data node; use a size in that range or a larger searchInstanceType (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/limits.html#ebsresource), got 500',
    );
    expect(
      resolveConfig({ searchInstanceType: 't3.medium.search', searchVolumeGiB: 200 }).searchVolumeGiB,
    ).toBe(200);
    // The dev profile's t3.small.search takes at most 100 GiB.
    expect(() => resolveConfig({ searchVolumeGiB: 200 })).toThrow(
      /t3\.small\.search takes a gp3 volume of 10 to 100 GiB/,
    );
    expect(
      resolveConfig({ searchInstanceType: 'r6g.large.search', searchVolumeGiB: 2048 }).searchVolumeGiB,
    ).toBe(2048);
    expect(() => resolveConfig({ searchInstanceType: 't3.small.search', searchVolumeGiB: 101 })).toThrow(
      /t3\.small\.search takes a gp3 volume of 10 to 100 GiB/,
    );
    expect(() => resolveConfig({ searchVolumeGiB: 9 })).toThrow(/searchVolumeGiB: .*10 to 100 GiB/);
  });

  it('refuses a search type without gp3 EBS storage, listing the types it knows', () => {
    const error = errorOf(() => resolveConfig({ searchInstanceType: 'r6gd.large.search' }));
    expect(error.key).toBe('searchInstanceType');
    expect(error.message).toMatch(
      /use a type with gp3 EBS storage: t3\.small\.search, t3\.medium\.search, .*limits\.html/,
    );
  });

  it('refuses a broker type that is not an MSK Standard type, and broker storage beyond 16384 GiB', () => {
    expect(() => resolveConfig({ brokerInstanceType: 'kafka.t3.micro' })).toThrow(
      /brokerInstanceType: use an MSK Standard broker type: kafka\.t3\.small, kafka\.m5\.large/,
    );
    const error = errorOf(() => resolveConfig({ brokerMaxVolumeGiB: 20_000 }));
    expect(error.key).toBe('brokerMaxVolumeGiB');
    expect(error.message).toBe(
      'logPipeline.brokerMaxVolumeGiB: must be an integer between 100 and 16384, got 20000',
    );
    expect(() => resolveConfig({ brokerVolumeGiB: 0 })).toThrow(
      /brokerVolumeGiB: must be an integer between 1/,
    );
  });

  it('refuses more brokers than MSK allows per cluster: 30 with ZooKeeper, 60 with KRaft', () => {
    expect(() => resolveConfig({ brokerCount: 32, replicationFactor: 2 })).toThrow(
      /brokerCount: MSK allows at most 30 brokers per 3\.9\.x cluster/,
    );
    expect(resolveConfig({ brokerCount: 32, kafkaVersion: '3.9.x.kraft' }).brokerCount).toBe(32);
  });

  it('refuses topics that put more partition replicas on a broker than its type allows', () => {
    // 2 topics x 100 x RF 2 + 100 offsets replicas = 500 over 2 brokers: 250 each, under 300 on t3.small.
    expect(resolveConfig({ topicPartitions: 100 }).topicPartitions).toBe(100);
    const error = errorOf(() => resolveConfig({ topicPartitions: 200 }));
    expect(error.key).toBe('topicPartitions');
    expect(error.message).toMatch(
      /topicPartitions: puts 450 partition replicas on each kafka\.t3\.small broker .* above the 300 MSK allows per broker of that type; use fewer partitions, more brokers or a larger brokerInstanceType/,
    );
    expect(
      resolveConfig({ topicPartitions: 200, brokerInstanceType: 'kafka.m5.large' }).topicPartitions,
    ).toBe(200);
  });
});

describe('resolveConfigFor an existing Kafka cluster', () => {
  it('holds the topics to no broker count of a new cluster: the existing cluster has its own', () => {
    const config = resolveConfigFor({ kafkaCluster: true }, { replicationFactor: 3 });
    expect(config.replicationFactor).toBe(3);
    expect(config.minInsyncReplicas).toBe(2);
    expect(() => resolveConfig({ replicationFactor: 3 })).toThrow(
      /replicationFactor: must be an integer between 1 and 2/,
    );
  });

  it('still checks the topic keys, naming the context key', () => {
    expect(() => resolveConfigFor({ kafkaCluster: true }, { topicName: 'server logs' })).toThrow(
      /^logPipeline\.topicName: use 1-249 letters, digits, "\.", "_" or "-", got "server logs"$/,
    );
    expect(() => resolveConfigFor({ kafkaCluster: true }, { replicationFactor: 1 })).toThrow(
      /^logPipeline\.replicationFactor: must be at least 2 so that a partition survives a broker restart, got 1$/,
    );
  });
});
