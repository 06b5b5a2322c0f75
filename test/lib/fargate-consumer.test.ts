import * as fs from 'node:fs';
import * as path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FargateConsumer, type FargateConsumerProps } from '../../lib/fargate-consumer.js';
import { logicalIdOf } from '../../lib/nag.js';
import { FAKE_CLUSTER_ARN, FAKE_READER_SECRET_ARN, fakeParts } from '../support/fake-parts.js';
import { constructStack, onlyResource, removeOutdir } from './stack-fixture.js';

/** A FargateConsumer alone in a minimal stack, with fake streaming, search and database parts. */
function buildFargateConsumer(overrides: Partial<FargateConsumerProps> = {}) {
  const fixture = constructStack({ bundling: false });
  const parts = fakeParts(fixture.stack);
  const consumer = new FargateConsumer(fixture.stack, 'FargateConsumer', {
    vpc: fixture.vpc,
    subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    ...parts,
    topic: 'server-logs',
    deadLetterTopic: 'server-logs-dlq',
    consumerGroupId: 'log-pipeline-consumer',
    indexPrefix: 'logs',
    usersCacheTtl: Duration.minutes(1),
    metricsNamespace: 'LogPipeline',
    minTasks: 2,
    maxTasks: 6,
    scaleOutLag: 10_000,
    logRetention: logs.RetentionDays.ONE_MONTH,
    ...overrides,
  });
  return { ...fixture, ...parts, consumer, template: Template.fromStack(fixture.stack) };
}

