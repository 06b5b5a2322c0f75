// LogPipeline on an MSK cluster the platform already runs, in its existing VPC: synthesized with cdk-nag
// AwsSolutions, with the cluster's ARN wired into every client and nothing of a cluster created. Without bundling
// or the built-in CloudFormation validation (seconds each): the README's existing-msk example
// (test/lib/readme-examples.test.ts) synthesizes the same pipeline with both.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogPipeline } from '../../lib/index.js';
import {
  type CfnProperties,
  cdkJsonContext,
  platformVpc,
  removeScratchOutdirs,
  synthWithNag,
  testApp,
  type ValidationReport,
} from './stack-fixture.js';

const CLUSTER_ARN =
  'arn:aws:kafka:eu-west-1:123456789012:cluster/platform/0b6c3e8f-aaaa-bbbb-cccc-444455556666-2';

function platformStack(app: App): { stack: Stack; vpc: ec2.IVpc; brokers: ec2.ISecurityGroup } {
  const stack = new Stack(app, 'PlatformStack', { env: { account: '123456789012', region: 'eu-west-1' } });
  const vpc = platformVpc(stack);
  const brokers = ec2.SecurityGroup.fromSecurityGroupId(stack, 'Brokers', 'sg-0123456789abcdef0');
  return { stack, vpc, brokers };
}

describe('LogPipeline on an existing MSK cluster', () => {
  let outdir: string;
  let template: Template;
  let report: ValidationReport;

  beforeAll(() => {
    outdir = fs.mkdtempSync(path.join(fs.realpathSync(process.env.TMPDIR ?? '/tmp'), 'log-pipeline-cdk-'));
    const app = new App({
      outdir,
      context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] },
      builtinCloudFormationValidation: false,
    });
    const { stack, vpc, brokers } = platformStack(app);
    new LogPipeline(stack, 'Logs', {
      existingVpc: vpc,
      existingKafkaCluster: { clusterArn: CLUSTER_ARN, securityGroup: brokers, brokerCount: 3 },
      replicationFactor: 3,
    });
    ({ template, report } = synthWithNag(app, stack));
  });
  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  it('has no unacknowledged cdk-nag finding', () => {
    expect(report.pluginReports.map((r) => r.pluginName)).toContain('AwsSolutions');
    for (const plugin of report.pluginReports) {
      expect({ plugin: plugin.pluginName, violations: plugin.violations }).toEqual({
        plugin: plugin.pluginName,
        violations: [],
      });
    }
  });

  it('creates no cluster, configuration, broker key or storage scaling', () => {
    for (const type of [
      'AWS::MSK::Cluster',
      'AWS::MSK::Configuration',
      'AWS::ApplicationAutoScaling::ScalableTarget',
    ]) {
      expect(Object.keys(template.findResources(type)), type).toEqual([]);
    }
    const keys = Object.values(template.findResources('AWS::KMS::Key')).map(
      (k) => (k as { Properties: CfnProperties }).Properties.Description,
    );
    expect(keys.filter((d) => /MSK/.test(String(d)))).toEqual([]);
  });

  it("points the mapping, the ops function and the output at the cluster's ARN", () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: CLUSTER_ARN,
      Topics: ['server-logs'],
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { CLUSTER_ARN } },
    });
    expect((template.toJSON().Outputs as Record<string, { Value: unknown }>).ClusterArn?.Value).toBe(
      CLUSTER_ARN,
    );
  });

  it("creates the topics in the cluster, with the pipeline's replication factor", () => {
    template.hasResourceProperties('Custom::KafkaTopics', {
      ClusterArn: CLUSTER_ARN,
      Topics: [
        { Name: 'server-logs', Partitions: 6, ReplicationFactor: 3 },
        { Name: 'server-logs-dlq', Partitions: 6, ReplicationFactor: 3 },
      ],
    });
  });

  it("admits every Kafka client to the cluster's security group on 9098", () => {
    const rules = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress'))
      .map((r) => (r as { Properties: CfnProperties }).Properties)
      .filter((p) => p.GroupId === 'sg-0123456789abcdef0');
    expect(rules.every((r) => r.FromPort === 9098 && r.ToPort === 9098)).toBe(true);
    expect(rules.map((r) => r.Description).sort()).toEqual([
      'Lambda consumer (dead-letter producer)',
      'log generator fleet',
      'ops function (operator commands)',
      'topics custom resource',
    ]);
  });

  it('watches the three brokers declared', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([Match.objectLike({ Expression: 'MAX([b1,b2,b3])' })]),
    });
  });
});

describe('LogPipeline with a Fargate consumer on an existing cluster of undeclared size, whose owner creates the topics', () => {
  let template: Template;
  let report: ValidationReport;

  beforeAll(() => {
    const app = testApp(undefined, { bundling: false });
    const { stack, vpc, brokers } = platformStack(app);
    new LogPipeline(stack, 'Logs', {
      consumerMode: 'fargate',
      existingVpc: vpc,
      existingKafkaCluster: { clusterArn: CLUSTER_ARN, securityGroup: brokers, createTopics: false },
    });
    ({ template, report } = synthWithNag(app, stack));
  });
  afterAll(removeScratchOutdirs);

  it('has no unacknowledged cdk-nag finding', () => {
    for (const plugin of report.pluginReports) expect(plugin.violations, plugin.pluginName).toEqual([]);
  });

  it('creates no topics resource: the consumer service starts on the topics the owner made', () => {
    expect(Object.keys(template.findResources('Custom::KafkaTopics'))).toEqual([]);
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [
        Match.objectLike({
          Environment: Match.arrayWith([{ Name: 'CLUSTER_ARN', Value: CLUSTER_ARN }]),
        }),
      ],
    });
  });

  it('has no per-broker alarm, and keeps the consumer lag alarm on the cluster by name', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
      (a) => (a as { Properties: CfnProperties }).Properties,
    );
    expect(JSON.stringify(alarms)).not.toMatch(/Broker ID/);
    expect(alarms.find((a) => a.MetricName === 'MaxOffsetLag')?.Dimensions).toEqual(
      expect.arrayContaining([{ Name: 'Cluster Name', Value: 'platform' }]),
    );
  });
});

describe('LogPipeline on an existing MSK cluster, refusing what does not apply', () => {
  afterAll(removeScratchOutdirs);

  it('refuses a key that describes a new cluster, naming it and the fix', () => {
    const { stack, vpc, brokers } = platformStack(testApp(undefined, { bundling: false }));
    expect(
      () =>
        new LogPipeline(stack, 'Logs', {
          existingVpc: vpc,
          existingKafkaCluster: { clusterArn: CLUSTER_ARN, securityGroup: brokers },
          brokerInstanceType: 'kafka.m7g.large',
        }),
    ).toThrow(
      /^PlatformStack\/Logs: brokerInstanceType: describes the MSK cluster the pipeline would create, not existingKafkaCluster; remove it .*, got "kafka\.m7g\.large"$/,
    );
  });

  it('checks the topics against the cluster, not against the broker count of a new one', () => {
    const { stack, vpc, brokers } = platformStack(testApp(undefined, { bundling: false }));
    expect(
      () =>
        new LogPipeline(stack, 'Logs', {
          existingVpc: vpc,
          existingKafkaCluster: { clusterArn: CLUSTER_ARN, securityGroup: brokers, brokerCount: 2 },
          replicationFactor: 3,
        }),
    ).toThrow(
      /^PlatformStack\/Logs\/Streaming: topics\[0\]\.replicationFactor: must be an integer between 1 and 2, got 3$/,
    );
  });
});
