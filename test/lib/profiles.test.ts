import { Match, type Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, PipelineConfigError, resolveConfig } from '../../lib/config.js';
import { MAPPING_ERROR_HANDLING, ON_DEMAND_ERROR_HANDLING } from '../../lib/lambda-consumer.js';
import { DEFAULT_PROFILE, PROFILES } from '../../lib/profiles.js';
import { buildStack, onlyResource, removeOutdir, type StackFixture } from './stack-fixture.js';

function errorOf(fn: () => unknown): PipelineConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof PipelineConfigError) return error;
    throw error;
  }
  throw new Error('expected a PipelineConfigError');
}

describe('cost profiles', () => {
  it('gives the dev profile when no layer names one', () => {
    expect(DEFAULT_PROFILE).toBe('dev');
    expect(resolveConfig().profile).toBe('dev');
    expect(resolveConfig({ batchSize: 100 }).profile).toBe('dev');
  });

  it('makes dev cheaper without touching the VPC, the MSK cluster or the database of the base', () => {
    const dev = resolveConfig({ profile: 'dev' });
    expect(dev).toMatchObject({
      interfaceEndpoints: false,
      pollerMode: 'on-demand',
      searchDataNodes: 1,
      searchInstanceType: 't3.small.search',
      searchMasterNodes: 0,
    });
    // What a profile switch from the base would replace: none of these may differ.
    for (const key of [
      'azCount',
      'natGateways',
      'brokerCount',
      'brokerInstanceType',
      'brokerVolumeGiB',
      'replicationFactor',
      'topicPartitions',
      'dbInstanceType',
      'dbMultiAz',
    ] as const) {
      expect(dev[key], key).toEqual(DEFAULT_CONFIG[key]);
    }
  });

  it('sizes production over three AZs with RF 3, min.insync.replicas 2, Multi-AZ RDS and dedicated masters', () => {
    const production = resolveConfig({ profile: 'production' });
    expect(production).toMatchObject({
      profile: 'production',
      azCount: 3,
      natGateways: 3,
      brokerCount: 3,
      brokerInstanceType: 'kafka.m7g.large',
      replicationFactor: 3,
      minInsyncReplicas: 2,
      dbMultiAz: true,
      searchDataNodes: 3,
      searchInstanceType: 'r6g.large.search',
      searchMasterNodes: 3,
      searchMasterInstanceType: 'm6g.large.search',
      interfaceEndpoints: true,
      pollerMode: 'provisioned',
    });
  });

  it('lets every other key override the profile, in context and in props', () => {
    const config = resolveConfig(
      { profile: 'production', searchMasterNodes: 0, dbMultiAz: 'false' },
      { brokerInstanceType: 'kafka.m5.large' },
    );
    expect(config.searchMasterNodes).toBe(0);
    expect(config.dbMultiAz).toBe(false);
    expect(config.brokerInstanceType).toBe('kafka.m5.large');
    expect(config.azCount).toBe(3);
    expect(resolveConfig({ pollerMode: 'provisioned' }).pollerMode).toBe('provisioned');
    expect(resolveConfig({ interfaceEndpoints: 'true' }).interfaceEndpoints).toBe(true);
  });

  it('takes the profile of the last layer that names one', () => {
    expect(resolveConfig({ profile: 'production' }, { profile: 'dev' }).profile).toBe('dev');
    expect(resolveConfig({ profile: 'production' }, { batchSize: 100 }).azCount).toBe(3);
  });

  it('follows the overridden replication factor with min.insync.replicas, not the profile', () => {
    const config = resolveConfig({ profile: 'production', brokerCount: 6, replicationFactor: 4 });
    expect(config.minInsyncReplicas).toBe(3);
  });

  it('fails on an unknown profile, naming key, value and fix', () => {
    const error = errorOf(() => resolveConfig({ profile: 'staging' }));
    expect(error.key).toBe('profile');
    expect(error.message).toBe('logPipeline.profile: use "dev" or "production", got "staging"');
  });

  it('fails on a bad poller mode and a master count that cannot keep a quorum', () => {
    expect(() => resolveConfig({ pollerMode: 'auto' })).toThrow(
      'logPipeline.pollerMode: use "provisioned" or "on-demand", got "auto"',
    );
    expect(() => resolveConfig({ searchMasterNodes: 2 })).toThrow(
      'logPipeline.searchMasterNodes: use 0 (none), 3 or 5, got 2',
    );
    expect(() => resolveConfig({ interfaceEndpoints: 'no' })).toThrow(
      'logPipeline.interfaceEndpoints: must be true or false, got "no"',
    );
  });

  it('keeps every profile valid on its own and in both consumer modes', () => {
    for (const profile of Object.keys(PROFILES)) {
      for (const consumerMode of ['lambda', 'fargate']) {
        expect(() => resolveConfig({ profile, consumerMode })).not.toThrow();
      }
    }
  });
});