describe('FargateConsumer (consumer mode fargate)', () => {
  let fixture: ReturnType<typeof buildFargateConsumer>;
  let template: Template;

  beforeAll(() => {
    fixture = buildFargateConsumer();
    template = fixture.template;
  });
  afterAll(() => removeOutdir(fixture));

  it('runs an arm64 task from the Dockerfile image asset with the consumer environment', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
      ContainerDefinitions: [
        Match.objectLike({
          Image: Match.anyValue(),
          ReadonlyRootFilesystem: true,
          LogConfiguration: Match.objectLike({ LogDriver: 'awslogs' }),
        }),
      ],
    });
    const task = onlyResource(template, 'AWS::ECS::TaskDefinition');
    const environment = Object.fromEntries(
      (task.props.ContainerDefinitions[0].Environment as Array<{ Name: string; Value: unknown }>).map((e) => [
        e.Name,
        e.Value,
      ]),
    );
    expect(environment).toMatchObject({
      KAFKA_TOPIC: 'server-logs',
      KAFKA_DLQ_TOPIC: 'server-logs-dlq',
      KAFKA_GROUP_ID: 'log-pipeline-consumer',
      INDEX_PREFIX: 'logs',
      METRICS_NAMESPACE: 'LogPipeline',
      CLUSTER_ARN: FAKE_CLUSTER_ARN,
      OPENSEARCH_ENDPOINT: 'https://search-fake-domain.eu-west-1.es.amazonaws.com',
      DB_SECRET_ARN: FAKE_READER_SECRET_ARN,
      DB_NAME: 'fake_users',
      USERS_CACHE_TTL_SECONDS: '60',
      // sized for the task's 1024 MiB, not left to Node's defaults for that limit (core/consumer-heap.ts)
      NODE_OPTIONS: '--max-old-space-size=768 --max-semi-space-size=32',
    });
    expect(task.props.Memory).toBe('1024');
    const manifest = JSON.parse(
      fs.readFileSync(path.join(fixture.outdir, 'TestStack.assets.json'), 'utf8'),
    ) as {
      dockerImages: Record<string, { source: { dockerFile: string; platform: string; directory: string } }>;
    };
    const images = Object.values(manifest.dockerImages);
    expect(images).toHaveLength(1);
    expect(images[0]?.source).toMatchObject({ dockerFile: 'fargate/Dockerfile', platform: 'linux/arm64' });
    // The build context is the allow-listed repository root: no tests, infrastructure or local data.
    const context = fs.readdirSync(path.join(fixture.outdir, images[0]?.source.directory ?? ''));
    expect(context).toEqual(expect.arrayContaining(['core', 'aws', 'fargate', 'package.json']));
    for (const excluded of ['node_modules', 'test', 'lib', 'infra', '.local', 'cdk.out']) {
      expect(context).not.toContain(excluded);
    }
  });

  it('runs private tasks with a rollback circuit breaker, leaving the task count to the scaling', () => {
    template.hasResourceProperties('AWS::ECS::Service', {
      LaunchType: 'FARGATE',
      // A DesiredCount would reset the scaled task count on every deploy.
      DesiredCount: Match.absent(),
      DeploymentConfiguration: Match.objectLike({
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
        MinimumHealthyPercent: 100,
      }),
      NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: 'DISABLED' }) },
    });
    template.hasResourceProperties('AWS::ECS::Cluster', {
      ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }],
    });
  });

  it('scales the service on MSK consumer lag for its group and topic', () => {
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      ServiceNamespace: 'ecs',
      MinCapacity: 2,
      MaxCapacity: 6,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Kafka',
      MetricName: 'MaxOffsetLag',
      Dimensions: Match.arrayWith([
        { Name: 'Consumer Group', Value: 'log-pipeline-consumer' },
        { Name: 'Topic', Value: 'server-logs' },
      ]),
      Threshold: 10_000,
    });
  });

  it('lets the task role consume the topic as its group and write only the dead-letter topic', () => {
    const task = onlyResource(template, 'AWS::ECS::TaskDefinition');
    const roleId = (task.props.TaskRoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const policy = JSON.stringify(
      template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } }),
    );
    expect(policy).toMatch(/kafka-cluster:ReadData.*\/server-logs"/);
    expect(policy).toMatch(/kafka-cluster:WriteData.*\/server-logs-dlq"/);
    expect(policy).toMatch(/kafka-cluster:DescribeTopicDynamicConfiguration.*\/server-logs-dlq"/);
    expect(policy).toContain('es:ESHttpPost');
    expect(policy).toMatch(/secretsmanager:GetSecretValue.*fake-reader/);
    expect(fixture.search.writers).toEqual([fixture.consumer.service.taskDefinition.taskRole]);
  });

  it('admits its tasks to the brokers, the domain and the database, and starts them once the topics exist', () => {
    const service = Object.values(template.findResources('AWS::ECS::Service'))[0] as {
      DependsOn: string[];
      Properties: { NetworkConfiguration: { AwsvpcConfiguration: { SecurityGroups: unknown[] } } };
    };
    const [sg] = service.Properties.NetworkConfiguration.AwsvpcConfiguration.SecurityGroups as [
      { 'Fn::GetAtt': [string, string] },
    ];
    for (const [port, groupId] of [
      [9098, 'sg-brokers'],
      [443, 'sg-domain'],
      [3306, 'sg-database'],
    ] as const) {
      template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
        FromPort: port,
        GroupId: groupId,
        SourceSecurityGroupId: sg,
      });
    }
    expect(service.DependsOn).toContain(logicalIdOf(fixture.streaming.topics));
  });

  it('publishes the batch metrics once: from the embedded-metric lines, with no metric filter repeating them', () => {
    template.resourceCountIs('AWS::Logs::MetricFilter', 0);
  });
});

describe('FargateConsumer props', () => {
  it.each([
    [{ consumerGroupId: '' }, 'consumerGroupId: use 1-200 letters, digits, ".", "_" or "-", got ""'],
    [{ minTasks: 0 }, 'minTasks: must be an integer between 1 and 100, got 0'],
    [{ minTasks: 3, maxTasks: 2 }, 'maxTasks: must be an integer between 3 and 100, got 2'],
    [{ scaleOutLag: 5 }, 'scaleOutLag: must be an integer between 10 and 100000000, got 5'],
    [
      { usersCacheTtl: Duration.millis(500) },
      'usersCacheTtl: must be an integer between 0 and 86400, got 0.5',
    ],
  ])('refuses %o, naming the prop, the value and the fix', (props, message) => {
    expect(() => buildFargateConsumer(props)).toThrow(`TestStack/FargateConsumer: ${message}`);
  });
});
