// The Kafka side of the pipeline: an MSK provisioned cluster on the 3.9.x line (IAM auth only, TLS from
// clients and between brokers, KMS at rest, broker logs in CloudWatch, a strict cluster configuration) and
// the topics, created by a custom resource because MSK has no CloudFormation resource for topics. The grant
// methods scope kafka-cluster data-plane actions to the exact cluster, topic and group ARNs; they live in
// StreamingBase, which ExistingKafkaCluster (lib/existing-kafka-cluster.ts) shares for a cluster it imports.
import { Arn, ArnFormat, Aws, CustomResource, Duration, Fn, Names, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as msk from 'aws-cdk-lib/aws-msk';
import { Construct, type IConstruct, type IDependable } from 'constructs';
import type { MskMonitoringLevel } from './config.js';
import { PipelineProvider } from './pipeline-provider.js';
import {
  consumerOffsetsReplicas,
  MSK_LIMITS_URL,
  MSK_MAX_PARTITIONS_PER_BROKER,
  MSK_MAX_VOLUME_GIB,
  MSK_MIN_VOLUME_GIB,
  mskMaxBrokers,
} from './service-limits.js';
import { checkInteger, checkPattern, type Fail, failIn } from './validation.js';

/** The port of the SASL/IAM listener inside the VPC. */
export const MSK_IAM_PORT = 9098;

/** Kafka versions on the 3.9 line that MSK provisioned clusters accept. */
export const SUPPORTED_KAFKA_VERSIONS = ['3.9.x', '3.9.x.kraft'] as const;

/** MSK enhanced monitoring levels, cheapest first. */
export const MSK_MONITORING_LEVELS: readonly MskMonitoringLevel[] = [
  'DEFAULT',
  'PER_BROKER',
  'PER_TOPIC_PER_BROKER',
  'PER_TOPIC_PER_PARTITION',
];

/** A topic the pipeline needs, as the topics custom resource creates it. */
export interface TopicSpec {
  /** The topic's name: 1-249 letters, digits, `.`, `_` or `-`. */
  readonly name: string;
  /** Partitions: the most consumers of one group that can read the topic in parallel. Only ever grown. */
  readonly partitions: number;
  /**
   * Copies of each partition. At least 2 on a cluster of 2 or more brokers, so that a partition survives a
   * broker restart, and more than the cluster's min.insync.replicas, so that acks=all writes go on meanwhile.
   */
  readonly replicationFactor: number;
}

/**
 * What the rest of the pipeline needs of a Kafka cluster with IAM authentication: where it is, how to reach it,
 * the grants scoped to its topics and groups, and its metrics. `Streaming` creates one; `ExistingKafkaCluster`
 * stands for one that already runs.
 */
export interface IStreaming extends IConstruct {
  /** The MSK cluster's ARN: `arn:<partition>:kafka:<region>:<account>:cluster/<name>/<uuid>`. */
  readonly clusterArn: string;
  /** The cluster's name, as the `Cluster Name` dimension of the AWS/Kafka metrics. */
  readonly clusterName: string;
  /** A security group of the brokers: clients are admitted to it on the SASL/IAM port. */
  readonly securityGroup: ec2.ISecurityGroup;
  /** Completes once the pipeline's topics exist: consumers that need them depend on it. */
  readonly topics: IDependable;
  /** Lets `client` open TLS connections to the brokers. */
  allowClientsFrom(client: ec2.ISecurityGroup, description: string): void;
  /** Connect to the cluster and resolve its bootstrap brokers. */
  grantConnect(grantee: iam.IGrantable): iam.Grant;
  /** Read `topic` as members of consumer group `groupId`. */
  grantConsume(grantee: iam.IGrantable, topic: string, groupId: string): void;
  /** Write records to `topic`, with an idempotent producer. */
  grantProduce(grantee: iam.IGrantable, topic: string): void;
  /** Read the configuration of `topic` (describeConfigs). */
  grantDescribeConfig(grantee: iam.IGrantable, topic: string): void;
  /** Consumer lag of `groupId` on `topic`. */
  consumerLagMetric(groupId: string, topic: string, metricName?: string): cloudwatch.Metric;
  /** A per-broker AWS/Kafka metric. */
  brokerMetric(metricName: string, brokerId: number): cloudwatch.Metric;
  /** The data-plane ARN of `topic`. */
  topicArn(topic: string): string;
  /** The data-plane ARN of consumer group `groupId`. */
  groupArn(groupId: string): string;
}

export interface StreamingProps {
  /** The VPC the brokers and the topics custom resource's function run in. */
  readonly vpc: ec2.IVpc;
  /**
   * The brokers' client subnets, one per AZ (2 or 3); the topics function runs in them too, so they need a
   * route to the Kafka API (NAT gateway or a `kafka` interface endpoint).
   * @default - the VPC's private subnets with egress
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * Brokers: a multiple of the number of client subnets (MSK spreads them evenly over the AZs), at most 30 per
   * ZooKeeper cluster and 60 per KRaft cluster.
   * @default 2
   */
  readonly brokerCount?: number;
  /**
   * The broker type, without MSK's `kafka.` prefix (as `@aws-cdk/aws-msk-alpha` takes it:
   * `ec2.InstanceType.of(ec2.InstanceClass.M7G, ec2.InstanceSize.LARGE)` runs `kafka.m7g.large`). An MSK
   * Standard type: its partition limit is checked (lib/service-limits.ts).
   * @default - t3.small (kafka.t3.small)
   */
  readonly brokerInstanceType?: ec2.InstanceType;
  /**
   * Kafka version of the cluster, on the 3.9.x line (`3.9.x` with ZooKeeper, `3.9.x.kraft`). A string, as
   * aws-cdk-lib's `CfnCluster` takes it: the `KafkaVersion` class is in the alpha module only.
   * @default '3.9.x'
   */
  readonly kafkaVersion?: string;
  /**
   * Initial EBS volume per broker, in GiB (1 to 16384): storage auto-scaling (BrokerStorageScaling) grows it.
   * @default 100
   */
  readonly brokerVolumeGiB?: number;
  /**
   * MSK enhanced monitoring. Consumer lag is published at every level; `PER_BROKER` adds
   * ConnectionCreationRate (and costs per broker metric).
   * @default 'DEFAULT'
   */
  readonly monitoringLevel?: MskMonitoringLevel;
  /** Topics the custom resource creates (existing topics are left as they are, partitions only grown). */
  readonly topics: readonly TopicSpec[];
  /**
   * The cluster's min.insync.replicas: every topic needs at least one replica more, or acks=all writes fail
   * with NOT_ENOUGH_REPLICAS whenever a broker restarts (MSK patches restart each broker in turn).
   * @default - the smallest replication factor of `topics` minus 1, at least 1
   */
  readonly minInsyncReplicas?: number;
  /**
   * Retention of the broker logs and of the topics function's logs.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/** The props `checkStreamingProps` reads, and the client subnet count (one per AZ) `vpcSubnets` selects. */
export type CheckedStreamingProps = Omit<StreamingProps, 'vpc' | 'vpcSubnets' | 'logRetention'> & {
  readonly clientSubnetCount: number;
};

const STREAMING_DEFAULTS = {
  brokerCount: 2,
  brokerInstanceType: ec2.InstanceType.of(ec2.InstanceClass.T3, ec2.InstanceSize.SMALL),
  kafkaVersion: '3.9.x',
  brokerVolumeGiB: 100,
  monitoringLevel: 'DEFAULT' as MskMonitoringLevel,
  logRetention: logs.RetentionDays.ONE_MONTH,
};

/** MSK's name of a broker type: `kafka.` and the EC2 type. */
export function mskInstanceTypeName(instanceType: ec2.InstanceType): string {
  return `kafka.${instanceType.toString()}`;
}

/** The EC2 type inside an MSK broker type name (`kafka.m7g.large` -> `m7g.large`). */
export function instanceTypeOfMskName(name: string): ec2.InstanceType {
  return new ec2.InstanceType(name.replace(/^kafka\./, ''));
}

/** min.insync.replicas that lets acks=all writes go on through a broker restart: the smallest RF - 1. */
function defaultMinInsyncReplicas(topics: readonly TopicSpec[]): number {
  return Math.max(1, Math.min(...topics.map((t) => t.replicationFactor)) - 1);
}

/**
 * The checks of a new cluster's props: broker count against the AZs and MSK's per-cluster limit, the broker
 * type and its partition limit, the Kafka version, the volume, the monitoring level, then the topics
 * (`checkTopicSpecs`). lib/config.ts runs it on the context.
 */
export function checkStreamingProps(props: CheckedStreamingProps, fail: Fail): void {
  const brokerCount = props.brokerCount ?? STREAMING_DEFAULTS.brokerCount;
  const kafkaVersion = props.kafkaVersion ?? STREAMING_DEFAULTS.kafkaVersion;
  const instanceType = mskInstanceTypeName(props.brokerInstanceType ?? STREAMING_DEFAULTS.brokerInstanceType);
  const subnets = props.clientSubnetCount;
  checkInteger(fail, 'brokerCount', brokerCount, subnets, 60);
  if (brokerCount % subnets !== 0) {
    fail(
      'brokerCount',
      brokerCount,
      `must be a multiple of the AZ count (${subnets}); use ${subnets * Math.ceil(brokerCount / subnets)}`,
    );
  }
  if (!(SUPPORTED_KAFKA_VERSIONS as readonly string[]).includes(kafkaVersion)) {
    fail('kafkaVersion', kafkaVersion, `use one of ${SUPPORTED_KAFKA_VERSIONS.join(', ')}`);
  }
  const maxPartitions = MSK_MAX_PARTITIONS_PER_BROKER[instanceType];
  if (maxPartitions === undefined) {
    fail(
      'brokerInstanceType',
      instanceType,
      `use an MSK Standard broker type: ${Object.keys(MSK_MAX_PARTITIONS_PER_BROKER).join(', ')} (${MSK_LIMITS_URL})`,
    );
  }
  const maxBrokers = mskMaxBrokers(kafkaVersion);
  if (brokerCount > maxBrokers) {
    fail(
      'brokerCount',
      brokerCount,
      `MSK allows at most ${maxBrokers} brokers per ${kafkaVersion} cluster; use ${maxBrokers} or fewer, or ask AWS for a higher quota and raise it here (${MSK_LIMITS_URL})`,
    );
  }
  checkInteger(
    fail,
    'brokerVolumeGiB',
    props.brokerVolumeGiB ?? STREAMING_DEFAULTS.brokerVolumeGiB,
    MSK_MIN_VOLUME_GIB,
    MSK_MAX_VOLUME_GIB,
  );
  const monitoringLevel = props.monitoringLevel ?? STREAMING_DEFAULTS.monitoringLevel;
  if (!MSK_MONITORING_LEVELS.includes(monitoringLevel)) {
    fail(
      'monitoringLevel',
      monitoringLevel,
      'use DEFAULT, PER_BROKER, PER_TOPIC_PER_BROKER or PER_TOPIC_PER_PARTITION',
    );
  }
  checkTopicSpecs(props.topics, { brokerCount, minInsyncReplicas: props.minInsyncReplicas }, fail);
  checkPartitionsPerBroker(props.topics, brokerCount, instanceType, maxPartitions, fail);
}

/** What the topics are checked against: the cluster's brokers and min.insync.replicas, where known. */
export interface TopicLimits {
  /** @default - unknown: replication factors are not checked against the brokers */
  readonly brokerCount?: number;
  /** @default - the smallest replication factor minus 1 (what `Streaming` configures) */
  readonly minInsyncReplicas?: number;
}

/**
 * The checks of the topics, on any cluster: legal and distinct names, 1-1000 partitions, a replication factor
 * from 2 (a partition survives a broker restart) to the brokers, above min.insync.replicas.
 */
export function checkTopicSpecs(topics: readonly TopicSpec[], limits: TopicLimits, fail: Fail): void {
  if (topics.length === 0) fail('topics', topics, 'list at least one topic');
  topics.forEach((topic, i) => {
    checkPattern(
      fail,
      `topics[${i}].name`,
      topic.name,
      /^[a-zA-Z0-9._-]{1,249}$/,
      'use 1-249 letters, digits, ".", "_" or "-"',
    );
    if (topics.findIndex((t) => t.name === topic.name) !== i) {
      fail(`topics[${i}].name`, topic.name, "must differ from the other topics' names");
    }
  });
  topics.forEach((topic, i) => {
    checkInteger(fail, `topics[${i}].partitions`, topic.partitions, 1, 1000);
    const prop = `topics[${i}].replicationFactor`;
    checkInteger(fail, prop, topic.replicationFactor, 1, limits.brokerCount ?? 1000);
    if (topic.replicationFactor < 2 && (limits.brokerCount === undefined || limits.brokerCount >= 2)) {
      // One replica: every broker restart (MSK patches each broker in turn) takes its partitions offline.
      fail(prop, topic.replicationFactor, 'must be at least 2 so that a partition survives a broker restart');
    }
  });
  const minInsync = limits.minInsyncReplicas;
  if (minInsync === undefined || Token.isUnresolved(minInsync)) return;
  const maxInsync = Math.min(...topics.map((t) => t.replicationFactor)) - 1;
  if (!Number.isInteger(minInsync) || minInsync < 1 || minInsync > maxInsync) {
    fail(
      'minInsyncReplicas',
      minInsync,
      `must be an integer from 1 to replicationFactor - 1 (${maxInsync}): with one broker restarting (every MSK patch), acks=all producers need that many replicas in sync`,
    );
  }
}

/** The partition replicas the topics put on each broker, against the type's limit (MSK best practices). */
function checkPartitionsPerBroker(
  topics: readonly TopicSpec[],
  brokerCount: number,
  instanceType: string,
  maxPartitions: number | undefined,
  fail: Fail,
): void {
  if (maxPartitions === undefined || Token.isUnresolved(brokerCount)) return;
  const replicas =
    topics.reduce((sum, t) => sum + t.partitions * t.replicationFactor, 0) +
    consumerOffsetsReplicas(brokerCount);
  const perBroker = Math.ceil(replicas / brokerCount);
  if (perBroker <= maxPartitions) return;
  const largest = topics.reduce((best, t, i) => (t.partitions > topics[best].partitions ? i : best), 0);
  const spread = topics.map((t) => `${t.name}: ${t.partitions} x replicationFactor ${t.replicationFactor}`);
  fail(
    `topics[${largest}].partitions`,
    topics[largest].partitions,
    `puts ${perBroker} partition replicas on each ${instanceType} broker (${spread.join(', ')}, plus __consumer_offsets, over ${brokerCount} brokers), above the ${maxPartitions} MSK allows per broker of that type; use fewer partitions, more brokers or a larger brokerInstanceType (https://docs.aws.amazon.com/msk/latest/developerguide/bestpractices.html#partitions-per-broker)`,
  );
}

/**
 * The grants, metrics and data-plane ARNs of a Kafka cluster with IAM access control, from its ARN and name:
 * the same for a cluster the pipeline creates (`Streaming`) and one it imports (`ExistingKafkaCluster`).
 */
export abstract class StreamingBase extends Construct implements IStreaming {
  abstract readonly clusterArn: string;
  abstract readonly clusterName: string;
  abstract readonly securityGroup: ec2.ISecurityGroup;
  abstract readonly topics: IDependable;

  /** Lets `client` open TLS connections to the brokers. */
  allowClientsFrom(client: ec2.ISecurityGroup, description: string): void {
    this.securityGroup.addIngressRule(client, ec2.Port.tcp(MSK_IAM_PORT), description);
  }

  /** Connect to the cluster and resolve its bootstrap brokers. */
  grantConnect(grantee: iam.IGrantable): iam.Grant {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['kafka:DescribeCluster', 'kafka:DescribeClusterV2', 'kafka:GetBootstrapBrokers'],
      resourceArns: [this.clusterArn],
    });
    return iam.Grant.addToPrincipal({
      grantee,
      actions: [
        'kafka-cluster:Connect',
        'kafka-cluster:DescribeCluster',
        'kafka-cluster:DescribeClusterDynamicConfiguration',
      ],
      resourceArns: [this.clusterArn],
    });
  }

  /** Read `topic` as members of consumer group `groupId`. */
  grantConsume(grantee: iam.IGrantable, topic: string, groupId: string): void {
    this.grantConnect(grantee);
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'],
      resourceArns: [this.topicArn(topic)],
    });
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['kafka-cluster:DescribeGroup', 'kafka-cluster:AlterGroup'],
      resourceArns: [this.groupArn(groupId)],
    });
  }

  /** Write records to `topic`, with an idempotent producer (core/producer.ts). */
  grantProduce(grantee: iam.IGrantable, topic: string): void {
    this.grantConnect(grantee);
    // MSK IAM still asks for this cluster action on InitProducerId when WriteData is granted per topic.
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['kafka-cluster:WriteDataIdempotently'],
      resourceArns: [this.clusterArn],
    });
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData'],
      resourceArns: [this.topicArn(topic)],
    });
  }

  /**
   * Read the configuration of `topic` (describeConfigs): the dead-letter producers size their records to its
   * `max.message.bytes` (core/dead-letter.ts).
   */
  grantDescribeConfig(grantee: iam.IGrantable, topic: string): void {
    this.grantConnect(grantee);
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['kafka-cluster:DescribeTopicDynamicConfiguration'],
      resourceArns: [this.topicArn(topic)],
    });
  }

  /** Create and inspect `topics` (the topics custom resource). */
  grantTopicAdmin(grantee: iam.IGrantable, topics: readonly string[]): void {
    this.grantConnect(grantee);
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['kafka-cluster:CreateTopic', 'kafka-cluster:DescribeTopic', 'kafka-cluster:AlterTopic'],
      resourceArns: topics.map((t) => this.topicArn(t)),
    });
  }

  /**
   * Consumer lag of `groupId` on `topic` (MSK publishes it at every monitoring level).
   * @param metricName MaxOffsetLag (worst partition), SumOffsetLag (total) or EstimatedMaxTimeLag (seconds)
   */
  consumerLagMetric(groupId: string, topic: string, metricName = 'MaxOffsetLag'): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/Kafka',
      metricName,
      dimensionsMap: { 'Cluster Name': this.clusterName, 'Consumer Group': groupId, Topic: topic },
      statistic: 'Maximum',
      period: Duration.minutes(1),
    });
  }

  /** A per-broker AWS/Kafka metric, e.g. KafkaDataLogsDiskUsed or CpuUser. */
  brokerMetric(metricName: string, brokerId: number): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/Kafka',
      metricName,
      dimensionsMap: { 'Cluster Name': this.clusterName, 'Broker ID': String(brokerId) },
      statistic: 'Maximum',
      period: Duration.minutes(5),
    });
  }

  /** `arn:aws:kafka:<region>:<account>:topic/<cluster name>/<cluster uuid>/<topic>` */
  topicArn(topic: string): string {
    return this.dataPlaneArn('topic', topic);
  }

  /** `arn:aws:kafka:<region>:<account>:group/<cluster name>/<cluster uuid>/<group>` */
  groupArn(groupId: string): string {
    return this.dataPlaneArn('group', groupId);
  }

  /**
   * Data-plane ARNs reuse the cluster ARN's `cluster/<name>/<uuid>` tail
   * (https://docs.aws.amazon.com/msk/latest/developerguide/kafka-actions.html): computed here when the ARN is a
   * literal, by CloudFormation when it is known only after deployment.
   */
  private dataPlaneArn(type: 'topic' | 'group', name: string): string {
    if (!Token.isUnresolved(this.clusterArn)) {
      const arn = Arn.split(this.clusterArn, ArnFormat.SLASH_RESOURCE_NAME);
      return `arn:${arn.partition}:kafka:${arn.region}:${arn.account}:${type}/${arn.resourceName}/${name}`;
    }
    const parts = Fn.split('/', this.clusterArn);
    return Fn.join('', [
      `arn:${Aws.PARTITION}:kafka:${Aws.REGION}:${Aws.ACCOUNT_ID}:${type}/`,
      Fn.select(1, parts),
      '/',
      Fn.select(2, parts),
      `/${name}`,
    ]);
  }
}

