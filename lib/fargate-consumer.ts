// Consumer mode `fargate`: a Fargate service running the kafkajs consumer group (fargate/main.ts, the same
// runtime core as the Lambda), its image built from fargate/Dockerfile at deploy time, scaled on consumer lag.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Aws, type Duration, IgnoreMode, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { CONSUMER_MEMORY_MIB, consumerNodeOptions } from '../core/consumer-heap.js';
import { checkConsumerGroupId, checkUsersCacheTtl, DEFAULT_USERS_CACHE_TTL } from './lambda-consumer.js';
import { acknowledgeNag } from './nag.js';
import { REPO_ROOT } from './pipeline-function.js';
import { ConsumerLagScaling, checkConsumerLagScalingProps } from './scaling/consumer-lag-scaling.js';
import type { ISearch } from './search.js';
import type { IStreaming } from './streaming.js';
import type { IUsersDatabase } from './users-database.js';
import { type Fail, failIn } from './validation.js';

/**
 * The image build context is the repository root filtered by fargate/Dockerfile.dockerignore (an allow-list),
 * so files the consumer does not use (tests, infrastructure code, the reviewed template, local data) neither
 * reach the build nor change the image hash.
 */
export function imageContextExcludes(): string[] {
  const ignoreFile = path.join(REPO_ROOT, 'fargate', 'Dockerfile.dockerignore');
  const patterns = fs.existsSync(ignoreFile)
    ? fs
        .readFileSync(ignoreFile, 'utf8')
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line !== '' && !line.startsWith('#'))
    : [];
  return patterns.length > 0 ? patterns : ['node_modules', 'cdk.out', '.local', '.git', 'test', 'infra'];
}

export interface FargateConsumerProps {
  /** The VPC of the brokers, the domain and the database: the cluster and its tasks run in it. */
  readonly vpc: ec2.IVpc;
  /** Private subnets of `vpc` with a route to the AWS APIs (ECR, Secrets Manager, STS, CloudWatch Logs). */
  readonly subnets: ec2.SubnetSelection;
  /** The MSK cluster (IAM authentication) the tasks consume from and dead-letter to. */
  readonly streaming: IStreaming;
  /** The OpenSearch domain the tasks index into (as an FGAC writer). */
  readonly search: ISearch;
  /** The users table the tasks classify with (its read-only login). */
  readonly database: IUsersDatabase;
  /** The topic the consumer group reads. */
  readonly topic: string;
  /** Where the tasks put records that no index accepts. */
  readonly deadLetterTopic: string;
  /** The tasks' Kafka consumer group (MSK names it in the group ARN the task role may join). */
  readonly consumerGroupId: string;
  /** The tasks write to indices `<indexPrefix>-<category>-<date>`. */
  readonly indexPrefix: string;
  /**
   * How long a task caches a users-table answer (whole seconds, 0 to 1 day; 0: no cache).
   * @default Duration.minutes(1)
   */
  readonly usersCacheTtl?: Duration;
  /** CloudWatch namespace of the tasks' embedded metrics (core/metrics.ts). */
  readonly metricsNamespace: string;
  /** Tasks kept running (1-100): the lag scaling's floor. */
  readonly minTasks: number;
  /**
   * Tasks the lag scaling may run (minTasks-100). More than the topic's partitions would sit idle: a partition
   * has one reader in a group.
   */
  readonly maxTasks: number;
  /** Consumer lag (records, MSK's MaxOffsetLag) at which the service adds a task (ConsumerLagScaling). */
  readonly scaleOutLag: number;
  /** How long the tasks' log group keeps their events. */
  readonly logRetention: logs.RetentionDays;
}

/** Checks the props of `FargateConsumer`; lib/config.ts runs it on the context too. */
export function checkFargateConsumerProps(
  props: Pick<
    FargateConsumerProps,
    'consumerGroupId' | 'usersCacheTtl' | 'minTasks' | 'maxTasks' | 'scaleOutLag'
  >,
  fail: Fail,
): void {
  checkConsumerGroupId(fail, props.consumerGroupId);
  checkUsersCacheTtl(fail, props.usersCacheTtl);
  checkConsumerLagScalingProps(props, fail);
}

