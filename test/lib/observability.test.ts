import { Match, type Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildStack, onlyResource, removeOutdir, type StackFixture } from './stack-fixture.js';

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
});