/** What the topics custom resource needs of the cluster and the VPC. */
export interface PipelineTopicsOptions {
  readonly vpc: ec2.IVpc;
  readonly vpcSubnets: ec2.SubnetSelection;
  readonly topics: readonly TopicSpec[];
  readonly logRetention: logs.RetentionDays;
}

/**
 * The topics custom resource in `cluster`'s scope (ids `TopicsProviderSecurityGroup`, `TopicsProvider`,
 * `Topics`): its function joins the VPC as a client of the brokers, with CreateTopic on those topics only.
 */
export function createPipelineTopics(cluster: StreamingBase, options: PipelineTopicsOptions): CustomResource {
  const topicsSecurityGroup = new ec2.SecurityGroup(cluster, 'TopicsProviderSecurityGroup', {
    vpc: options.vpc,
    description: 'Topics custom resource handler of the log pipeline',
    allowAllOutbound: true,
  });
  cluster.allowClientsFrom(topicsSecurityGroup, 'topics custom resource');
  const provider = new PipelineProvider(cluster, 'TopicsProvider', {
    entry: 'lambdas/topics-provider.ts',
    description: 'Creates the log pipeline Kafka topics (custom resource)',
    vpc: options.vpc,
    vpcSubnets: options.vpcSubnets,
    securityGroups: [topicsSecurityGroup],
    logRetention: options.logRetention,
  });
  cluster.grantTopicAdmin(
    provider.handler.function,
    options.topics.map((t) => t.name),
  );
  const topics = new CustomResource(cluster, 'Topics', {
    serviceToken: provider.serviceToken,
    resourceType: 'Custom::KafkaTopics',
    properties: {
      ClusterArn: cluster.clusterArn,
      Topics: options.topics.map((t) => ({
        Name: t.name,
        Partitions: t.partitions,
        ReplicationFactor: t.replicationFactor,
      })),
    },
  });
  // The handler connects at once: wait for the brokers' ingress rules, not only for the cluster.
  topics.node.addDependency(cluster.securityGroup);
  return topics;
}

