// What operators look at: one CloudWatch dashboard (throughput, consumer lag, errors, per-category counts
// from the consumers' embedded metrics, dead letters, OpenSearch and database health) and the alarms that
// page them through an encrypted SNS topic (with an e-mail subscription when one is configured).
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { ConsumerMode, MskMonitoringLevel } from './config.js';
import type { FargateConsumer } from './fargate-consumer.js';
import type { LambdaConsumer } from './lambda-consumer.js';
import type { ISearch } from './search.js';
import { MSK_LIMITS_URL, mskConnectionRatePerBroker } from './service-limits.js';
import type { IStreaming } from './streaming.js';
import type { IUsersDatabase } from './users-database.js';

/**
 * Connections one broker keeps open at most with IAM access control (MSK developer guide, "Amazon MSK quota"):
 * above it the broker refuses new ones.
 */
export const MSK_IAM_MAX_CONNECTIONS_PER_BROKER = 3000;

/** The consumers' embedded-metric names (core/metrics.ts), one per category plus the total. */
export const CATEGORY_METRICS = ['Good', 'Suspicious', 'Bad'] as const;

export interface ObservabilityProps {
  readonly streaming: IStreaming;
  readonly brokerCount: number;
  /** The broker type: its limit on new connections per second sizes the connection-rate alarm. */
  readonly brokerInstanceType: string;
  /** The cluster's monitoring level: brokers publish ConnectionCreationRate from PER_BROKER up. */
  readonly mskMonitoringLevel: MskMonitoringLevel;
  readonly topic: string;
  readonly consumerGroupId: string;
  readonly search: ISearch;
  readonly database: IUsersDatabase;
  readonly consumerMode: ConsumerMode;
  /** Present in consumer mode `lambda`. */
  readonly lambdaConsumer?: LambdaConsumer;
  /** Present in consumer mode `fargate`. */
  readonly fargateConsumer?: FargateConsumer;
  /** CloudWatch namespace of the consumers' embedded metrics. */
  readonly metricsNamespace: string;
  /** Consumer lag (records) that raises the lag alarm when sustained for 15 minutes. */
  readonly lagAlarmThreshold: number;
  /** @default - no e-mail subscription */
  readonly alarmEmail?: string;
}

