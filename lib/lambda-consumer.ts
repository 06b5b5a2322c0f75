// Consumer mode `lambda`: the MSK event source mapping feeds batches of `server-logs` to the msk-consumer
// function (the runtime core behind a thin adapter). Failed batches are retried a bounded number of times,
// bisected to isolate a poison record, then described in an encrypted SQS dead-letter queue.
import { Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledgeNag } from './nag.js';
import { PipelineFunction } from './pipeline-function.js';
import { EsmPollerScaling } from './scaling/esm-poller-scaling.js';
import type { Search } from './search.js';
import type { Streaming } from './streaming.js';
import type { UsersDatabase } from './users-database.js';

export interface LambdaConsumerProps {
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly streaming: Streaming;
  readonly search: Search;
  readonly database: UsersDatabase;
  readonly topic: string;
  readonly consumerGroupId: string;
  readonly indexPrefix: string;
  readonly batchSize: number;
  readonly batchWindow: Duration;
  readonly retryAttempts: number;
  readonly minimumPollers: number;
  readonly maximumPollers: number;
  readonly usersCacheTtlSeconds: number;
  readonly metricsNamespace: string;
  readonly logRetention: logs.RetentionDays;
}

export class LambdaConsumer extends Construct {
  readonly function: lambda.IFunction;
  readonly deadLetterQueue: sqs.Queue;
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
      timeout: Duration.minutes(2),
      environment: {
        INDEX_PREFIX: props.indexPrefix,
        OPENSEARCH_ENDPOINT: props.search.endpointUrl,
        DB_SECRET_ARN: props.database.secret.secretArn,
        DB_NAME: props.database.databaseName,
        USERS_CACHE_TTL_SECONDS: String(props.usersCacheTtlSeconds),
        METRICS_NAMESPACE: props.metricsNamespace,
      },
    }).function;
    this.function = fn;
    if (!fn.role) throw new Error('the consumer function has no role');

    props.streaming.grantConsume(fn, props.topic, props.consumerGroupId);
    props.search.addWriter(fn.role, securityGroup);
    props.database.grantConnect(securityGroup, fn);

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.KMS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledgeNag(
      this.deadLetterQueue,
      'AwsSolutions-SQS3',
      'This queue is itself the dead-letter destination of the event source mapping; nothing consumes it automatically',
    );
    this.eventSourceMapping = new lambda.EventSourceMapping(this, 'ServerLogsMapping', {
      target: fn,
      eventSourceArn: props.streaming.clusterArn,
      kafkaTopic: props.topic,
      kafkaConsumerGroupId: props.consumerGroupId,
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: props.batchSize,
      maxBatchingWindow: props.batchWindow,
      retryAttempts: props.retryAttempts,
      bisectBatchOnError: true,
      maxRecordAge: Duration.days(1),
      onFailure: new SqsDlq(this.deadLetterQueue),
      metricsConfig: {
        metrics: [
          lambda.MetricType.EVENT_COUNT,
          lambda.MetricType.ERROR_COUNT,
          lambda.MetricType.KAFKA_METRICS,
        ],
      },
    });
    // Topics must exist before the mapping starts polling, or its first poll fails the deployment.
    this.eventSourceMapping.node.addDependency(props.streaming.topics);
    // Lambda checks the role's Kafka permissions when the mapping is created.
    this.eventSourceMapping.node.addDependency(fn.role);
    new EsmPollerScaling(this, 'PollerScaling', {
      eventSourceMapping: this.eventSourceMapping,
      minimumPollers: props.minimumPollers,
      maximumPollers: props.maximumPollers,
    });
  }
}
