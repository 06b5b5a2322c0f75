// LogPipelineStack: the whole AWS deployment of the pipeline, composed from the constructs in lib/. The stack
// only wires constructs together; each construct grants what it needs and holds its own security settings.
import { CfnOutput, Duration, Fn, Stack, type StackProps, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';
import { configFromContext, type PipelineConfig, resolveConfig } from './config.js';
import { DASHBOARDS_HOP_TAG, DashboardsHop } from './dashboards-hop.js';
import { FargateConsumer } from './fargate-consumer.js';
import { GeneratorCommand } from './generator-command.js';
import { GENERATOR_READY_MARKER, GENERATOR_TAG, GeneratorFleet } from './generator-fleet.js';
import { LambdaConsumer } from './lambda-consumer.js';
import { LogEncryption } from './log-encryption.js';
import { Network, retentionDays } from './network.js';
import { Observability } from './observability.js';
import { OpsFunction } from './ops-function.js';
import { BrokerStorageScaling } from './scaling/broker-storage-scaling.js';
import { GeneratorFleetScaling } from './scaling/generator-fleet-scaling.js';
import { Search } from './search.js';
import { Streaming } from './streaming.js';
import { UsersDatabase } from './users-database.js';

/** Namespace of the consumers' embedded metrics (core/metrics.ts). */
export const METRICS_NAMESPACE = 'LogPipeline';

export interface LogPipelineStackProps extends StackProps {
  /**
   * Configuration overrides, applied over the `logPipeline` context object and the defaults.
   * @default - context and defaults only
   */
  readonly config?: Partial<PipelineConfig>;
}

export class LogPipelineStack extends Stack {
  readonly config: PipelineConfig;
  readonly logEncryption: LogEncryption;
  readonly network: Network;
  readonly streaming: Streaming;
  readonly database: UsersDatabase;
  readonly search: Search;
  readonly lambdaConsumer?: LambdaConsumer;
  readonly fargateConsumer?: FargateConsumer;
  readonly generatorFleet: GeneratorFleet;
  readonly generatorCommand: GeneratorCommand;
  /** The SSM port-forwarding hop to Dashboards, when Dashboards has sign-in. */
  readonly dashboardsHop?: DashboardsHop;
  readonly observability: Observability;
  /** What the operator commands on a laptop invoke to work inside the VPC. */
  readonly opsFunction: OpsFunction;

  constructor(scope: Construct, id: string, props: LogPipelineStackProps = {}) {
    super(scope, id, {
      description: 'Streaming log classification: MSK -> consumer -> OpenSearch, users in RDS MySQL',
      ...props,
    });
    const config = resolveConfig(configFromContext(this.node.tryGetContext('logPipeline')), props.config);
    this.config = config;
    const logRetention = retentionDays(config.logRetentionDays);
    this.logEncryption = new LogEncryption(this, 'LogEncryption');

    this.network = new Network(this, 'Network', {
      azCount: config.azCount,
      natGateways: config.natGateways,
      logRetention,
      interfaceEndpoints: config.interfaceEndpoints,
      extraInterfaceEndpoints:
        config.consumerMode === 'fargate'
          ? {
              Ecr: ec2.InterfaceVpcEndpointAwsService.ECR,
              EcrDocker: ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
            }
          : {},
    });
    const vpc = this.network.vpc;
    const subnets = this.network.workloadSubnets;

    this.streaming = new Streaming(this, 'Streaming', {
      vpc,
      subnets,
      brokerCount: config.brokerCount,
      brokerInstanceType: config.brokerInstanceType,
      kafkaVersion: config.kafkaVersion,
      brokerVolumeGiB: config.brokerVolumeGiB,
      monitoringLevel: config.mskMonitoringLevel,
      topics: [
        {
          name: config.topicName,
          partitions: config.topicPartitions,
          replicationFactor: config.replicationFactor,
        },
        {
          name: config.deadLetterTopicName,
          partitions: config.topicPartitions,
          replicationFactor: config.replicationFactor,
        },
      ],
      minInsyncReplicas: config.minInsyncReplicas,
      logRetention,
    });
    new BrokerStorageScaling(this, 'BrokerStorageScaling', {
      clusterArn: this.streaming.clusterArn,
      minVolumeGiB: config.brokerVolumeGiB,
      maxVolumeGiB: config.brokerMaxVolumeGiB,
      targetUtilizationPercent: config.brokerStorageTargetPercent,
    });

    this.database = new UsersDatabase(this, 'UsersDatabase', {
      vpc,
      subnets,
      instanceType: config.dbInstanceType,
      multiAz: config.dbMultiAz,
      deletionProtection: config.dbDeletionProtection,
      backupRetention: Duration.days(config.dbBackupRetentionDays),
      seedAccounts: config.seedAccounts,
      logRetention,
    });

    this.search = new Search(this, 'Search', {
      vpc,
      subnets,
      azCount: config.azCount,
      dataNodes: config.searchDataNodes,
      instanceType: config.searchInstanceType,
      volumeGiB: config.searchVolumeGiB,
      masterNodes: config.searchMasterNodes,
      masterInstanceType: config.searchMasterInstanceType,
      indexPrefix: config.indexPrefix,
      retentionDays: config.indexRetentionDays,
      logRetention,
      dashboardsAuth: config.dashboardsAuth,
      setupRun: this.node.tryGetContext('searchSetupRun') as string | undefined,
    });

    const consumerProps = {
      vpc,
      subnets,
      streaming: this.streaming,
      search: this.search,
      database: this.database,
      topic: config.topicName,
      consumerGroupId: config.consumerGroupId,
      indexPrefix: config.indexPrefix,
      usersCacheTtlSeconds: config.usersCacheTtlSeconds,
      metricsNamespace: METRICS_NAMESPACE,
      logRetention,
    };
    if (config.consumerMode === 'lambda') {
      this.lambdaConsumer = new LambdaConsumer(this, 'LambdaConsumer', {
        ...consumerProps,
        batchSize: config.batchSize,
        batchWindow: Duration.seconds(config.batchWindowSeconds),
        deadLetterTopic: config.deadLetterTopicName,
        pollerMode: config.pollerMode,
        minimumPollers: config.minimumPollers,
        maximumPollers: config.maximumPollers,
      });
    } else {
      this.fargateConsumer = new FargateConsumer(this, 'FargateConsumer', {
        ...consumerProps,
        deadLetterTopic: config.deadLetterTopicName,
        minTasks: config.fargateMinTasks,
        maxTasks: config.fargateMaxTasks,
        scaleOutLag: config.lagScaleOutThreshold,
      });
    }

    this.opsFunction = new OpsFunction(this, 'OpsFunction', {
      vpc,
      subnets,
      streaming: this.streaming,
      search: this.search,
      database: this.database,
      topic: config.topicName,
      deadLetterTopic: config.deadLetterTopicName,
      consumerGroupId: config.consumerGroupId,
      indexPrefix: config.indexPrefix,
      usersCacheTtlSeconds: config.usersCacheTtlSeconds,
      operatorRoleArns: config.operatorRoleArns,
      logRetention,
    });

    this.generatorFleet = new GeneratorFleet(this, 'GeneratorFleet', {
      vpc,
      subnets,
      streaming: this.streaming,
      topic: config.topicName,
      instanceType: config.generatorInstanceType,
      minInstances: config.generatorMinInstances,
      maxInstances: config.generatorMaxInstances,
    });
    if (this.search.dashboardsAuth) {
      // Always on, unlike the generator fleet, which its schedule empties every evening.
      this.dashboardsHop = new DashboardsHop(this, 'DashboardsHop', { vpc, subnets });
      this.search.allowClientsFrom(
        this.dashboardsHop.securityGroup,
        'Dashboards through SSM port forwarding on the hop instance',
      );
    }
    new GeneratorFleetScaling(this, 'GeneratorFleetScaling', {
      autoScalingGroup: this.generatorFleet.autoScalingGroup,
      minInstances: config.generatorMinInstances,
      maxInstances: config.generatorMaxInstances,
    });
    this.generatorCommand = new GeneratorCommand(this, 'GeneratorCommand', {
      bundle: this.generatorFleet.bundle.asset,
      scriptName: this.generatorFleet.bundle.scriptName,
      clusterArn: this.streaming.clusterArn,
      defaultTopic: config.topicName,
      accounts: config.seedAccounts,
      autoScalingGroupName: this.generatorFleet.autoScalingGroup.autoScalingGroupName,
      readyMarker: GENERATOR_READY_MARKER,
    });

    this.observability = new Observability(this, 'Observability', {
      streaming: this.streaming,
      brokerCount: config.brokerCount,
      brokerInstanceType: config.brokerInstanceType,
      mskMonitoringLevel: config.mskMonitoringLevel,
      topic: config.topicName,
      consumerGroupId: config.consumerGroupId,
      search: this.search,
      database: this.database,
      consumerMode: config.consumerMode,
      lambdaConsumer: this.lambdaConsumer,
      fargateConsumer: this.fargateConsumer,
      metricsNamespace: METRICS_NAMESPACE,
      lagAlarmThreshold: config.lagScaleOutThreshold * 10,
      alarmEmail: config.alarmEmail,
    });

    this.outputs();
    // Last: the database's deletion protection waits for every other resource (see lib/database-protection.ts).
    this.database.protectOnceCreated(this);
  }

  /**
   * An environment-agnostic stack gets only two AZs from the CDK (`Fn::GetAZs`, items 0 and 1), whatever `maxAzs`
   * says; `azCount: 3` (the production profile) takes the region's third one the same way.
   */
  override get availabilityZones(): string[] {
    const azCount = this.config?.azCount ?? 2;
    if (azCount > 2 && Token.isUnresolved(this.region)) {
      return Array.from({ length: azCount }, (_, i) => Fn.select(i, Fn.getAzs()));
    }
    return super.availabilityZones;
  }

  /** What the operator scripts (ops/) read from the stack. */
  private outputs(): void {
    const out = (id: string, value: string, description: string) =>
      new CfnOutput(this, id, { value, description });
    out('ClusterArn', this.streaming.clusterArn, 'MSK cluster ARN (resolve brokers with ops scripts)');
    out('OpenSearchEndpoint', this.search.endpointUrl, 'OpenSearch domain endpoint (VPC only)');
    out('DashboardsUrl', `${this.search.endpointUrl}/_dashboards`, 'OpenSearch Dashboards (VPC only)');
    out(
      'DashboardsImport',
      this.search.setup.getAttString('DashboardsImport'),
      'How the last import of the Dashboards saved objects went (a failure does not fail the deploy)',
    );
    if (this.search.dashboardsAuth) {
      out(
        'DashboardsUserPoolId',
        this.search.dashboardsAuth.userPool.userPoolId,
        'Cognito user pool of the Dashboards logins (aws cognito-idp admin-create-user)',
      );
    }
    if (this.dashboardsHop) {
      out(
        'DashboardsHopTag',
        `${DASHBOARDS_HOP_TAG.key}=${DASHBOARDS_HOP_TAG.value}`,
        'Tag of the instance to port-forward through to Dashboards (aws ssm start-session)',
      );
    }
    out('DatabaseSecretArn', this.database.secret.secretArn, 'Users database administrator credentials');
    out(
      'DatabaseReaderSecretArn',
      this.database.readerSecret.secretArn,
      'Users database read-only login of the consumers (SELECT on users)',
    );
    out(
      'GeneratorDocumentName',
      this.generatorCommand.documentName,
      'SSM document that runs the generator (npm run fleet:run sends its $LATEST version)',
    );
    out(
      'GeneratorAutoScalingGroup',
      this.generatorFleet.autoScalingGroup.autoScalingGroupName,
      'Generator fleet',
    );
    out('GeneratorTagKey', GENERATOR_TAG.key, 'Tag key that marks the generator fleet instances');
    out('GeneratorTagValue', GENERATOR_TAG.value, 'Tag value that marks the generator fleet instances');
    out('AlarmTopicArn', this.observability.alarmTopic.topicArn, 'SNS topic of the pipeline alarms');
    out(
      'CloudWatchDashboardUrl',
      `https://console.aws.amazon.com/cloudwatch/home?region=${this.region}#dashboards:name=${this.observability.dashboard.dashboardName}`,
      'CloudWatch dashboard of the pipeline',
    );
    out(
      'OpsFunctionName',
      this.opsFunction.function.functionName,
      'Function the operator commands invoke (npm run smoke, ops:replay, ops:redrive, ops:status)',
    );
    out('ConsumerMode', this.config.consumerMode, 'Which consumer this deployment runs');
    // ops:replay pauses the consumer, moves this group's offsets on this topic, then resumes the consumer.
    out('ConsumerGroupId', this.config.consumerGroupId, 'Kafka consumer group of the consumer');
    out('Topic', this.config.topicName, 'Kafka topic the consumer reads');
    if (this.lambdaConsumer) {
      out(
        'EventSourceMappingId',
        this.lambdaConsumer.eventSourceMapping.eventSourceMappingId,
        'MSK event source mapping of the Lambda consumer (aws lambda update-event-source-mapping --uuid)',
      );
    }
    if (this.fargateConsumer) {
      out(
        'ConsumerClusterName',
        this.fargateConsumer.cluster.clusterName,
        'ECS cluster of the Fargate consumer',
      );
      out(
        'ConsumerServiceName',
        this.fargateConsumer.service.serviceName,
        'ECS service of the Fargate consumer',
      );
    }
  }
}
