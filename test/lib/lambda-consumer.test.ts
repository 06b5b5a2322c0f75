import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LambdaConsumer, type LambdaConsumerProps } from '../../lib/lambda-consumer.js';
import { logicalIdOf } from '../../lib/nag.js';
import {
  FAKE_CLUSTER_ARN,
  FAKE_DOMAIN_ARN,
  FAKE_READER_SECRET_ARN,
  type FakeSearch,
  fakeParts,
} from '../support/fake-parts.js';
import { constructStack, onlyResource, removeOutdir } from './stack-fixture.js';

type Statement = { Action: string | string[]; Resource: unknown };

/** A LambdaConsumer alone in a minimal stack, with fake streaming, search and database parts. */
function buildLambdaConsumer(overrides: Partial<LambdaConsumerProps> = {}) {
  const fixture = constructStack({ bundling: false });
  const parts = fakeParts(fixture.stack);
  const consumer = new LambdaConsumer(fixture.stack, 'LambdaConsumer', {
    vpc: fixture.vpc,
    subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    ...parts,
    topic: 'server-logs',
    deadLetterTopic: 'server-logs-dlq',
    consumerGroupId: 'log-pipeline-consumer',
    indexPrefix: 'logs',
    batchSize: 400,
    batchWindow: Duration.seconds(7),
    pollerMode: 'provisioned',
    minimumPollers: 1,
    maximumPollers: 4,
    usersCacheTtl: Duration.minutes(1),
    metricsNamespace: 'LogPipeline',
    logRetention: logs.RetentionDays.ONE_MONTH,
    ...overrides,
  });
  return { ...fixture, ...parts, consumer, template: Template.fromStack(fixture.stack) };
}

describe('LambdaConsumer (consumer mode lambda)', () => {
  let fixture: ReturnType<typeof buildLambdaConsumer>;
  let template: Template;

  beforeAll(() => {
    // Provisioned mode (the production profile's) carries the explicit settings; on demand: profiles.test.ts.
    fixture = buildLambdaConsumer();
    template = fixture.template;
  });
  afterAll(() => removeOutdir(fixture));

  it('runs the msk-consumer handler on arm64 with the current Node.js runtime, in the VPC', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Classifies server-log batches'),
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      VpcConfig: Match.objectLike({ SubnetIds: Match.anyValue() }),
      Environment: {
        Variables: Match.objectLike({
          INDEX_PREFIX: 'logs',
          OPENSEARCH_ENDPOINT: 'https://search-fake-domain.eu-west-1.es.amazonaws.com',
          // The database part's read-only login (LogPipelineStack: the reader's, never the administrator's).
          DB_SECRET_ARN: FAKE_READER_SECRET_ARN,
          DB_NAME: 'fake_users',
          METRICS_NAMESPACE: 'LogPipeline',
          USERS_CACHE_TTL_SECONDS: '60',
          KAFKA_DLQ_TOPIC: 'server-logs-dlq',
        }),
      },
    });
  });

  it('maps the MSK topic with batch settings from config and provisioned pollers, and never gives up on a batch', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: FAKE_CLUSTER_ARN,
      Topics: ['server-logs'],
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 400,
      MaximumBatchingWindowInSeconds: 7,
      AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'log-pipeline-consumer' },
      ProvisionedPollerConfig: { MinimumPollers: 1, MaximumPollers: 4 },
    });
    // Finite retries or record age, or an on-failure destination (which caps retries at 10), would move the
    // group past records that were never indexed.
    const mapping = onlyResource(template, 'AWS::Lambda::EventSourceMapping');
    expect(mapping.props.MaximumRetryAttempts).toBe(-1);
    expect(mapping.props.MaximumRecordAgeInSeconds).toBe(-1);
    expect(mapping.props.BisectBatchOnFunctionError).toBe(false);
    expect(mapping.props.DestinationConfig).toBeUndefined();
    template.resourceCountIs('AWS::SQS::Queue', 0);
  });

  it('starts polling only once the topics exist', () => {
    const mapping = Object.values(template.findResources('AWS::Lambda::EventSourceMapping'))[0] as {
      DependsOn: string[];
    };
    expect(mapping.DependsOn).toContain(logicalIdOf(fixture.streaming.topics));
  });

  it('gives the function time to wait out an outage, and a path to the dead-letter topic', () => {
    const fn = Object.values(template.findResources('AWS::Lambda::Function')).find((r) =>
      JSON.stringify(r).includes('Classifies server-log batches'),
    ) as { Properties: { Timeout: number; VpcConfig: { SecurityGroupIds: { 'Fn::GetAtt': [string] }[] } } };
    expect(fn.Properties.Timeout).toBe(300);
    const sg = fn.Properties.VpcConfig.SecurityGroupIds[0]['Fn::GetAtt'][0];
    for (const [port, groupId] of [
      [9098, 'sg-brokers'],
      [443, 'sg-domain'],
      [3306, 'sg-database'],
    ] as const) {
      template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
        FromPort: port,
        GroupId: groupId,
        SourceSecurityGroupId: { 'Fn::GetAtt': [sg, 'GroupId'] },
      });
    }
  });

  it('scopes the function role to the cluster, topic and group ARNs, the domain and the secret', () => {
    const fn = Object.values(template.findResources('AWS::Lambda::Function')).find((r) =>
      JSON.stringify(r).includes('Classifies server-log batches'),
    ) as { Properties: { Role: { 'Fn::GetAtt': [string, string] } } } | undefined;
    if (!fn) throw new Error('the consumer function is missing');
    const roleId = fn.Properties.Role['Fn::GetAtt'][0];
    const policies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } });
    const statements = Object.values(policies).flatMap(
      (p) =>
        (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument
          .Statement,
    );
    const resourceOf = (action: string) =>
      JSON.stringify(statements.filter((s) => [s.Action].flat().includes(action)).map((s) => s.Resource));
    expect(resourceOf('kafka-cluster:ReadData')).toMatch(/:topic\/.*\/server-logs"/);
    expect(resourceOf('kafka-cluster:AlterGroup')).toMatch(/:group\/.*\/log-pipeline-consumer"/);
    expect(resourceOf('kafka-cluster:Connect')).toContain(FAKE_CLUSTER_ARN);
    expect(resourceOf('es:ESHttpPost')).toContain(FAKE_DOMAIN_ARN);
    expect(resourceOf('secretsmanager:GetSecretValue')).toContain('fake-reader');
    expect(resourceOf('kafka-cluster:WriteData')).toMatch(/:topic\/.*\/server-logs-dlq"/);
    expect(resourceOf('kafka-cluster:WriteData')).not.toMatch(/\/server-logs"/);
    // The dead-letter producer reads the topic's max.message.bytes to size its records.
    expect(resourceOf('kafka-cluster:DescribeTopicDynamicConfiguration')).toMatch(
      /:topic\/.*\/server-logs-dlq"/,
    );
    expect(resourceOf('kafka-cluster:DescribeTopicDynamicConfiguration')).not.toMatch(/\/server-logs"/);
    // Only the mapping's VPC Describe actions, which have no resource-level permissions, name every resource.
    expect(statements.filter((s) => s.Resource === '*').flatMap((s) => [s.Action].flat())).toEqual([
      'ec2:DescribeSecurityGroups',
      'ec2:DescribeVpcs',
    ]);
  });

  it('lets the event source mapping describe the VPC and security groups (AWSLambdaMSKExecutionRole), before it is created', () => {
    const fn = Object.values(template.findResources('AWS::Lambda::Function')).find((r) =>
      JSON.stringify(r).includes('Classifies server-log batches'),
    ) as { Properties: { Role: { 'Fn::GetAtt': [string, string] } } };
    const roleId = fn.Properties.Role['Fn::GetAtt'][0];
    const found = template.findResources('AWS::IAM::Policy', {
      Properties: {
        Roles: [{ Ref: roleId }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: ['ec2:DescribeSecurityGroups', 'ec2:DescribeVpcs'],
              Effect: 'Allow',
              Resource: '*',
            }),
          ]),
        },
      },
    });
    const policyIds = Object.keys(found);
    expect(policyIds).toHaveLength(1);
    const mapping = Object.values(template.findResources('AWS::Lambda::EventSourceMapping'))[0] as {
      DependsOn: string[];
    };
    expect(mapping.DependsOn).toContain(policyIds[0]);
  });

  it('registers the function role as a search writer', () => {
    const search: FakeSearch = fixture.search;
    expect(search.writers).toEqual([fixture.consumer.function.role as iam.IRole]);
    expect(search.readers).toEqual([]);
  });
});

