// LogPipeline: the whole pipeline as one construct a user adds to any stack of theirs (LogPipelineStack is a
// thin wrapper around it). It composes the constructs in lib/ and only wires them together; each construct
// grants what it needs and holds its own security settings.
import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { type PipelineConfig, pipelineTopics, resolveConfigFor } from './config.js';
import type { DashboardsAuth } from './dashboards-auth.js';
import { DASHBOARDS_HOP_TAG, DashboardsHop } from './dashboards-hop.js';
import { ExistingKafkaCluster, type ExistingKafkaClusterAttributes } from './existing-kafka-cluster.js';
import { ExistingSearchDomain, type ExistingSearchDomainAttributes } from './existing-search-domain.js';
import { ExistingUsersTable, type ExistingUsersTableProps } from './existing-users-table.js';
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
import { type ISearch, Search } from './search.js';
import { type IStreaming, instanceTypeOfMskName, Streaming } from './streaming.js';
import { type IUsersDatabase, UsersDatabase } from './users-database.js';
import { PropsError } from './validation.js';

/** Namespace of the consumers' embedded metrics (core/metrics.ts). */
export const METRICS_NAMESPACE = 'LogPipeline';

/**
 * The settings of a LogPipeline. Every one is optional: what is not given comes from the profile (`profile`,
 * lib/profiles.ts) and then from the base defaults (lib/config.ts DEFAULT_CONFIG).
 */
export interface LogPipelineProps extends Partial<PipelineConfig> {
  /**
   * Any new value makes CloudFormation run the search setup again (an Update), e.g. after a failed Dashboards
   * import: `npx cdk deploy -c searchSetupRun=$(date +%s)` with LogPipelineStack.
   * @default - the setup runs when its other properties change
   */
  readonly searchSetupRun?: string;
  /**
   * An existing VPC to deploy into, instead of a new one. The pipeline then adds no flow logs, NAT gateways or
   * VPC endpoints: its functions, tasks and instances need a route to the AWS APIs they call (Secrets Manager,
   * STS, Kafka, CloudWatch, SSM, ECR for Fargate, S3) through the VPC's own NAT gateway or endpoints, and
   * `azCount`, `natGateways` and `interfaceEndpoints` are not used.
   * @default - a new VPC (lib/network.ts) sized by `azCount`, `natGateways` and `interfaceEndpoints`
   */
  readonly existingVpc?: ec2.IVpc;
  /**
   * The subnets of `existingVpc` that the brokers, the domain, the database, the functions, the tasks and the
   * generator fleet are placed in: private, with a route to the AWS APIs.
   * @default - the VPC's private subnets with egress
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * An MSK provisioned cluster the platform already runs, instead of a new one: IAM client authentication
   * enabled (TLS), in the stack's account and region, reachable from `existingVpc`. The pipeline then creates no
   * cluster, configuration, broker key, broker log group or storage scaling, and refuses the keys that describe
   * them (`brokerCount`, `brokerInstanceType`, `kafkaVersion`, `brokerVolumeGiB`, `brokerMaxVolumeGiB`,
   * `brokerStorageTargetPercent`, `mskMonitoringLevel`, `minInsyncReplicas`); `topicName`, `deadLetterTopicName`,
   * `topicPartitions` and `replicationFactor` still describe its topics. README: "Bring your own MSK cluster".
   * @default - a new MSK cluster (lib/streaming.ts) sized by the keys above
   */
  readonly existingKafkaCluster?: ExistingKafkaClusterAttributes;
  /**
   * An existing OpenSearch domain with fine-grained access control to index into, instead of a new one (see
   * lib/existing-search-domain.ts and the README, "Bring your own OpenSearch domain", for what its owner grants).
   * The pipeline then creates no domain, no Cognito sign-in and no Dashboards hop: people use the domain's own
   * Dashboards; it refuses the keys that describe a new domain (`searchDataNodes`, `searchInstanceType`,
   * `searchVolumeGiB`, `searchMasterNodes`, `searchMasterInstanceType`, `dashboardsAuth`).
   * @default - a new domain (lib/search.ts) sized by those settings
   */
  readonly existingSearchDomain?: ExistingSearchDomainAttributes;
  /**
   * A users table in a MySQL database the platform already runs (RDS for MySQL or Aurora MySQL), read through a
   * read-only login, instead of a new UsersDatabase. The pipeline then creates no database instance, no
   * administrator login, no rotation, no schema or seed and no deletion protection, and never writes to the
   * table; it refuses `dbInstanceType`, `dbMultiAz`, `dbDeletionProtection` and `dbBackupRetentionDays`. The
   * table must have the pipeline's columns (`account_id` BIGINT UNSIGNED primary key, `default_device`
   * VARCHAR(16): core/users-schema.ts), and `seedAccounts` only tells the generator fleet which account ids
   * (1..seedAccounts) to draw its known accounts from.
   * @default - a new UsersDatabase (lib/users-database.ts), seeded with accounts 1..seedAccounts
   */
  readonly existingUsersTable?: ExistingUsersTableProps;
}

