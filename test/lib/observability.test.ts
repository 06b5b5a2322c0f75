import { Match, type Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildStack,
  type CfnProperties,
  onlyResource,
  removeOutdir,
  type StackFixture,
} from './stack-fixture.js';

describe('Observability', () => {
  let fixture: StackFixture;
  let template: Template;

  beforeAll(() => {
    fixture = buildStack({ config: { alarmEmail: 'ops@example.com' } });
    template = fixture.template;
  });
  afterAll(() => removeOutdir(fixture));

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
  let fixture: StackFixture;
  afterAll(() => removeOutdir(fixture));

  it('alarms on new connections per second above 3/4 of what a kafka.t3.small broker accepts (4/s)', () => {
    fixture = buildStack({ config: { mskMonitoringLevel: 'PER_BROKER' } });
    const rate = connectionAlarms(fixture.template).find((a) => a.metric === 'ConnectionCreationRate');
    expect(rate).toMatchObject({
      statistic: 'Maximum',
      brokers: ['1', '2'],
      expression: 'MAX([r1,r2])',
      threshold: 3,
      datapointsToAlarm: 3,
    });
    expect(rate?.description).toMatch(/a kafka\.t3\.small broker accepts 4\/s/);
  });
});