/**
 * An MSK provisioned cluster for the pipeline, with its topics: IAM access control only (no unauthenticated or
 * SCRAM clients), TLS from clients and between brokers, a customer managed KMS key at rest, broker logs in
 * CloudWatch, and a configuration that keeps acks=all writes going through a broker restart
 * (min.insync.replicas below every topic's replication factor), refuses unclean leader election and
 * automatic topic creation.
 *
 * @example
 * const streaming = new Streaming(this, 'Streaming', {
 *   vpc,
 *   brokerCount: 3,
 *   brokerInstanceType: ec2.InstanceType.of(ec2.InstanceClass.M7G, ec2.InstanceSize.LARGE),
 *   topics: [{ name: 'server-logs', partitions: 6, replicationFactor: 3 }],
 * });
 * streaming.grantConsume(fn, 'server-logs', 'my-group');
 */
export class Streaming extends StreamingBase {
  readonly cluster: msk.CfnCluster;
  readonly clusterArn: string;
  /** The cluster's name, as the `Cluster Name` dimension of the AWS/Kafka metrics. */
  readonly clusterName: string;
  readonly securityGroup: ec2.SecurityGroup;
  readonly key: kms.Key;
  /** Completes once every topic exists: consumers that need them depend on it. */
  readonly topics: CustomResource;

