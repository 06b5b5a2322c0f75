import * as fs from 'node:fs';
import * as path from 'node:path';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildStack, onlyResource, removeOutdir, type StackFixture } from './stack-fixture.js';

describe('FargateConsumer (consumer mode fargate)', () => {
  let fixture: StackFixture;
  let template: Template;

  beforeAll(() => {
    fixture = buildStack({ config: { consumerMode: 'fargate', fargateMinTasks: 2, fargateMaxTasks: 6 } });
    template = fixture.template;
  });
  afterAll(() => removeOutdir(fixture));

  it('replaces the Lambda consumer: no event source mapping, no dead-letter queue', () => {
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 0);
    template.resourceCountIs('AWS::SQS::Queue', 0);
    template.resourceCountIs('AWS::ECS::Service', 1);
  });

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
      CLUSTER_ARN: { 'Fn::GetAtt': [expect.stringMatching(/^StreamingCluster/), 'Arn'] },
    });
    const manifest = JSON.parse(
      fs.readFileSync(path.join(fixture.outdir, 'LogPipelineStack.assets.json'), 'utf8'),
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
    expect(policy).toContain('secretsmanager:GetSecretValue');
  });

  it('publishes the batch metrics once: from the embedded-metric lines, with no metric filter repeating them', () => {
    template.resourceCountIs('AWS::Logs::MetricFilter', 0);
  });
});