/** The keys that describe the MSK cluster the pipeline creates: meaningless with `existingKafkaCluster`. */
const NEW_KAFKA_CLUSTER_KEYS = [
  'brokerCount',
  'brokerInstanceType',
  'kafkaVersion',
  'brokerVolumeGiB',
  'brokerMaxVolumeGiB',
  'brokerStorageTargetPercent',
  'mskMonitoringLevel',
  'minInsyncReplicas',
] as const;

/** The keys that describe the users database the pipeline creates: meaningless with `existingUsersTable`. */
const NEW_USERS_DATABASE_KEYS = [
  'dbInstanceType',
  'dbMultiAz',
  'dbDeletionProtection',
  'dbBackupRetentionDays',
] as const;

/** The keys that describe the OpenSearch domain the pipeline creates: meaningless with `existingSearchDomain`. */
const NEW_SEARCH_DOMAIN_KEYS = [
  'searchDataNodes',
  'searchInstanceType',
  'searchVolumeGiB',
  'searchMasterNodes',
  'searchMasterInstanceType',
  'dashboardsAuth',
] as const;

/**
 * The streaming log-classification pipeline: generators on EC2 produce JSON events to MSK, a consumer (Lambda
 * or Fargate) classifies each one as good, suspicious or bad with the users table in MySQL, and OpenSearch
 * indexes exactly one document per record; Dashboards shows the counts per category.
 *
 * The construct adds stack outputs with fixed names (`ClusterArn`, `OpsFunctionName`, ...): the operator
 * commands (`npm run smoke`, `ops:status`, ...) read them by stack name. Hence one LogPipeline per stack.
 *
 * @example
 * import { App, Stack } from 'aws-cdk-lib';
 * import { LogPipeline } from 'log-pipeline';
 *
 * const app = new App();
 * const stack = new Stack(app, 'Logs', { env: { account: '123456789012', region: 'eu-west-1' } });
 * new LogPipeline(stack, 'Pipeline', { profile: 'production', alarmEmail: 'oncall@example.com' });
 */
export class LogPipeline extends Construct {
  // Declared, not initialized: the constructor assigns them all at once from buildPipeline.
  /** The settings after the profile and the defaults were applied, validated. */
  declare readonly config: PipelineConfig;
  /** The KMS key of every log group of the pipeline. */
  declare readonly logEncryption: LogEncryption;
  /** The VPC the pipeline runs in: `existingVpc`, or the new network's. */
  declare readonly vpc: ec2.IVpc;
  /** Where the pipeline's workloads are placed in `vpc`. */
  declare readonly vpcSubnets: ec2.SubnetSelection;
  /** The new network, unless the pipeline was given `existingVpc`. */
  declare readonly network?: Network;
  /** The Kafka cluster: a new `Streaming`, or the `ExistingKafkaCluster` given as `existingKafkaCluster`. */
  declare readonly streaming: IStreaming;
  /** The users table: the new UsersDatabase, or the ExistingUsersTable given as `existingUsersTable`. */
  declare readonly database: IUsersDatabase;
  /** The OpenSearch domain: a new `Search`, or the `ExistingSearchDomain` given as `existingSearchDomain`. */
  declare readonly search: ISearch;
  /** Cognito sign-in for Dashboards, when the pipeline created the domain with `dashboardsAuth` 'cognito'. */
  declare readonly dashboardsAuth?: DashboardsAuth;
  /** The Lambda consumer, when `consumerMode` is 'lambda'. */
  declare readonly lambdaConsumer?: LambdaConsumer;
  /** The Fargate consumer, when `consumerMode` is 'fargate'. */
  declare readonly fargateConsumer?: FargateConsumer;
  /** The EC2 fleet that runs the log generators. */
  declare readonly generatorFleet: GeneratorFleet;
  /** The SSM document that starts a generator run on the fleet (`npm run fleet:run`). */
  declare readonly generatorCommand: GeneratorCommand;
  /** The SSM port-forwarding hop to Dashboards, when Dashboards has sign-in. */
  declare readonly dashboardsHop?: DashboardsHop;
  /** The CloudWatch dashboard, the alarms and their SNS topic. */
  declare readonly observability: Observability;
  /** What the operator commands on a laptop invoke to work inside the VPC. */
  declare readonly opsFunction: OpsFunction;