describe('the dev profile in the template (the default: cdk.json context, lambda mode)', () => {
  let fixture: StackFixture;
  let template: Template;

  beforeAll(() => {
    fixture = buildStack({ bundling: false });
    template = fixture.template;
  });
  afterAll(() => removeOutdir(fixture));

  it('creates no interface endpoint, only the free S3 gateway, and one NAT gateway', () => {
    expect(
      template.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Interface' } }),
    ).toEqual({});
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 1);
    template.resourceCountIs('AWS::EC2::NatGateway', 1);
  });

  it('describes the on-demand mapping with the rules the local emulation proves (no limit, no split)', () => {
    // test/local/event-source-mapping.test.ts runs MAPPING_ERROR_HANDLING: the same rules cover both modes.
    expect(ON_DEMAND_ERROR_HANDLING).toBe(MAPPING_ERROR_HANDLING);
    expect(ON_DEMAND_ERROR_HANDLING).toEqual({
      retryAttempts: -1,
      maxRecordAgeSeconds: -1,
      bisectBatchOnError: false,
    });
  });

  it('polls on demand with no error-handling setting that could skip a record, and no destination', () => {
    const mapping = onlyResource(template, 'AWS::Lambda::EventSourceMapping');
    expect(mapping.props.ProvisionedPollerConfig).toBeUndefined();
    // On demand, AWS retries a failed batch until it succeeds or its records leave the topic.
    expect(mapping.props.MaximumRetryAttempts).toBeUndefined();
    expect(mapping.props.MaximumRecordAgeInSeconds).toBeUndefined();
    expect(mapping.props.BisectBatchOnFunctionError).toBeUndefined();
    expect(mapping.props.DestinationConfig).toBeUndefined();
    expect(mapping.props.StartingPosition).toBe('TRIM_HORIZON');
  });

  it('runs one small search node without replicas, still encrypted, in the VPC, behind FGAC', () => {
    template.hasResourceProperties('AWS::OpenSearchService::Domain', {
      ClusterConfig: Match.objectLike({
        InstanceCount: 1,
        InstanceType: 't3.small.search',
        ZoneAwarenessEnabled: false,
        DedicatedMasterEnabled: false,
      }),
      EncryptionAtRestOptions: { Enabled: true },
      NodeToNodeEncryptionOptions: { Enabled: true },
      DomainEndpointOptions: Match.objectLike({ EnforceHTTPS: true }),
      AdvancedSecurityOptions: Match.objectLike({ Enabled: true }),
      VPCOptions: Match.objectLike({ SubnetIds: Match.anyValue() }),
    });
    template.hasResourceProperties('Custom::SearchSetup', { Replicas: 0 });
  });

  it('keeps the base MSK cluster (IAM auth, TLS) and a single-AZ database with deletion protection', () => {
    template.hasResourceProperties('AWS::MSK::Cluster', {
      NumberOfBrokerNodes: 2,
      BrokerNodeGroupInfo: Match.objectLike({ InstanceType: 'kafka.t3.small' }),
      ClientAuthentication: { Sasl: { Iam: { Enabled: true } } },
      EncryptionInfo: Match.objectLike({
        EncryptionInTransit: { ClientBroker: 'TLS', InCluster: true },
      }),
    });
    template.hasResourceProperties('AWS::RDS::DBInstance', { MultiAZ: false, StorageEncrypted: true });
    // Switched on once the rest of the create succeeded (lib/database-protection.ts), not in the instance.
    template.hasResourceProperties('Custom::DatabaseDeletionProtection', { Enabled: true });
  });
});

