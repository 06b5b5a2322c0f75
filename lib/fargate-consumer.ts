// Consumer mode `fargate`: a Fargate service running the kafkajs consumer group (fargate/main.ts, the same
// runtime core as the Lambda), its image built from fargate/Dockerfile at deploy time, scaled on consumer lag.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Aws, IgnoreMode, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledgeNag } from './nag.js';
import { REPO_ROOT } from './pipeline-function.js';
import { ConsumerLagScaling } from './scaling/consumer-lag-scaling.js';
import type { ISearch } from './search.js';
import type { IStreaming } from './streaming.js';
import type { IUsersDatabase } from './users-database.js';

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
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly streaming: IStreaming;
  readonly search: ISearch;
  readonly database: IUsersDatabase;
  readonly topic: string;
  readonly deadLetterTopic: string;
  readonly consumerGroupId: string;
  readonly indexPrefix: string;
  readonly usersCacheTtlSeconds: number;
  readonly metricsNamespace: string;
  readonly minTasks: number;
  readonly maxTasks: number;
  readonly scaleOutLag: number;
  readonly logRetention: logs.RetentionDays;
}

export class FargateConsumer extends Construct {
  readonly cluster: ecs.Cluster;
  readonly service: ecs.FargateService;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: FargateConsumerProps) {
    super(scope, id);
    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: props.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });
    const taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      cpu: 512,
      memoryLimitMiB: 1024,
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
        USERS_CACHE_TTL_SECONDS: String(props.usersCacheTtlSeconds),
        METRICS_NAMESPACE: props.metricsNamespace,
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
