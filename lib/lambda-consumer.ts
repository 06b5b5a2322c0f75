// Consumer mode `lambda`: the MSK event source mapping feeds batches of `server-logs` to the msk-consumer
// function (the runtime core behind a thin adapter). The mapping never gives up on a batch: retries and record
// age without limit, no on-failure destination (which would cap retries at 10, and for Kafka an SQS/SNS
// destination gets only metadata). The function itself puts a record that no index accepts into the
// dead-letter topic, with its exact bytes (compressed, and cut to the topic's limit only when they do not fit
// even so), and goes on with the rest of the batch; an outage makes it fail the
// batch, which the mapping retries until it succeeds, so nothing is skipped and offsets never pass a record
// that is not indexed.
import { Duration, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { PollerMode } from './config.js';
import { acknowledgeCheckov } from './iac-checks.js';
import { acknowledgeNag } from './nag.js';
import { PipelineFunction } from './pipeline-function.js';
import { checkEsmPollerScalingProps, EsmPollerScaling } from './scaling/esm-poller-scaling.js';
import type { ISearch } from './search.js';
import type { IStreaming } from './streaming.js';
import type { IUsersDatabase } from './users-database.js';
import { checkInteger, checkOneOf, checkPattern, type Fail, failIn } from './validation.js';

export interface LambdaConsumerProps {
  /** The VPC of the brokers, the domain and the database: the function runs in it. */
  readonly vpc: ec2.IVpc;
  /** Private subnets of `vpc` with a route to the AWS APIs (Secrets Manager, STS, CloudWatch). */
  readonly subnets: ec2.SubnetSelection;
  /** The MSK cluster (IAM authentication) the mapping reads and the function dead-letters to. */
  readonly streaming: IStreaming;
  /** The OpenSearch domain the function indexes into (as an FGAC writer). */
  readonly search: ISearch;
  /** The users table the function classifies with (its read-only login). */
  readonly database: IUsersDatabase;
  /** The topic the mapping reads. */
  readonly topic: string;
  /** Where the function puts records that no index accepts. */
  readonly deadLetterTopic: string;
  /** The mapping's Kafka consumer group (MSK names it in the group ARN the role may join). */
  readonly consumerGroupId: string;
  /** The function writes to indices `<indexPrefix>-<category>-<date>`. */
  readonly indexPrefix: string;
  /**
   * Records per invocation at most (the mapping's BatchSize, 1-10,000 for MSK).
   * @default 500
   */
  readonly batchSize?: number;
  /**
   * How long the mapping gathers records before it invokes the function (MaximumBatchingWindowInSeconds,
   * whole seconds from 0 to 300; at least 1 s when batchSize is above 10, as Lambda requires for MSK).
   * @default Duration.seconds(5)
   */
  readonly batchWindow?: Duration;
  /**
   * `provisioned`: minimumPollers to maximumPollers dedicated pollers and the explicit error-handling settings
   * (MAPPING_ERROR_HANDLING); `on-demand`: Lambda scales the pollers, and the mapping has AWS's fixed on-demand
   * error handling (ON_DEMAND_ERROR_HANDLING), which never skips either.
   * @default 'provisioned'
   */
  readonly pollerMode?: PollerMode;
  /**
   * Pollers kept warm in provisioned mode (1-200); not used on demand.
   * @default 1
   */
  readonly minimumPollers?: number;
  /**
   * Pollers the mapping may scale out to in provisioned mode (minimumPollers-2000); not used on demand.
   * @default 4
   */
  readonly maximumPollers?: number;
  /**
   * How long the function caches a users-table answer (whole seconds, 0 to 1 day; 0: no cache).
   * @default Duration.minutes(1)
   */
  readonly usersCacheTtl?: Duration;
  /** CloudWatch namespace of the function's embedded metrics (core/metrics.ts). */
  readonly metricsNamespace: string;
  /** How long the function's log group keeps its events. */
  readonly logRetention: logs.RetentionDays;
}

/** Kafka group ids the MSK IAM policies can name: letters, digits, `.`, `_` and `-`. */
export function checkConsumerGroupId(fail: Fail, consumerGroupId: string): void {
  checkPattern(
    fail,
    'consumerGroupId',
    consumerGroupId,
    /^[a-zA-Z0-9._-]{1,200}$/,
    'use 1-200 letters, digits, ".", "_" or "-"',
  );
}

/** The users cache TTL in whole seconds, 0 to a day (what the runtime's USERS_CACHE_TTL_SECONDS takes). */
export function checkUsersCacheTtl(fail: Fail, usersCacheTtl: Duration | undefined): void {
  if (usersCacheTtl === undefined) return;
  checkInteger(fail, 'usersCacheTtl', secondsOf(usersCacheTtl), 0, 86_400);
}

/** Seconds of a Duration, fractions kept for the check to refuse; lib/config.ts may pass a raw context value. */
function secondsOf(duration: Duration): number {
  return duration instanceof Duration ? duration.toSeconds({ integral: false }) : duration;
}

/** Checks the props of `LambdaConsumer`; lib/config.ts runs it on the context too. */
export function checkLambdaConsumerProps(
  props: Pick<
    LambdaConsumerProps,
    | 'consumerGroupId'
    | 'batchSize'
    | 'batchWindow'
    | 'pollerMode'
    | 'minimumPollers'
    | 'maximumPollers'
    | 'usersCacheTtl'
  >,
  fail: Fail,
): void {
  checkConsumerGroupId(fail, props.consumerGroupId);
  const batchSize = props.batchSize ?? DEFAULT_BATCH_SIZE;
  checkInteger(fail, 'batchSize', batchSize, 1, 10_000);
  const window = secondsOf(props.batchWindow ?? DEFAULT_BATCH_WINDOW);
  checkInteger(fail, 'batchWindow', window, 0, 300);
  // https://docs.aws.amazon.com/lambda/latest/dg/with-msk-configure.html (batching window): Lambda refuses a
  // batch size above 10 with no batching window.
  if (!Token.isUnresolved(batchSize) && !Token.isUnresolved(window) && batchSize > 10 && window < 1) {
    fail('batchWindow', window, 'must be at least 1 when batchSize is above 10');
  }
  checkOneOf(fail, 'pollerMode', props.pollerMode ?? 'provisioned', ['provisioned', 'on-demand'] as const);
  checkEsmPollerScalingProps(
    {
      minimumPollers: props.minimumPollers ?? DEFAULT_MINIMUM_POLLERS,
      maximumPollers: props.maximumPollers ?? DEFAULT_MAXIMUM_POLLERS,
    },
    fail,
  );
  checkUsersCacheTtl(fail, props.usersCacheTtl);
}

const DEFAULT_BATCH_SIZE = 500;
const DEFAULT_BATCH_WINDOW = Duration.seconds(5);
const DEFAULT_MINIMUM_POLLERS = 1;
const DEFAULT_MAXIMUM_POLLERS = 4;
/** The runtime's default too (USERS_CACHE_TTL_SECONDS in aws/pipeline-deps.ts). */
export const DEFAULT_USERS_CACHE_TTL = Duration.minutes(1);

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
    checkLambdaConsumerProps(props, failIn(this));
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
        USERS_CACHE_TTL_SECONDS: String((props.usersCacheTtl ?? DEFAULT_USERS_CACHE_TTL).toSeconds()),
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
      batchSize: props.batchSize ?? DEFAULT_BATCH_SIZE,
      maxBatchingWindow: props.batchWindow ?? DEFAULT_BATCH_WINDOW,
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
        minimumPollers: props.minimumPollers ?? DEFAULT_MINIMUM_POLLERS,
        maximumPollers: props.maximumPollers ?? DEFAULT_MAXIMUM_POLLERS,
      });
    }
  }
}