describe('the production profile in the template (fargate mode)', () => {
  let fixture: StackFixture;
  let template: Template;

  beforeAll(() => {
    fixture = buildStack({ bundling: false, config: { profile: 'production', consumerMode: 'fargate' } });
    template = fixture.template;
  });
  afterAll(() => removeOutdir(fixture));

  it('spans three AZs: a private subnet and a NAT gateway in each', () => {
    const privateSubnets = template.findResources('AWS::EC2::Subnet', {
      Properties: { MapPublicIpOnLaunch: false },
    });
    const zones = Object.values(privateSubnets).map((s) =>
      JSON.stringify((s as { Properties: { AvailabilityZone: unknown } }).Properties.AvailabilityZone),
    );
    expect(new Set(zones).size).toBe(3);
    template.resourceCountIs('AWS::EC2::NatGateway', 3);
  });

  it('runs three m7g brokers, one per AZ, with replication factor 3 and min.insync.replicas 2', () => {
    template.hasResourceProperties('AWS::MSK::Cluster', {
      NumberOfBrokerNodes: 3,
      BrokerNodeGroupInfo: Match.objectLike({
        InstanceType: 'kafka.m7g.large',
      }),
    });
    const cluster = onlyResource(template, 'AWS::MSK::Cluster');
    const subnets = (cluster.props.BrokerNodeGroupInfo as { ClientSubnets: unknown[] }).ClientSubnets;
    expect(new Set(subnets.map((s) => JSON.stringify(s))).size).toBe(3);
    const configuration = onlyResource(template, 'AWS::MSK::Configuration');
    expect(configuration.props.ServerProperties).toMatch(/^min\.insync\.replicas=2$/m);
    expect(configuration.props.ServerProperties).toMatch(/^default\.replication\.factor=3$/m);
    template.hasResourceProperties('Custom::KafkaTopics', {
      Topics: [
        { Name: 'server-logs', Partitions: 6, ReplicationFactor: 3 },
        { Name: 'server-logs-dlq', Partitions: 6, ReplicationFactor: 3 },
      ],
    });
  });

  it('runs the users database Multi-AZ', () => {
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      MultiAZ: true,
      DBInstanceClass: 'db.t4g.small',
      StorageEncrypted: true,
    });
  });

  it('spreads three r6g data nodes over three zones, with three dedicated masters', () => {
    template.hasResourceProperties('AWS::OpenSearchService::Domain', {
      ClusterConfig: Match.objectLike({
        InstanceCount: 3,
        InstanceType: 'r6g.large.search',
        ZoneAwarenessEnabled: true,
        ZoneAwarenessConfig: { AvailabilityZoneCount: 3 },
        DedicatedMasterEnabled: true,
        DedicatedMasterCount: 3,
        DedicatedMasterType: 'm6g.large.search',
      }),
      EBSOptions: Match.objectLike({ VolumeSize: 400, VolumeType: 'gp3' }),
    });
    expect(template.findResources('Custom::SearchSetup')).not.toEqual({});
    const setup = onlyResource(template, 'Custom::SearchSetup');
    expect(setup.props.Replicas).toBeUndefined();
  });

  it('keeps every interface endpoint, ECR included for the tasks', () => {
    const interfaces = template.findResources('AWS::EC2::VPCEndpoint', {
      Properties: { VpcEndpointType: 'Interface' },
    });
    expect(Object.keys(interfaces)).toHaveLength(9);
  });
});