  constructor(scope: Construct, id: string, props: StreamingProps) {
    super(scope, id);
    const vpcSubnets = props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
    const subnetIds = props.vpc.selectSubnets(vpcSubnets).subnetIds;
    checkStreamingProps({ ...props, clientSubnetCount: subnetIds.length }, failIn(this));
    const brokerCount = props.brokerCount ?? STREAMING_DEFAULTS.brokerCount;
    const kafkaVersion = props.kafkaVersion ?? STREAMING_DEFAULTS.kafkaVersion;
    const logRetention = props.logRetention ?? STREAMING_DEFAULTS.logRetention;
    const minInsyncReplicas = props.minInsyncReplicas ?? defaultMinInsyncReplicas(props.topics);
    const replicationFactor = Math.max(...props.topics.map((t) => t.replicationFactor));
    this.key = new kms.Key(this, 'Key', {
      description: 'Encrypts the MSK broker volumes of the log pipeline',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.securityGroup = new ec2.SecurityGroup(this, 'BrokerSecurityGroup', {
      vpc: props.vpc,
      description: 'MSK brokers of the log pipeline (SASL/IAM over TLS only)',
      // The Lambda event source mapping's pollers use this group too and call STS and Lambda over HTTPS.
      allowAllOutbound: true,
    });
    // The event source mapping reaches the brokers through the cluster's own security group.
    this.securityGroup.addIngressRule(
      this.securityGroup,
      ec2.Port.tcp(MSK_IAM_PORT),
      'brokers and event source mapping',
    );

    const brokerLogs = new logs.LogGroup(this, 'BrokerLogs', {
      retention: logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const configuration = new msk.CfnConfiguration(this, 'Configuration', {
      name: Names.uniqueResourceName(this, { maxLength: 64, separator: '-' }),
      description: 'Writes survive one broker restart, no unclean leader election, topics created explicitly',
      kafkaVersionsList: [kafkaVersion],
      serverProperties: [
        `min.insync.replicas=${minInsyncReplicas}`,
        'unclean.leader.election.enable=false',
        'auto.create.topics.enable=false',
        `default.replication.factor=${replicationFactor}`,
        'num.partitions=6',
      ].join('\n'),
    });
    this.cluster = new msk.CfnCluster(this, 'Cluster', {
      clusterName: Names.uniqueResourceName(this, { maxLength: 64, separator: '-' }),
      kafkaVersion,
      numberOfBrokerNodes: brokerCount,
      brokerNodeGroupInfo: {
        clientSubnets: subnetIds,
        instanceType: mskInstanceTypeName(props.brokerInstanceType ?? STREAMING_DEFAULTS.brokerInstanceType),
        securityGroups: [this.securityGroup.securityGroupId],
        storageInfo: {
          ebsStorageInfo: { volumeSize: props.brokerVolumeGiB ?? STREAMING_DEFAULTS.brokerVolumeGiB },
        },
      },
      clientAuthentication: { sasl: { iam: { enabled: true } }, unauthenticated: { enabled: false } },
      encryptionInfo: {
        encryptionAtRest: { dataVolumeKmsKeyId: this.key.keyArn },
        encryptionInTransit: { clientBroker: 'TLS', inCluster: true },
      },
      loggingInfo: { brokerLogs: { cloudWatchLogs: { enabled: true, logGroup: brokerLogs.logGroupName } } },
      enhancedMonitoring: props.monitoringLevel ?? STREAMING_DEFAULTS.monitoringLevel,
      configurationInfo: { arn: configuration.attrArn, revision: configuration.attrLatestRevisionRevision },
    });
    this.clusterArn = this.cluster.attrArn;
    this.clusterName = this.cluster.clusterName;

    this.topics = createPipelineTopics(this, {
      vpc: props.vpc,
      vpcSubnets,
      topics: props.topics,
      logRetention,
    });
  }
}
