import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import { Observability, type ObservabilityProps } from '../../lib/observability.js';
import { PropsError } from '../../lib/validation.js';
import { fakeParts } from '../support/fake-parts.js';
import { type CfnProperties, onlyResource, removeScratchOutdirs, testApp } from './stack-fixture.js';

/**
 * Observability alone in a minimal stack, with fake streaming, search and database parts and an imported
 * consumer function or service: it needs nothing of the consumers but their interfaces.
 */
function buildObservability(overrides: Partial<ObservabilityProps> = {}) {
  const stack = new Stack(testApp(), 'TestStack');
  const parts = fakeParts(stack);
  const observability = new Observability(stack, 'Observability', {
    ...parts,
    brokerCount: 2,
    brokerInstanceType: new ec2.InstanceType('t3.small'),
    mskMonitoringLevel: 'DEFAULT',
    topic: 'server-logs',
    consumerGroupId: 'log-pipeline-consumer',
    consumerMode: 'lambda',
    consumerFunction: lambda.Function.fromFunctionAttributes(stack, 'Consumer', {
      functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:consumer',
      sameEnvironment: true,
    }),
    metricsNamespace: 'LogPipeline',
    lagAlarmThreshold: 100_000,
    alarmEmail: 'ops@example.com',
    ...overrides,
  });
  return { stack, observability, template: Template.fromStack(stack) };
}

afterAll(() => removeScratchOutdirs());

describe('Observability', () => {
  const { template } = buildObservability();

  it('publishes alarms to a KMS-encrypted, TLS-only SNS topic with the configured e-mail subscribed', () => {
    const topic = onlyResource(template, 'AWS::SNS::Topic');
    expect(topic.props.KmsMasterKeyId).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^ObservabilityAlarmTopicKey/), 'Arn'],
    });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: Match.objectLike({
        Statement: Match.arrayWith([
          Match.objectLike({ Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      }),
    });
  });

  it('alarms on lag, consumer errors, dead letters, OpenSearch health, database CPU and broker disk', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')) as Array<{
      Properties: { MetricName?: string; Metrics?: unknown; AlarmActions: unknown[] };
    }>;
    const names = alarms.map((a) => a.Properties.MetricName ?? 'math');
    expect(names).toEqual(
      expect.arrayContaining([
        'MaxOffsetLag',
        'Errors',
        'DeadLettered',
        'ClusterStatus.red',
        'ClusterIndexWritesBlocked',
        'CPUUtilization',
        'math',
      ]),
    );
    for (const alarm of alarms) {
      expect(JSON.stringify(alarm.Properties.AlarmActions)).toContain('ObservabilityAlarmTopic');
    }
  });

  it('does not page on the missing cluster status of a domain that is still being created', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ClusterStatus.red',
      TreatMissingData: 'notBreaching',
    });
  });

  it('draws throughput, lag, errors, per-category counts, dead letters, OpenSearch and database health', () => {
    const body = JSON.stringify(onlyResource(template, 'AWS::CloudWatch::Dashboard').props.DashboardBody);
    for (const text of [
      'Throughput',
      'Consumer lag',
      'MaxOffsetLag',
      'Events per category',
      '\\"LogPipeline\\",\\"Good\\"',
      '\\"Suspicious\\"',
      '\\"Bad\\"',
      'Records dead-lettered',
      'ClusterStatus.red',
      'DatabaseConnections',
      'KafkaDataLogsDiskUsed',
    ]) {
      expect(body).toContain(text);
    }
  });

  it('alarms when a broker nears the connections it accepts, and has no rate alarm without PER_BROKER metrics', () => {
    const alarms = connectionAlarms(template);
    expect(alarms.map((a) => a.metric)).toEqual(['ConnectionCount']);
    expect(alarms[0]).toMatchObject({ threshold: 2400, expression: 'MAX([c1,c2])', brokers: ['1', '2'] });
  });
});

/** The broker connection alarms: which metric, over which brokers, at what threshold. */
function connectionAlarms(template: Template) {
  const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')) as Array<{
    Properties: CfnProperties;
  }>;
  return alarms
    .map((a) => a.Properties)
    .filter((p) => JSON.stringify(p.Metrics ?? []).includes('Connection'))
    .map((p) => {
      const metrics = p.Metrics as CfnProperties[];
      const inputs = metrics.filter((m) => m.MetricStat);
      return {
        metric: inputs[0]?.MetricStat.Metric.MetricName as string,
        statistic: inputs[0]?.MetricStat.Stat as string,
        brokers: inputs.map(
          (m) =>
            (m.MetricStat.Metric.Dimensions as { Name: string; Value: string }[]).find(
              (d) => d.Name === 'Broker ID',
            )?.Value,
        ),
        expression: metrics.find((m) => m.Expression)?.Expression as string,
        threshold: p.Threshold as number,
        datapointsToAlarm: p.DatapointsToAlarm as number | undefined,
        description: p.AlarmDescription as string,
      };
    });
}

