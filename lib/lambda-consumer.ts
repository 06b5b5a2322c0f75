// Consumer mode `lambda`: the MSK event source mapping feeds batches of `server-logs` to the msk-consumer
// function (the runtime core behind a thin adapter). The mapping never gives up on a batch: retries and record
// age without limit, no on-failure destination (which would cap retries at 10, and for Kafka an SQS/SNS
// destination gets only metadata). The function itself puts a record that no index accepts into the
// dead-letter topic, with its exact bytes (compressed, and cut to the topic's limit only when they do not fit
// even so), and goes on with the rest of the batch; an outage makes it fail the
// batch, which the mapping retries until it succeeds, so nothing is skipped and offsets never pass a record
// that is not indexed.
import { Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { PollerMode } from './config.js';
import { acknowledgeCheckov } from './iac-checks.js';
import { acknowledgeNag } from './nag.js';
import { PipelineFunction } from './pipeline-function.js';
import { EsmPollerScaling } from './scaling/esm-poller-scaling.js';
import type { ISearch } from './search.js';
import type { IStreaming } from './streaming.js';
import type { IUsersDatabase } from './users-database.js';

export interface LambdaConsumerProps {
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly streaming: IStreaming;
  readonly search: ISearch;
  readonly database: IUsersDatabase;
  readonly topic: string;
  /** Where the function puts records that no index accepts. */
  readonly deadLetterTopic: string;
  readonly consumerGroupId: string;
  readonly indexPrefix: string;
  readonly batchSize: number;
  readonly batchWindow: Duration;
  /**
   * `provisioned`: minimumPollers to maximumPollers dedicated pollers and the explicit error-handling settings
   * (MAPPING_ERROR_HANDLING); `on-demand`: Lambda scales the pollers, and the mapping has AWS's fixed on-demand
   * error handling (ON_DEMAND_ERROR_HANDLING), which never skips either.
   * @default 'provisioned'
   */
  readonly pollerMode?: PollerMode;
  /** Only in provisioned mode. */
  readonly minimumPollers: number;
  /** Only in provisioned mode. */
  readonly maximumPollers: number;
  readonly usersCacheTtlSeconds: number;
  readonly metricsNamespace: string;
  readonly logRetention: logs.RetentionDays;
}

/**
 * The mapping's error handling, in one place for the stack and for the local emulation of the mapping that
 * proves it (test/integration/lambda-path.test.ts): AWS's own defaults for Kafka, written out so that a
 * changed default cannot make the mapping skip records.
 */
export const MAPPING_ERROR_HANDLING = {
  retryAttempts: -1,
  maxRecordAgeSeconds: -1,
  // The function isolates poison records itself; a split would only re-run half-indexed batches.
  bisectBatchOnError: false,
} as const;

/**
 * What a mapping in on-demand mode does with a failed batch. Its error-handling controls (retries, record age,
 * bisect, destinations) are set in provisioned mode only
 * (https://docs.aws.amazon.com/lambda/latest/dg/kafka-retry-configurations.html), so an on-demand mapping carries
 * none, and AWS documents what it does instead: "If your function returns an error for any of the messages in a
 * batch, Lambda retries the whole batch of messages until processing succeeds or the messages expire"
 * (https://docs.aws.amazon.com/lambda/latest/dg/with-msk-configure.html). That is MAPPING_ERROR_HANDLING's
 * behaviour (no retry limit, no record-age limit, no split): the local emulation of the mapping and its tests
 * prove both modes. In both, a record is lost only if it outlives the topic's retention while it keeps failing,
 * which the ConsumerErrors and ConsumerLag alarms announce days before.
 */
export const ON_DEMAND_ERROR_HANDLING = MAPPING_ERROR_HANDLING;

/**
 * What the MSK event source mapping needs of the execution role on top of AWSLambdaVPCAccessExecutionRole (which
 * already grants the ENI actions and ec2:DescribeSubnets) to set up its pollers in the cluster's VPC: the
 * difference to AWSLambdaMSKExecutionRole's EC2 statement (Lambda MSK permissions page, "VPC permissions").
 */
export const MAPPING_EC2_ACTIONS = ['ec2:DescribeSecurityGroups', 'ec2:DescribeVpcs'] as const;

/** Long enough for a 10,000-record batch through a slow domain; an outage is waited out within it, then retried. */
export const CONSUMER_TIMEOUT = Duration.minutes(5);

export class LambdaConsumer extends Construct {
  readonly function: lambda.IFunction;
  readonly eventSourceMapping: lambda.EventSourceMapping;

  constructor(scope: Construct, id: string, props: LambdaConsumerProps) {
    super(scope, id);
    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Lambda consumer of the log pipeline',
      allowAllOutbound: true,
    });
    const fn = new PipelineFunction(this, 'Handler', {
      entry: 'lambdas/msk-consumer.ts',
      description: 'Classifies server-log batches from MSK and indexes them into OpenSearch',
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      securityGroups: [securityGroup],
      logRetention: props.logRetention,
      memorySize: 1024,
      timeout: CONSUMER_TIMEOUT,
      environment: {
        INDEX_PREFIX: props.indexPrefix,
        OPENSEARCH_ENDPOINT: props.search.endpointUrl,
        DB_SECRET_ARN: props.database.readerSecret.secretArn,
        DB_NAME: props.database.databaseName,
        USERS_CACHE_TTL_SECONDS: String(props.usersCacheTtlSeconds),
        METRICS_NAMESPACE: props.metricsNamespace,
        KAFKA_DLQ_TOPIC: props.deadLetterTopic,
      },
    }).function;
    this.function = fn;
    acknowledgeCheckov(
      fn,
      'CKV_AWS_115',
      'The event source mapping bounds concurrency (one invocation per partition at most, maximumPollers); reserved concurrency could only throttle it',
    );
    acknowledgeCheckov(
      fn,
      'CKV_AWS_116',
      'Invoked synchronously by the MSK event source mapping, where a function DLQ never applies; poison records go to the dead-letter topic',
    );
    if (!fn.role) throw new Error('the consumer function has no role');

    props.streaming.grantConsume(fn, props.topic, props.consumerGroupId);
    const describeVpc = new iam.Policy(this, 'MappingVpcAccess', {
      statements: [new iam.PolicyStatement({ actions: [...MAPPING_EC2_ACTIONS], resources: ['*'] })],
    });
    fn.role.attachInlinePolicy(describeVpc);
    acknowledgeNag(
      describeVpc,
      'AwsSolutions-IAM5[Resource::*]',
      'ec2:DescribeVpcs and ec2:DescribeSecurityGroups are read-only List/Describe actions that support no resource-level permissions; the event source mapping needs them to reach the MSK cluster in the VPC',
    );
    // The function itself connects to the brokers only to dead-letter a record.
    props.streaming.allowClientsFrom(securityGroup, 'Lambda consumer (dead-letter producer)');
    props.streaming.grantProduce(fn, props.deadLetterTopic);
    props.streaming.grantDescribeConfig(fn, props.deadLetterTopic);
    props.search.addWriter(fn.role, securityGroup);
    props.database.grantConnect(securityGroup, fn);

    const provisioned = (props.pollerMode ?? 'provisioned') === 'provisioned';
    this.eventSourceMapping = new lambda.EventSourceMapping(this, 'ServerLogsMapping', {
      target: fn,
      eventSourceArn: props.streaming.clusterArn,
      kafkaTopic: props.topic,
      kafkaConsumerGroupId: props.consumerGroupId,
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: props.batchSize,
      maxBatchingWindow: props.batchWindow,
      // On demand, the mapping takes none of these settings and behaves as they say (ON_DEMAND_ERROR_HANDLING).
      ...(provisioned
        ? {
            retryAttempts: MAPPING_ERROR_HANDLING.retryAttempts,
            bisectBatchOnError: MAPPING_ERROR_HANDLING.bisectBatchOnError,
          }
        : {}),
      metricsConfig: {
        // Whether an on-demand mapping accepts ErrorCount and KafkaMetrics is not documented (checked 2026-12-06),
        // so on demand asks only for EventCount; the alarms read the function's errors and MSK's consumer lag.
        metrics: provisioned
          ? [lambda.MetricType.EVENT_COUNT, lambda.MetricType.ERROR_COUNT, lambda.MetricType.KAFKA_METRICS]
          : [lambda.MetricType.EVENT_COUNT],
      },
    });
    if (provisioned) {
      // CDK's maxRecordAge takes a Duration, which cannot say "no limit".
      (this.eventSourceMapping.node.defaultChild as lambda.CfnEventSourceMapping).maximumRecordAgeInSeconds =
        MAPPING_ERROR_HANDLING.maxRecordAgeSeconds;
    }
    // Topics must exist before the mapping starts polling, or its first poll fails the deployment.
    this.eventSourceMapping.node.addDependency(props.streaming.topics);
    // Lambda checks the role's Kafka and VPC permissions when the mapping is created.
    this.eventSourceMapping.node.addDependency(fn.role, describeVpc);
    if (provisioned) {
      new EsmPollerScaling(this, 'PollerScaling', {
        eventSourceMapping: this.eventSourceMapping,
        minimumPollers: props.minimumPollers,
        maximumPollers: props.maximumPollers,
      });
    }
  }
}