export class Observability extends Construct {
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarmTopic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const key = new kms.Key(this, 'AlarmTopicKey', {
      description: 'Encrypts the log pipeline alarm topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // CloudWatch publishes alarm notifications to the encrypted topic with this key.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
      displayName: 'Log pipeline alarms',
      masterKey: key,
      enforceSSL: true,
    });
    if (props.alarmEmail)
      this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));

    const emf = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: props.metricsNamespace,
        metricName,
        dimensionsMap: { Consumer: props.consumerMode },
        statistic: 'Sum',
        period: Duration.minutes(1),
      });
    const lag = props.streaming.consumerLagMetric(props.consumerGroupId, props.topic);
    const brokers = Array.from({ length: props.brokerCount }, (_, i) => i + 1);
    const domain = props.search.domain;
    const db = props.database.instance;

    this.alarm('ConsumerLag', lag, {
      threshold: props.lagAlarmThreshold,
      evaluationPeriods: 15,
      alarmDescription: `Consumer group ${props.consumerGroupId} is more than ${props.lagAlarmThreshold} records behind on ${props.topic}`,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.alarm('SearchClusterRed', domain.metricClusterStatusRed({ period: Duration.minutes(1) }), {
      threshold: 1,
      evaluationPeriods: 1,
      alarmDescription: 'OpenSearch cluster status is red: some primary shards are unassigned',
      // The domain publishes no ClusterStatus while it is being created (20-30 minutes); breaching would page
      // on every new stack. A domain that stops answering shows in the consumer error and lag alarms.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.alarm(
      'SearchWritesBlocked',
      domain.metricClusterIndexWritesBlocked({ period: Duration.minutes(1) }),
      {
        threshold: 1,
        evaluationPeriods: 5,
        alarmDescription: 'OpenSearch blocks index writes (disk or memory pressure)',
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      },
    );
    if (db) {
      this.alarm('DatabaseCpu', db.metricCPUUtilization({ period: Duration.minutes(5) }), {
        threshold: 80,
        evaluationPeriods: 3,
        alarmDescription: 'Users database CPU above 80% for 15 minutes',
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }
    this.alarm(
      'BrokerDisk',
      new cloudwatch.MathExpression({
        expression: `MAX([${brokers.map((b) => `b${b}`).join(',')}])`,
        usingMetrics: Object.fromEntries(
          brokers.map((b) => [`b${b}`, props.streaming.brokerMetric('KafkaDataLogsDiskUsed', b)]),
        ),
        label: 'Max broker disk used (%)',
        period: Duration.minutes(5),
      }),
      {
        threshold: 85,
        evaluationPeriods: 2,
        alarmDescription: 'An MSK broker disk is above 85% (storage auto-scaling is not keeping up)',
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      },
    );

    // Broker connections. ConnectionCount is a DEFAULT-level metric (free, Cluster Name and Broker ID);
    // ConnectionCreationRate, new connections per second, comes with PER_BROKER monitoring (MSK developer guide,
    // "Amazon MSK metrics for monitoring Standard brokers with CloudWatch"). Clients that reconnect together after
    // a broker restart, or one that opens a connection per request, exceed what a small broker accepts: kafka.t3.small
    // takes 4 new IAM-authenticated connections per second (lib/service-limits.ts), and every client backs off
    // 1-3 s with jitter before reconnecting (aws/msk-iam.ts MSK_RETRY).
    // Ids unique per metric: the two expressions share a graph.
    const perBroker = (metricName: string, statistic: string, id: string) =>
      Object.fromEntries(
        brokers.map((b) => [
          `${id}${b}`,
          props.streaming.brokerMetric(metricName, b).with({ statistic, period: Duration.minutes(1) }),
        ]),
      );
    const maxOverBrokers = (metricName: string, id: string, label: string) =>
      new cloudwatch.MathExpression({
        expression: `MAX([${brokers.map((b) => `${id}${b}`).join(',')}])`,
        usingMetrics: perBroker(metricName, 'Maximum', id),
        label,
        period: Duration.minutes(1),
      });
    const connectionThreshold = Math.floor(MSK_IAM_MAX_CONNECTIONS_PER_BROKER * 0.8);
    const connections = maxOverBrokers('ConnectionCount', 'c', 'Max broker connections');
    this.alarm('BrokerConnections', connections, {
      threshold: connectionThreshold,
      evaluationPeriods: 5,
      alarmDescription: `An MSK broker holds more than ${connectionThreshold} connections, 80% of the ${MSK_IAM_MAX_CONNECTIONS_PER_BROKER} it accepts with IAM access control; above that it refuses clients (${MSK_LIMITS_URL})`,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const connectionWidgets: cloudwatch.IMetric[] = [connections];
    if (props.mskMonitoringLevel !== 'DEFAULT') {
      const limit = mskConnectionRatePerBroker(props.brokerInstanceType);
      const rateThreshold = limit * 0.75;
      const rate = maxOverBrokers('ConnectionCreationRate', 'r', 'Max new broker connections per second');
      this.alarm('BrokerConnectionRate', rate, {
        threshold: rateThreshold,
        evaluationPeriods: 5,
        datapointsToAlarm: 3,
        alarmDescription: `New connections to an MSK broker above ${rateThreshold}/s in 3 of 5 minutes: a ${props.brokerInstanceType} broker accepts ${limit}/s with IAM access control (${MSK_LIMITS_URL}). Clients reconnecting at once after a broker restart, or one connecting per request`,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      connectionWidgets.push(rate);
    }

    const consumerWidgets: cloudwatch.IWidget[] = [];
    // Both consumers count the records they put into the dead-letter topic (records no index accepts).
    const deadLettered = emf('DeadLettered');
    this.alarm('DeadLetters', deadLettered, {
      threshold: 1,
      evaluationPeriods: 1,
      alarmDescription:
        'Records that no index accepts went to the dead-letter topic: fix the cause, then re-drive them',
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    consumerWidgets.push(
      new cloudwatch.GraphWidget({ title: 'Records dead-lettered', left: [deadLettered] }),
    );
    if (props.lambdaConsumer) {
      const fn = props.lambdaConsumer.function;
      this.alarm('ConsumerErrors', fn.metricErrors({ period: Duration.minutes(5) }), {
        threshold: 1,
        evaluationPeriods: 1,
        alarmDescription:
          'The Lambda consumer failed batches: an outage that outlasted an invocation, or a permanent error (see its ERROR log line); the mapping retries them without limit',
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      consumerWidgets.push(
        new cloudwatch.GraphWidget({
          title: 'Lambda consumer errors and throttles',
          left: [fn.metricErrors(), fn.metricThrottles()],
          right: [fn.metricDuration({ statistic: 'p95' })],
        }),
      );
    }
    if (props.fargateConsumer) {
      const service = props.fargateConsumer.service;
      const running = new cloudwatch.Metric({
        namespace: 'ECS/ContainerInsights',
        metricName: 'RunningTaskCount',
        dimensionsMap: {
          ClusterName: props.fargateConsumer.cluster.clusterName,
          ServiceName: service.serviceName,
        },
        statistic: 'Minimum',
        period: Duration.minutes(1),
      });
      this.alarm('ConsumerTasksDown', running, {
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: 5,
        alarmDescription: 'No Fargate consumer task has been running for 5 minutes',
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      });
      consumerWidgets.push(
        new cloudwatch.GraphWidget({
          title: 'Fargate consumer tasks and CPU',
          left: [running],
          right: [service.metricCpuUtilization()],
        }),
      );
    }

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
      widgets: [
        [
          new cloudwatch.TextWidget({
            markdown: `# Log pipeline (${props.consumerMode} consumer)\nTopic \`${props.topic}\`, group \`${props.consumerGroupId}\`. Alarms go to the alarm topic.`,
            width: 24,
            height: 2,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Throughput: events classified per minute',
            left: [emf('Events')],
            right: brokers.map((b) =>
              props.streaming.brokerMetric('BytesInPerSec', b).with({ statistic: 'Average' }),
            ),
            width: 12,
          }),
          new cloudwatch.GraphWidget({
            title: 'Events per category per minute',
            left: CATEGORY_METRICS.map((name) => emf(name)),
            stacked: true,
            width: 12,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Consumer lag',
            left: [lag],
            right: [
              props.streaming.consumerLagMetric(props.consumerGroupId, props.topic, 'EstimatedMaxTimeLag'),
            ],
            width: 12,
          }),
          new cloudwatch.GraphWidget({
            title: 'MSK broker disk used (%)',
            left: brokers.map((b) => props.streaming.brokerMetric('KafkaDataLogsDiskUsed', b)),
            width: 12,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'MSK broker connections (max over brokers)',
            left: [connectionWidgets[0] as cloudwatch.IMetric],
            right: connectionWidgets.slice(1),
            width: 24,
          }),
        ],
        consumerWidgets,
        [
          new cloudwatch.GraphWidget({
            title: 'OpenSearch health',
            left: [domain.metricClusterStatusRed(), domain.metricClusterStatusYellow()],
            right: [domain.metricFreeStorageSpace(), domain.metricCPUUtilization()],
            width: 12,
          }),
          ...(db
            ? [
                new cloudwatch.GraphWidget({
                  title: 'Users database',
                  left: [db.metricCPUUtilization()],
                  right: [db.metricDatabaseConnections()],
                  width: 12,
                }),
              ]
            : []),
        ],
        [new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24 })],
      ],
    });
  }

  private alarm(
    id: string,
    metric: cloudwatch.Metric | cloudwatch.MathExpression,
    props: Omit<cloudwatch.CreateAlarmOptions, 'alarmName'>,
  ): void {
    const alarm = metric.createAlarm(this, id, props);
    alarm.addAlarmAction(new actions.SnsAction(this.alarmTopic));
    alarm.addOkAction(new actions.SnsAction(this.alarmTopic));
    this.alarms.push(alarm);
  }
}
