import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { Streaming } from '../../lib/streaming.js';
import { type CfnProperties, constructStack, removeOutdir } from './stack-fixture.js';

describe('Streaming', () => {
  let fixture: ReturnType<typeof constructStack>;
  let template: Template;
  let streaming: Streaming;

  beforeAll(() => {
    fixture = constructStack();
    streaming = new Streaming(fixture.stack, 'Streaming', {
      vpc: fixture.vpc,
      subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      brokerCount: 2,
      brokerInstanceType: 'kafka.t3.small',
      kafkaVersion: '3.9.x',
      brokerVolumeGiB: 100,
      monitoringLevel: 'DEFAULT',
      topics: [
        { name: 'server-logs', partitions: 6, replicationFactor: 2 },
        { name: 'server-logs-dlq', partitions: 3, replicationFactor: 2 },
      ],
      minInsyncReplicas: 1,
      logRetention: logs.RetentionDays.ONE_MONTH,
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

  it('refuses a topic whose replication factor leaves no room for a restarting broker', () => {
    const scratch = constructStack();
    const { stack, vpc } = scratch;
    onTestFinished(() => removeOutdir(scratch));
    expect(
      () =>
        new Streaming(stack, 'Tight', {
          vpc,
          subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
          brokerCount: 2,
          brokerInstanceType: 'kafka.t3.small',
          kafkaVersion: '3.9.x',
          brokerVolumeGiB: 100,
          monitoringLevel: 'DEFAULT',
          topics: [{ name: 'server-logs', partitions: 6, replicationFactor: 2 }],
          minInsyncReplicas: 2,
          logRetention: logs.RetentionDays.ONE_MONTH,
        }),
    ).toThrow(
      /topic server-logs: replicationFactor must be from minInsyncReplicas \+ 1 \(3\) to brokerCount \(2\), got 2/,
    );
  });
});
