// What operators look at: one CloudWatch dashboard (throughput, consumer lag, errors, per-category counts
// from the consumers' embedded metrics, dead letters, OpenSearch and database health) and the alarms that
// page them through an encrypted SNS topic (with an e-mail subscription when one is configured).
import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { ConsumerMode, MskMonitoringLevel } from './config.js';
import type { ISearch } from './search.js';
import { MSK_LIMITS_URL, mskConnectionRatePerBroker } from './service-limits.js';
import type { IStreaming } from './streaming.js';
import type { IUsersDatabase } from './users-database.js';
import { checkInteger, checkOneOf, type Fail, failIn } from './validation.js';

/**
 * Connections one broker keeps open at most with IAM access control (MSK developer guide, "Amazon MSK quota"):
 * above it the broker refuses new ones.
 */
export const MSK_IAM_MAX_CONNECTIONS_PER_BROKER = 3000;

/** The consumers' embedded-metric names (core/metrics.ts), one per category plus the total. */
export const CATEGORY_METRICS = ['Good', 'Suspicious', 'Bad'] as const;

export interface ObservabilityProps {
  /** The Kafka cluster: consumer lag, broker disk and connection metrics. */
  readonly streaming: IStreaming;
  /**
   * Brokers in the cluster: the per-broker alarms and graphs cover broker IDs 1 to brokerCount.
   * @default - unknown (an existing cluster whose owner did not declare it): no per-broker alarm or graph
   */
  readonly brokerCount?: number;
  /**
   * The broker type, as the MSK L2 construct (`@aws-cdk/aws-msk-alpha`) takes it: without the `kafka.` prefix
   * (`ec2.InstanceType.of(ec2.InstanceClass.M5, ec2.InstanceSize.LARGE)`, or `new ec2.InstanceType('t3.small')`).
   * Its limit on new connections per second sizes the connection-rate alarm.
   */
  readonly brokerInstanceType: ec2.InstanceType;
  /** The cluster's monitoring level: brokers publish ConnectionCreationRate from PER_BROKER up. */
  readonly mskMonitoringLevel: MskMonitoringLevel;
  /** The topic the consumers read: the lag alarm's and graphs' `Topic` dimension. */
  readonly topic: string;
  /** The consumers' group: the lag alarm's and graphs' `Consumer Group` dimension. */
  readonly consumerGroupId: string;
  /** The OpenSearch domain: cluster status and blocked-writes alarms, health graphs. */
  readonly search: ISearch;
  /** The users database: a CPU alarm and graphs when it exposes its `instance`. */
  readonly database: IUsersDatabase;
  /** Which consumer runs: the `Consumer` dimension of the embedded metrics (core/metrics.ts). */
  readonly consumerMode: ConsumerMode;
  /**
   * The Lambda consumer's function (consumer mode `lambda`): an errors alarm and graphs. Any `IFunction` does,
   * also one imported with `lambda.Function.fromFunctionAttributes`.
   * @default - no Lambda consumer alarm or graph
   */
  readonly consumerFunction?: lambda.IFunction;
  /**
   * The Fargate consumer's service (consumer mode `fargate`): a tasks-down alarm (Container Insights'
   * RunningTaskCount, so its cluster needs Container Insights) and task and CPU graphs. Any `IBaseService` does,
   * also one imported with `ecs.FargateService.fromFargateServiceAttributes`.
   * @default - no Fargate consumer alarm or graph
   */
  readonly consumerService?: ecs.IBaseService;
  /** CloudWatch namespace of the consumers' embedded metrics. */
  readonly metricsNamespace: string;
  /** Consumer lag (records) that raises the lag alarm when sustained for 15 minutes. */
  readonly lagAlarmThreshold: number;
  /**
   * An address subscribed to the alarm topic (it must confirm the subscription).
   * @default - no e-mail subscription
   */
  readonly alarmEmail?: string;
}

/** The e-mail addresses SNS can deliver to, roughly: a local part, `@`, a domain with a dot. */
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/** Checks the props of `Observability`; lib/config.ts runs it on the context too. */
export function checkObservabilityProps(
  props: Pick<ObservabilityProps, 'brokerCount' | 'lagAlarmThreshold' | 'alarmEmail' | 'consumerMode'>,
  fail: Fail,
): void {
  if (props.brokerCount !== undefined) checkInteger(fail, 'brokerCount', props.brokerCount, 1, 60);
  checkInteger(fail, 'lagAlarmThreshold', props.lagAlarmThreshold, 1, 1_000_000_000);
  checkOneOf(fail, 'consumerMode', props.consumerMode, ['lambda', 'fargate'] as const);
  if (props.alarmEmail !== undefined && !Token.isUnresolved(props.alarmEmail)) {
    if (!EMAIL.test(String(props.alarmEmail)))
      fail('alarmEmail', props.alarmEmail, 'use an e-mail address, or leave it unset');
  }
}

export class Observability extends Construct {
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarmTopic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    checkObservabilityProps(props, failIn(this));
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
    const brokers = Array.from({ length: props.brokerCount ?? 0 }, (_, i) => i + 1);
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
    // Per-broker alarms need the broker ids: an imported cluster of undeclared size gets none (its owner's watch).
    const connectionWidgets: cloudwatch.IMetric[] = [];
    if (brokers.length > 0) {
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
      connectionWidgets.push(connections);
      if (props.mskMonitoringLevel !== 'DEFAULT') {
        const brokerType = `kafka.${props.brokerInstanceType}`;
        const limit = mskConnectionRatePerBroker(brokerType);
        const rateThreshold = limit * 0.75;
        const rate = maxOverBrokers('ConnectionCreationRate', 'r', 'Max new broker connections per second');
        this.alarm('BrokerConnectionRate', rate, {
          threshold: rateThreshold,
          evaluationPeriods: 5,
          datapointsToAlarm: 3,
          alarmDescription: `New connections to an MSK broker above ${rateThreshold}/s in 3 of 5 minutes: a ${brokerType} broker accepts ${limit}/s with IAM access control (${MSK_LIMITS_URL}). Clients reconnecting at once after a broker restart, or one connecting per request`,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        });
        connectionWidgets.push(rate);
      }
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
    if (props.consumerFunction) {
      const fn = props.consumerFunction;
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
    if (props.consumerService) {
      const service = props.consumerService;
      const running = new cloudwatch.Metric({
        namespace: 'ECS/ContainerInsights',
        metricName: 'RunningTaskCount',
        dimensionsMap: {
          ClusterName: service.cluster.clusterName,
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
          // BaseService.metricCpuUtilization's metric, built from the IBaseService an imported service also has.
          right: [
            new cloudwatch.Metric({
              namespace: 'AWS/ECS',
              metricName: 'CPUUtilization',
              dimensionsMap: { ClusterName: service.cluster.clusterName, ServiceName: service.serviceName },
              statistic: 'Average',
              period: Duration.minutes(5),
            }),
          ],
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
            left: connectionWidgets.slice(0, 1),
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