describe('Observability with PER_BROKER monitoring', () => {
  it('alarms on new connections per second above 3/4 of what a kafka.t3.small broker accepts (4/s)', () => {
    const { template } = buildObservability({ mskMonitoringLevel: 'PER_BROKER' });
    const rate = connectionAlarms(template).find((a) => a.metric === 'ConnectionCreationRate');
    expect(rate).toMatchObject({
      statistic: 'Maximum',
      brokers: ['1', '2'],
      expression: 'MAX([r1,r2])',
      threshold: 3,
      datapointsToAlarm: 3,
    });
    expect(rate?.description).toMatch(/a kafka\.t3\.small broker accepts 4\/s/);
  });

  it('sizes the rate alarm to a larger broker type (20/s)', () => {
    const { template } = buildObservability({
      mskMonitoringLevel: 'PER_BROKER',
      brokerInstanceType: ec2.InstanceType.of(ec2.InstanceClass.M5, ec2.InstanceSize.LARGE),
    });
    const rate = connectionAlarms(template).find((a) => a.metric === 'ConnectionCreationRate');
    expect(rate?.threshold).toBe(15);
    expect(rate?.description).toMatch(/a kafka\.m5\.large broker accepts 20\/s/);
  });
});

describe('Observability of a cluster of undeclared size', () => {
  it('has no per-broker alarm or graph, and keeps the lag alarm', () => {
    const { template } = buildObservability({ brokerCount: undefined, mskMonitoringLevel: 'PER_BROKER' });
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
      (a) => (a as { Properties: CfnProperties }).Properties,
    );
    // The per-broker alarms are MAX() expressions over the brokers: none, not one over an empty list.
    expect(alarms.filter((a) => JSON.stringify(a.Metrics ?? []).includes('MAX('))).toEqual([]);
    expect(JSON.stringify(alarms)).not.toMatch(/Broker ID/);
    expect(alarms.map((a) => a.MetricName)).toContain('MaxOffsetLag');
    const dashboard = JSON.stringify(onlyResource(template, 'AWS::CloudWatch::Dashboard').props);
    expect(dashboard).not.toMatch(/Broker ID/);
  });
});

describe('Observability of a Fargate consumer', () => {
  it('alarms when no task of the service has run for 5 minutes, and graphs its tasks and CPU', () => {
    const stack = new Stack(testApp(), 'Imports');
    const cluster = ecs.Cluster.fromClusterAttributes(stack, 'Cluster', {
      clusterName: 'consumers',
      vpc: ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-1', availabilityZones: ['eu-west-1a'] }),
    });
    const { template } = buildObservability({
      consumerMode: 'fargate',
      consumerFunction: undefined,
      consumerService: ecs.FargateService.fromFargateServiceAttributes(stack, 'Service', {
        cluster,
        serviceName: 'consumer',
      }),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'ECS/ContainerInsights',
      MetricName: 'RunningTaskCount',
      Dimensions: Match.arrayWith([
        { Name: 'ClusterName', Value: 'consumers' },
        { Name: 'ServiceName', Value: 'consumer' },
      ]),
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
    expect(
      Object.keys(template.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: 'Errors' } })),
    ).toEqual([]);
    const body = JSON.stringify(onlyResource(template, 'AWS::CloudWatch::Dashboard').props.DashboardBody);
    expect(body).toContain(
      '\\"AWS/ECS\\",\\"CPUUtilization\\",\\"ClusterName\\",\\"consumers\\",\\"ServiceName\\",\\"consumer\\"',
    );
  });
});

describe('Observability props', () => {
  it.each([
    [{ brokerCount: 0 }, 'brokerCount: must be an integer between 1 and 60, got 0'],
    [{ lagAlarmThreshold: 0.5 }, 'lagAlarmThreshold: must be an integer between 1 and 1000000000, got 0.5'],
    [{ alarmEmail: 'ops' }, 'alarmEmail: use an e-mail address, or leave it unset, got "ops"'],
    [{ consumerMode: 'ec2' as never }, 'consumerMode: use "lambda" or "fargate", got "ec2"'],
  ])('refuses %o, naming the prop, the value and the fix', (props, message) => {
    expect(() => buildObservability(props)).toThrow(PropsError);
    expect(() => buildObservability(props)).toThrow(`TestStack/Observability: ${message}`);
  });
});
