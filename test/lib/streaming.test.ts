import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { Streaming, type StreamingProps } from '../../lib/streaming.js';
import { type CfnProperties, constructStack, onlyResource, removeOutdir } from './stack-fixture.js';

describe('Streaming', () => {
  let fixture: ReturnType<typeof constructStack>;
  let template: Template;
  let streaming: Streaming;

  beforeAll(() => {
    fixture = constructStack({ bundling: false });
    streaming = new Streaming(fixture.stack, 'Streaming', {
      // Every optional prop left to its default: the assertions below pin the defaults.
      vpc: fixture.vpc,
      topics: [
        { name: 'server-logs', partitions: 6, replicationFactor: 2 },
        { name: 'server-logs-dlq', partitions: 3, replicationFactor: 2 },
      ],
    });
    streaming.grantConsume(
      new iam.Role(fixture.stack, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') }),
      'server-logs',
      'group-a',
    );
    streaming.grantProduce(
      new iam.Role(fixture.stack, 'Writer', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') }),
      'server-logs',
    );
    template = Template.fromStack(fixture.stack);
  });
  afterAll(() => removeOutdir(fixture));

  it('runs Kafka 3.9 with IAM auth only, TLS in transit and between brokers, KMS at rest, broker logs', () => {
    template.hasResourceProperties('AWS::MSK::Cluster', {
      KafkaVersion: '3.9.x',
      NumberOfBrokerNodes: 2,
      BrokerNodeGroupInfo: Match.objectLike({ InstanceType: 'kafka.t3.small' }),
      ClientAuthentication: { Sasl: { Iam: { Enabled: true } }, Unauthenticated: { Enabled: false } },
      EncryptionInfo: {
        EncryptionAtRest: {
          DataVolumeKMSKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^StreamingKey'), 'Arn'] },
        },
        EncryptionInTransit: { ClientBroker: 'TLS', InCluster: true },
      },
      LoggingInfo: {
        BrokerLogs: {
          CloudWatchLogs: {
            Enabled: true,
            LogGroup: { Ref: Match.stringLikeRegexp('^StreamingBrokerLogs') },
          },
        },
      },
      ConfigurationInfo: { Arn: Match.anyValue(), Revision: Match.anyValue() },
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('keeps acks=all writes going through a broker restart (min.insync.replicas below the replication factor), no unclean leader election, no automatic topic creation', () => {
    const config = Object.values(template.findResources('AWS::MSK::Configuration'))[0] as {
      Properties: { ServerProperties: string; KafkaVersionsList: string[] };
    };
    const lines = config.Properties.ServerProperties.split('\n');
    // MSK patches restart one broker at a time: with RF 2 and min.insync.replicas 2 every patch would fail
    // the acks=all producers with NOT_ENOUGH_REPLICAS.
    expect(lines).toContain('min.insync.replicas=1');
    expect(lines).toContain('default.replication.factor=2');
    expect(lines).toContain('unclean.leader.election.enable=false');
    expect(lines).toContain('auto.create.topics.enable=false');
    expect(config.Properties.KafkaVersionsList).toEqual(['3.9.x']);
  });

  it('creates the topics and the dead-letter topic through a custom resource with partitions from config', () => {
    template.hasResourceProperties('Custom::KafkaTopics', {
      ClusterArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^StreamingCluster'), 'Arn'] },
      Topics: [
        { Name: 'server-logs', Partitions: 6, ReplicationFactor: 2 },
        { Name: 'server-logs-dlq', Partitions: 3, ReplicationFactor: 2 },
      ],
    });
  });

  it('creates the topics only once the handler may reach the brokers', () => {
    const topics = Object.values(template.findResources('Custom::KafkaTopics'))[0] as { DependsOn: string[] };
    expect(topics.DependsOn).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^StreamingBrokerSecurityGroupfrom.*TopicsProviderSecurityGroup/),
      ]),
    );
  });

  it('admits clients only on the IAM listener port', () => {
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp',
      FromPort: 9098,
      ToPort: 9098,
      GroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^StreamingBrokerSecurityGroup'), 'GroupId'] },
    });
    const ingress = template.findResources('AWS::EC2::SecurityGroupIngress');
    for (const rule of Object.values(ingress) as Array<{
      Properties: { FromPort: number; CidrIp?: string };
    }>) {
      expect(rule.Properties.CidrIp).toBeUndefined();
    }
  });

  it('scopes consumer permissions to the topic and group ARNs derived from the cluster ARN', () => {
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^Reader') }] },
    });
    const statements = (
      Object.values(policies)[0] as { Properties: { PolicyDocument: { Statement: CfnProperties[] } } }
    ).Properties.PolicyDocument.Statement;
    const byAction = (action: string): CfnProperties => {
      const statement = statements.find((s) => [s.Action].flat().includes(action));
      if (!statement) throw new Error(`no statement allows ${action}`);
      return statement;
    };
    const topicArn = JSON.stringify(byAction('kafka-cluster:ReadData').Resource);
    expect(topicArn).toContain(':topic/');
    expect(topicArn).toContain('/server-logs"');
    expect(topicArn).toContain('"Fn::Split":["/"');
    const groupArn = JSON.stringify(byAction('kafka-cluster:AlterGroup').Resource);
    expect(groupArn).toContain(':group/');
    expect(groupArn).toContain('/group-a"');
    expect(byAction('kafka-cluster:Connect').Resource).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^StreamingCluster/), 'Arn'],
    });
    expect(statements.some((s) => s.Resource === '*')).toBe(false);
  });

  it('lets producers write the topic and ask for an idempotent producer id on the cluster', () => {
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^Writer') }] },
    });
    const statements = (
      Object.values(policies)[0] as { Properties: { PolicyDocument: { Statement: CfnProperties[] } } }
    ).Properties.PolicyDocument.Statement;
    const byAction = (action: string) => statements.find((s) => [s.Action].flat().includes(action));
    expect(byAction('kafka-cluster:WriteDataIdempotently')?.Resource).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^StreamingCluster/), 'Arn'],
    });
    expect(JSON.stringify(byAction('kafka-cluster:WriteData')?.Resource)).toContain('/server-logs"');
  });

  it('publishes consumer lag as an AWS/Kafka metric with the cluster, group and topic dimensions', () => {
    const metric = streaming.consumerLagMetric('group-a', 'server-logs');
    expect(metric.namespace).toBe('AWS/Kafka');
    expect(metric.metricName).toBe('MaxOffsetLag');
    expect(Object.keys(metric.dimensions ?? {}).sort()).toEqual(['Cluster Name', 'Consumer Group', 'Topic']);
  });

  it('sizes the brokers from the props: an EC2 type runs as its kafka. type, with the given volume and monitoring', () => {
    const scratch = constructStack({ bundling: false });
    onTestFinished(() => removeOutdir(scratch));
    new Streaming(scratch.stack, 'Large', {
      vpc: scratch.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      brokerCount: 4,
      brokerInstanceType: ec2.InstanceType.of(ec2.InstanceClass.M7G, ec2.InstanceSize.LARGE),
      kafkaVersion: '3.9.x.kraft',
      brokerVolumeGiB: 300,
      monitoringLevel: 'PER_BROKER',
      topics: [{ name: 'server-logs', partitions: 12, replicationFactor: 3 }],
      logRetention: logs.RetentionDays.ONE_WEEK,
    });
    const large = Template.fromStack(scratch.stack);
    large.hasResourceProperties('AWS::MSK::Cluster', {
      KafkaVersion: '3.9.x.kraft',
      NumberOfBrokerNodes: 4,
      EnhancedMonitoring: 'PER_BROKER',
      BrokerNodeGroupInfo: Match.objectLike({
        InstanceType: 'kafka.m7g.large',
        StorageInfo: { EBSStorageInfo: { VolumeSize: 300 } },
      }),
    });
    // min.insync.replicas follows the smallest replication factor unless given.
    const configuration = onlyResource(large, 'AWS::MSK::Configuration').props;
    expect(configuration.ServerProperties.split('\n')).toContain('min.insync.replicas=2');
    large.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
  });

  describe('refuses props that cannot deploy, naming the prop, the value and the fix', () => {
    const topic = { name: 'server-logs', partitions: 6, replicationFactor: 2 };
    it.each<[string, Partial<StreamingProps>, RegExp]>([
      [
        'a broker count that is not a multiple of the AZs',
        { brokerCount: 3 },
        /^TestStack\/Bad: brokerCount: must be a multiple of the AZ count \(2\); use 4, got 3$/,
      ],
      [
        'fewer brokers than AZs',
        { brokerCount: 1 },
        /brokerCount: must be an integer between 2 and 60, got 1$/,
      ],
      [
        'more brokers than a ZooKeeper cluster takes',
        { brokerCount: 32 },
        /brokerCount: MSK allows at most 30 brokers per 3\.9\.x cluster; use 30 or fewer.*, got 32$/,
      ],
      [
        'a broker type that is not an MSK Standard type',
        { brokerInstanceType: ec2.InstanceType.of(ec2.InstanceClass.T3, ec2.InstanceSize.MICRO) },
        /brokerInstanceType: use an MSK Standard broker type: kafka\.t3\.small, kafka\.m5\.large.*, got "kafka\.t3\.micro"$/,
      ],
      [
        'a Kafka version off the 3.9 line',
        { kafkaVersion: '2.8.1' },
        /kafkaVersion: use one of 3\.9\.x, 3\.9\.x\.kraft, got "2\.8\.1"$/,
      ],
      [
        'an empty volume',
        { brokerVolumeGiB: 0 },
        /brokerVolumeGiB: must be an integer between 1 and 16384, got 0$/,
      ],
      [
        'a volume beyond MSK',
        { brokerVolumeGiB: 16_385 },
        /brokerVolumeGiB: must be an integer between 1 and 16384, got 16385$/,
      ],
      [
        'an unknown monitoring level',
        { monitoringLevel: 'ALL' as never },
        /monitoringLevel: use DEFAULT, PER_BROKER, PER_TOPIC_PER_BROKER or PER_TOPIC_PER_PARTITION, got "ALL"$/,
      ],
      ['no topic', { topics: [] }, /topics: list at least one topic, got \[\]$/],
      [
        'an illegal topic name',
        { topics: [{ ...topic, name: 'server logs' }] },
        /topics\[0\]\.name: use 1-249 letters, digits, "\.", "_" or "-", got "server logs"$/,
      ],
      [
        'the same topic twice',
        { topics: [topic, { ...topic }] },
        /topics\[1\]\.name: must differ from the other topics' names, got "server-logs"$/,
      ],
      [
        'a topic without partitions',
        { topics: [{ ...topic, partitions: 0 }] },
        /topics\[0\]\.partitions: must be an integer between 1 and 1000, got 0$/,
      ],
      [
        'more replicas than brokers',
        { topics: [{ ...topic, replicationFactor: 3 }] },
        /topics\[0\]\.replicationFactor: must be an integer between 1 and 2, got 3$/,
      ],
      [
        'a single replica on several brokers',
        { topics: [{ ...topic, replicationFactor: 1 }] },
        /topics\[0\]\.replicationFactor: must be at least 2 so that a partition survives a broker restart, got 1$/,
      ],
      [
        'a min.insync.replicas that leaves no room for a restarting broker',
        { minInsyncReplicas: 2 },
        /minInsyncReplicas: must be an integer from 1 to replicationFactor - 1 \(1\).*, got 2$/,
      ],
      [
        'more partition replicas per broker than the type takes',
        { topics: [topic, { ...topic, name: 'server-logs-dlq', partitions: 300 }] },
        /topics\[1\]\.partitions: puts 356 partition replicas on each kafka\.t3\.small broker \(server-logs: 6 x replicationFactor 2, server-logs-dlq: 300 x replicationFactor 2, plus __consumer_offsets, over 2 brokers\), above the 300 MSK allows.*, got 300$/,
      ],
    ])('refuses %s', (_, change, message) => {
      const scratch = constructStack({ bundling: false });
      onTestFinished(() => removeOutdir(scratch));
      expect(
        () => new Streaming(scratch.stack, 'Bad', { vpc: scratch.vpc, topics: [topic], ...change }),
      ).toThrow(message);
    });
  });
});