export class FargateConsumer extends Construct {
  readonly cluster: ecs.Cluster;
  readonly service: ecs.FargateService;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: FargateConsumerProps) {
    super(scope, id);
    checkFargateConsumerProps(props, failIn(this));
    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: props.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });
    const taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      cpu: 512,
      memoryLimitMiB: CONSUMER_MEMORY_MIB,
      runtimePlatform: {
        cpuArchitecture: ecs.CpuArchitecture.ARM64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // No metric filters: CloudWatch Logs extracts the consumer's embedded-metric lines (core/metrics.ts) by itself,
    // also from the awslogs driver, which sends no `x-amzn-logs-format: json/emf` header: AWS documents that header
    // as optional (CloudWatch_Embedded_Metric_Format_Generation_PutLogEvents). Filters published every count twice.
    taskDefinition.addContainer('consumer', {
      image: ecs.ContainerImage.fromAsset(REPO_ROOT, {
        file: path.join('fargate', 'Dockerfile'),
        platform: Platform.LINUX_ARM64,
        exclude: imageContextExcludes(),
        ignoreMode: IgnoreMode.DOCKER,
      }),
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'consumer', logGroup: this.logGroup }),
      readonlyRootFilesystem: true,
      environment: {
        AWS_REGION: Aws.REGION,
        CLUSTER_ARN: props.streaming.clusterArn,
        KAFKA_TOPIC: props.topic,
        KAFKA_DLQ_TOPIC: props.deadLetterTopic,
        KAFKA_GROUP_ID: props.consumerGroupId,
        INDEX_PREFIX: props.indexPrefix,
        OPENSEARCH_ENDPOINT: props.search.endpointUrl,
        DB_SECRET_ARN: props.database.readerSecret.secretArn,
        DB_NAME: props.database.databaseName,
        USERS_CACHE_TTL_SECONDS: String((props.usersCacheTtl ?? DEFAULT_USERS_CACHE_TTL).toSeconds()),
        METRICS_NAMESPACE: props.metricsNamespace,
        // The V8 heap sized for the task, not from Node's defaults for its memory limit (core/consumer-heap.ts).
        NODE_OPTIONS: consumerNodeOptions(CONSUMER_MEMORY_MIB).join(' '),
      },
    });
    acknowledgeNag(
      taskDefinition,
      'AwsSolutions-ECS2',
      'The variables are non-secret settings (endpoints, names, the secret ARN); credentials are read from Secrets Manager at run time',
    );
    const executionPolicy = taskDefinition.obtainExecutionRole().node.tryFindChild('DefaultPolicy');
    if (executionPolicy) {
      acknowledgeNag(
        executionPolicy,
        'AwsSolutions-IAM5[Resource::*]',
        'ecr:GetAuthorizationToken, added by the image asset, has no resource-level scoping; image pulls are scoped to the asset repository',
      );
    }
    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Fargate consumer of the log pipeline',
      allowAllOutbound: true,
    });
    this.service = new ecs.FargateService(this, 'Service', {
      cluster: this.cluster,
      taskDefinition,
      vpcSubnets: props.subnets,
      securityGroups: [securityGroup],
      assignPublicIp: false,
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { enable: true, rollback: true },
      platformVersion: ecs.FargatePlatformVersion.LATEST,
    });
    this.service.node.addDependency(props.streaming.topics);
    // The task count belongs to the lag scaling below: a DesiredCount in the template would reset it on every
    // deploy. Without one, CloudFormation starts a new service with one task and the scalable target's minimum
    // (minTasks) applies from there. Removed here rather than through the app-wide feature flag
    // @aws-cdk/aws-ecs:removeDefaultDesiredCount, so the construct behaves the same in any app.
    (this.service.node.defaultChild as ecs.CfnService).addPropertyDeletionOverride('DesiredCount');

    const taskRole = taskDefinition.taskRole;
    props.streaming.allowClientsFrom(securityGroup, 'Fargate consumer');
    props.streaming.grantConsume(taskRole, props.topic, props.consumerGroupId);
    props.streaming.grantProduce(taskRole, props.deadLetterTopic);
    props.streaming.grantDescribeConfig(taskRole, props.deadLetterTopic);
    props.search.addWriter(taskRole, securityGroup);
    props.database.grantConnect(securityGroup, taskRole);

    new ConsumerLagScaling(this, 'LagScaling', {
      service: this.service,
      lagMetric: props.streaming.consumerLagMetric(props.consumerGroupId, props.topic),
      minTasks: props.minTasks,
      maxTasks: props.maxTasks,
      scaleOutLag: props.scaleOutLag,
    });
  }
}