  constructor(scope: Construct, id: string, props: LogPipelineProps = {}) {
    super(scope, id);
    Object.assign(this, buildPipeline(this, props));
  }
}

/**
 * The parts of a pipeline, for wiring more to it (grants, alarms, outputs): LogPipeline's, which
 * LogPipelineStack holds too.
 */
export type PipelineParts = Pick<
  LogPipeline,
  | 'config'
  | 'logEncryption'
  | 'vpc'
  | 'vpcSubnets'
  | 'network'
  | 'streaming'
  | 'database'
  | 'search'
  | 'dashboardsAuth'
  | 'lambdaConsumer'
  | 'fargateConsumer'
  | 'generatorFleet'
  | 'generatorCommand'
  | 'dashboardsHop'
  | 'observability'
  | 'opsFunction'
>;

/** Stacks that already hold a pipeline: its outputs have fixed names, so a second one could not coexist. */
const stacksWithPipeline = new WeakSet<Stack>();

/**
 * Builds the pipeline's constructs directly in `scope`: LogPipeline builds them in itself, LogPipelineStack in
 * itself, so that the stack's construct paths (and with them security group descriptions and Name tags, which
 * CloudFormation cannot change in place for a security group) stay what they were before LogPipeline existed.
 */
export function buildPipeline(
  scope: Construct,
  props: LogPipelineProps,
  /** Told the resolved settings before any part is built (LogPipelineStack reads its AZ count from them). */
  onResolved?: (config: PipelineConfig) => void,
): PipelineParts {
  const stack = Stack.of(scope);
  if (stacksWithPipeline.has(stack)) {
    throw new Error(
      `${scope.node.path}: stack ${stack.node.path} already holds a log pipeline; a stack holds one (its outputs have fixed names that the operator commands read), so put this one in a stack of its own`,
    );
  }
  stacksWithPipeline.add(stack);
  const {
    searchSetupRun,
    existingVpc,
    vpcSubnets,
    existingKafkaCluster,
    existingSearchDomain,
    existingUsersTable,
    ...settings
  } = props;
  if (vpcSubnets && !existingVpc) {
    throw new Error(
      `${scope.node.path}: vpcSubnets selects subnets of existingVpc, which is not given; give both, or neither for a new VPC`,
    );
  }
  const refuse = (given: unknown, keys: readonly (keyof PipelineConfig)[], fix: string) => {
    const key = given === undefined ? undefined : keys.find((k) => settings[k] !== undefined);
    if (key !== undefined) throw new PropsError(scope.node.path, key, settings[key], fix);
  };
  refuse(
    existingKafkaCluster,
    NEW_KAFKA_CLUSTER_KEYS,
    'describes the MSK cluster the pipeline would create, not existingKafkaCluster; remove it (give existingKafkaCluster.brokerCount or .minInsyncReplicas to have the topics checked against the cluster)',
  );
  refuse(
    existingUsersTable,
    NEW_USERS_DATABASE_KEYS,
    "describes the users database the pipeline would create, not existingUsersTable; remove it (the table's database is its owner's to size and protect)",
  );
  refuse(
    existingSearchDomain,
    NEW_SEARCH_DOMAIN_KEYS,
    "describes the OpenSearch domain the pipeline would create, not existingSearchDomain; remove it (the domain's owner sizes it, and people sign in to its own Dashboards)",
  );
  const config = resolveConfigFor(
    {
      kafkaCluster: existingKafkaCluster !== undefined,
      searchDomain: existingSearchDomain !== undefined,
    },
    settings as Record<string, unknown>,
  );
  onResolved?.(config);
  const parts: Mutable<PipelineParts> = { config } as Mutable<PipelineParts>;
  const logRetention = retentionDays(config.logRetentionDays);
  parts.logEncryption = new LogEncryption(scope, 'LogEncryption');

  if (existingVpc) {
    parts.vpc = existingVpc;
    parts.vpcSubnets = vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
  } else {
    parts.network = new Network(scope, 'Network', {
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
    const azs = parts.network.vpc.availabilityZones.length;
    if (azs < config.azCount) {
      throw new PropsError(
        scope.node.path,
        'azCount',
        config.azCount,
        `stack ${stack.stackName} gives the VPC ${azs} availability zones: give the stack an env (account and region) so that the CDK looks up the region's zones, or use azCount ${azs}`,
      );
    }
    parts.vpc = parts.network.vpc;
    parts.vpcSubnets = parts.network.workloadSubnets;
  }
  const vpc = parts.vpc;
  const subnets = parts.vpcSubnets;

  // Observability's per-broker alarms: the cluster's own brokers, or those the owner of an existing one declared.
  let brokers: {
    count?: number;
    instanceType: ec2.InstanceType;
    monitoringLevel: PipelineConfig['mskMonitoringLevel'];
  };
  if (existingKafkaCluster) {
    parts.streaming = new ExistingKafkaCluster(scope, 'Streaming', {
      ...existingKafkaCluster,
      vpc,
      vpcSubnets: subnets,
      topics: pipelineTopics(config),
      logRetention,
    });
    // Its broker type and monitoring level are the owner's: the connection-rate alarm needs both, so it is left out.
    brokers = {
      count: existingKafkaCluster.brokerCount,
      instanceType: instanceTypeOfMskName(config.brokerInstanceType),
      monitoringLevel: 'DEFAULT',
    };
  } else {
    parts.streaming = new Streaming(scope, 'Streaming', {
      vpc,
      vpcSubnets: subnets,
      brokerCount: config.brokerCount,
      brokerInstanceType: instanceTypeOfMskName(config.brokerInstanceType),
      kafkaVersion: config.kafkaVersion,
      brokerVolumeGiB: config.brokerVolumeGiB,
      monitoringLevel: config.mskMonitoringLevel,
      topics: pipelineTopics(config),
      minInsyncReplicas: config.minInsyncReplicas,
      logRetention,
    });
    new BrokerStorageScaling(scope, 'BrokerStorageScaling', {
      clusterArn: parts.streaming.clusterArn,
      minVolumeGiB: config.brokerVolumeGiB,
      maxVolumeGiB: config.brokerMaxVolumeGiB,
      targetUtilizationPercent: config.brokerStorageTargetPercent,
    });
    brokers = {
      count: config.brokerCount,
      instanceType: instanceTypeOfMskName(config.brokerInstanceType),
      monitoringLevel: config.mskMonitoringLevel,
    };
  }

  // The pipeline's own database, or only a reference to the platform's: nothing is created for it.
  const ownDatabase = existingUsersTable
    ? undefined
    : new UsersDatabase(scope, 'UsersDatabase', {
        vpc,
        vpcSubnets: subnets,
        instanceType: new ec2.InstanceType(config.dbInstanceType),
        multiAz: config.dbMultiAz,
        deletionProtection: config.dbDeletionProtection,
        backupRetention: Duration.days(config.dbBackupRetentionDays),
        seedAccounts: config.seedAccounts,
        logRetention,
      });
  parts.database =
    ownDatabase ?? new ExistingUsersTable(scope, 'UsersTable', existingUsersTable as ExistingUsersTableProps);

  if (existingSearchDomain) {
    parts.search = new ExistingSearchDomain(scope, 'Search', {
      ...existingSearchDomain,
      vpc,
      subnets,
      indexPrefix: config.indexPrefix,
      retentionDays: config.indexRetentionDays,
      refreshInterval: config.indexRefreshInterval,
      logRetention,
      setupRun: searchSetupRun,
    });
  } else {
    const search = new Search(scope, 'Search', {
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
      refreshInterval: config.indexRefreshInterval,
      logRetention,
      dashboardsAuth: config.dashboardsAuth,
      setupRun: searchSetupRun,
    });
    parts.search = search;
    parts.dashboardsAuth = search.dashboardsAuth;
  }

  const consumerProps = {
    vpc,
    subnets,
    streaming: parts.streaming,
    search: parts.search,
    database: parts.database,
    topic: config.topicName,
    consumerGroupId: config.consumerGroupId,
    indexPrefix: config.indexPrefix,
    usersCacheTtl: Duration.seconds(config.usersCacheTtlSeconds),
    metricsNamespace: METRICS_NAMESPACE,
    logRetention,
  };
  if (config.consumerMode === 'lambda') {
    parts.lambdaConsumer = new LambdaConsumer(scope, 'LambdaConsumer', {
      ...consumerProps,
      batchSize: config.batchSize,
      batchWindow: Duration.seconds(config.batchWindowSeconds),
      deadLetterTopic: config.deadLetterTopicName,
      pollerMode: config.pollerMode,
      minimumPollers: config.minimumPollers,
      maximumPollers: config.maximumPollers,
    });
  } else {
    parts.fargateConsumer = new FargateConsumer(scope, 'FargateConsumer', {
      ...consumerProps,
      deadLetterTopic: config.deadLetterTopicName,
      minTasks: config.fargateMinTasks,
      maxTasks: config.fargateMaxTasks,
      scaleOutLag: config.lagScaleOutThreshold,
    });
  }

  parts.opsFunction = new OpsFunction(scope, 'OpsFunction', {
    vpc,
    subnets,
    streaming: parts.streaming,
    search: parts.search,
    database: parts.database,
    topic: config.topicName,
    deadLetterTopic: config.deadLetterTopicName,
    consumerGroupId: config.consumerGroupId,
    indexPrefix: config.indexPrefix,
    usersCacheTtl: Duration.seconds(config.usersCacheTtlSeconds),
    operatorRoleArns: config.operatorRoleArns,
    logRetention,
  });

  parts.generatorFleet = new GeneratorFleet(scope, 'GeneratorFleet', {
    vpc,
    subnets,
    streaming: parts.streaming,
    topic: config.topicName,
    instanceType: new ec2.InstanceType(config.generatorInstanceType),
    minInstances: config.generatorMinInstances,
    maxInstances: config.generatorMaxInstances,
  });
  if (parts.dashboardsAuth) {
    // Always on, unlike the generator fleet, which its schedule empties every evening.
    parts.dashboardsHop = new DashboardsHop(scope, 'DashboardsHop', { vpc, subnets });
    parts.search.allowClientsFrom(
      parts.dashboardsHop.securityGroup,
      'Dashboards through SSM port forwarding on the hop instance',
    );
  }
  new GeneratorFleetScaling(scope, 'GeneratorFleetScaling', {
    autoScalingGroup: parts.generatorFleet.autoScalingGroup,
    minInstances: config.generatorMinInstances,
    maxInstances: config.generatorMaxInstances,
  });
  parts.generatorCommand = new GeneratorCommand(scope, 'GeneratorCommand', {
    bundleObjectUrl: parts.generatorFleet.bundle.asset.s3ObjectUrl,
    scriptName: parts.generatorFleet.bundle.scriptName,
    clusterArn: parts.streaming.clusterArn,
    defaultTopic: config.topicName,
    accounts: config.seedAccounts,
    autoScalingGroupName: parts.generatorFleet.autoScalingGroup.autoScalingGroupName,
    readyMarker: GENERATOR_READY_MARKER,
  });

  parts.observability = new Observability(scope, 'Observability', {
    streaming: parts.streaming,
    brokerCount: brokers.count,
    brokerInstanceType: brokers.instanceType,
    mskMonitoringLevel: brokers.monitoringLevel,
    topic: config.topicName,
    consumerGroupId: config.consumerGroupId,
    search: parts.search,
    database: parts.database,
    consumerMode: config.consumerMode,
    consumerFunction: parts.lambdaConsumer?.function,
    consumerService: parts.fargateConsumer?.service,
    metricsNamespace: METRICS_NAMESPACE,
    lagAlarmThreshold: config.lagScaleOutThreshold * 10,
    alarmEmail: config.alarmEmail,
  });

  pipelineOutputs(scope, parts, ownDatabase);
  // Last: the database's deletion protection waits for every other resource (see lib/database-protection.ts).
  ownDatabase?.protectOnceCreated(scope);
  return parts;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** What the operator scripts (ops/) read from the stack, under fixed output names. */
function pipelineOutputs(scope: Construct, parts: PipelineParts, ownDatabase?: UsersDatabase): void {
  const out = (id: string, value: string, description: string) =>
    new CfnOutput(scope, id, { value, description }).overrideLogicalId(id);
  out('ClusterArn', parts.streaming.clusterArn, 'MSK cluster ARN (resolve brokers with ops scripts)');
  out('OpenSearchEndpoint', parts.search.endpointUrl, 'OpenSearch domain endpoint (VPC only)');
  out('DashboardsUrl', `${parts.search.endpointUrl}/_dashboards`, 'OpenSearch Dashboards (VPC only)');
  out(
    'DashboardsImport',
    parts.search.dashboardsImport,
    'How the last import of the Dashboards saved objects went (a failure does not fail the deploy)',
  );
  if (parts.dashboardsAuth) {
    out(
      'DashboardsUserPoolId',
      parts.dashboardsAuth.userPool.userPoolId,
      'Cognito user pool of the Dashboards logins (aws cognito-idp admin-create-user)',
    );
  }
  if (parts.dashboardsHop) {
    out(
      'DashboardsHopTag',
      `${DASHBOARDS_HOP_TAG.key}=${DASHBOARDS_HOP_TAG.value}`,
      'Tag of the instance to port-forward through to Dashboards (aws ssm start-session)',
    );
  }
  if (ownDatabase) {
    out('DatabaseSecretArn', ownDatabase.secret.secretArn, 'Users database administrator credentials');
  }
  out(
    'DatabaseReaderSecretArn',
    parts.database.readerSecret.secretArn,
    'Users database read-only login of the consumers (SELECT on users)',
  );
  out(
    'GeneratorDocumentName',
    parts.generatorCommand.documentName,
    'SSM document that runs the generator (npm run fleet:run sends its $LATEST version)',
  );
  out(
    'GeneratorAutoScalingGroup',
    parts.generatorFleet.autoScalingGroup.autoScalingGroupName,
    'Generator fleet',
  );
  out('GeneratorTagKey', GENERATOR_TAG.key, 'Tag key that marks the generator fleet instances');
  out('GeneratorTagValue', GENERATOR_TAG.value, 'Tag value that marks the generator fleet instances');
  out('AlarmTopicArn', parts.observability.alarmTopic.topicArn, 'SNS topic of the pipeline alarms');
  out(
    'CloudWatchDashboardUrl',
    `https://console.aws.amazon.com/cloudwatch/home?region=${Stack.of(scope).region}#dashboards:name=${parts.observability.dashboard.dashboardName}`,
    'CloudWatch dashboard of the pipeline',
  );
  out(
    'OpsFunctionName',
    parts.opsFunction.function.functionName,
    'Function the operator commands invoke (npm run smoke, ops:replay, ops:redrive, ops:status)',
  );
  out('ConsumerMode', parts.config.consumerMode, 'Which consumer this deployment runs');
  // ops:replay pauses the consumer, moves this group's offsets on this topic, then resumes the consumer.
  out('ConsumerGroupId', parts.config.consumerGroupId, 'Kafka consumer group of the consumer');
  out('Topic', parts.config.topicName, 'Kafka topic the consumer reads');
  if (parts.lambdaConsumer) {
    out(
      'EventSourceMappingId',
      parts.lambdaConsumer.eventSourceMapping.eventSourceMappingId,
      'MSK event source mapping of the Lambda consumer (aws lambda update-event-source-mapping --uuid)',
    );
  }
  if (parts.fargateConsumer) {
    out(
      'ConsumerClusterName',
      parts.fargateConsumer.cluster.clusterName,
      'ECS cluster of the Fargate consumer',
    );
    out(
      'ConsumerServiceName',
      parts.fargateConsumer.service.serviceName,
      'ECS service of the Fargate consumer',
    );
  }
}