describe('LambdaConsumer props', () => {
  it.each([
    [
      { consumerGroupId: 'a group' },
      'consumerGroupId: use 1-200 letters, digits, ".", "_" or "-", got "a group"',
    ],
    [{ batchSize: 10_001 }, 'batchSize: must be an integer between 1 and 10000, got 10001'],
    [{ batchWindow: Duration.minutes(6) }, 'batchWindow: must be an integer between 0 and 300, got 360'],
    [{ batchWindow: Duration.millis(1500) }, 'batchWindow: must be an integer between 0 and 300, got 1.5'],
    [
      { batchWindow: Duration.seconds(0) },
      'batchWindow: must be at least 1 when batchSize is above 10, got 0',
    ],
    [{ pollerMode: 'auto' as never }, 'pollerMode: use "provisioned" or "on-demand", got "auto"'],
    [
      { minimumPollers: 5, maximumPollers: 2 },
      'maximumPollers: must be an integer between 5 and 2000, got 2',
    ],
    [
      { usersCacheTtl: Duration.days(2) },
      'usersCacheTtl: must be an integer between 0 and 86400, got 172800',
    ],
  ])('refuses %o, naming the prop, the value and the fix', (props, message) => {
    expect(() => buildLambdaConsumer(props)).toThrow(`TestStack/LambdaConsumer: ${message}`);
  });

  it('defaults the tunables: 500 records, a 5 s window, 1 to 4 pollers, a 60 s users cache', () => {
    const fixture = constructStack({ bundling: false });
    const parts = fakeParts(fixture.stack);
    new LambdaConsumer(fixture.stack, 'LambdaConsumer', {
      vpc: fixture.vpc,
      subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      ...parts,
      topic: 'server-logs',
      deadLetterTopic: 'server-logs-dlq',
      consumerGroupId: 'log-pipeline-consumer',
      indexPrefix: 'logs',
      metricsNamespace: 'LogPipeline',
      logRetention: logs.RetentionDays.ONE_MONTH,
    });
    const template = Template.fromStack(fixture.stack);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 500,
      MaximumBatchingWindowInSeconds: 5,
      ProvisionedPollerConfig: { MinimumPollers: 1, MaximumPollers: 4 },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ USERS_CACHE_TTL_SECONDS: '60' }) },
    });
    removeOutdir(fixture);
  });
});
