// The Kafka side of the pipeline: an MSK provisioned cluster on the 3.9.x line (IAM auth only, TLS from
// clients and between brokers, KMS at rest, broker logs in CloudWatch, a strict cluster configuration) and
// the topics, created by a custom resource because MSK has no CloudFormation resource for topics. The grant
// methods scope kafka-cluster data-plane actions to the exact cluster, topic and group ARNs.
import { Aws, CustomResource, Duration, Fn, Names, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import * as msk from 'aws-cdk-lib/aws-msk';
import { Construct, type IConstruct, type IDependable } from 'constructs';
import type { MskMonitoringLevel } from './config.js';
import { PipelineProvider } from './pipeline-provider.js';

/** The port of the SASL/IAM listener inside the VPC. */
export const MSK_IAM_PORT = 9098;

export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
}

/**
 * What the rest of the pipeline needs of a Kafka cluster with IAM authentication: where it is, how to reach it,
 * the grants scoped to its topics and groups, and its metrics. `Streaming` creates one.
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
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly brokerCount: number;
  readonly brokerInstanceType: string;
  readonly kafkaVersion: string;
  readonly brokerVolumeGiB: number;
  readonly monitoringLevel: MskMonitoringLevel;
  /** Topics the custom resource creates (existing topics are left as they are). */
  readonly topics: readonly TopicSpec[];
  /**
   * The cluster's min.insync.replicas: every topic needs at least one replica more, or acks=all writes fail
   * with NOT_ENOUGH_REPLICAS whenever a broker restarts (MSK patches restart each broker in turn).
   */
  readonly minInsyncReplicas: number;
  readonly logRetention: logs.RetentionDays;
}

export class Streaming extends Construct implements IStreaming {
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
    for (const topic of props.topics) {
      if (
        topic.replicationFactor < props.minInsyncReplicas + 1 ||
        topic.replicationFactor > props.brokerCount
      ) {
        throw new Error(
          `topic ${topic.name}: replicationFactor must be from minInsyncReplicas + 1 (${props.minInsyncReplicas + 1}) to brokerCount (${props.brokerCount}), got ${topic.replicationFactor}`,
        );
      }
    }
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

    const brokerLogs = new LogGroup(this, 'BrokerLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const configuration = new msk.CfnConfiguration(this, 'Configuration', {
      name: Names.uniqueResourceName(this, { maxLength: 64, separator: '-' }),
      description: 'Writes survive one broker restart, no unclean leader election, topics created explicitly',
      kafkaVersionsList: [props.kafkaVersion],
      serverProperties: [
        `min.insync.replicas=${props.minInsyncReplicas}`,
        'unclean.leader.election.enable=false',
        'auto.create.topics.enable=false',
        `default.replication.factor=${replicationFactor}`,
        'num.partitions=6',
      ].join('\n'),
    });
    const subnetIds = props.vpc.selectSubnets(props.subnets).subnetIds;
    this.cluster = new msk.CfnCluster(this, 'Cluster', {
      clusterName: Names.uniqueResourceName(this, { maxLength: 64, separator: '-' }),
      kafkaVersion: props.kafkaVersion,
      numberOfBrokerNodes: props.brokerCount,
      brokerNodeGroupInfo: {
        clientSubnets: subnetIds,
        instanceType: props.brokerInstanceType,
        securityGroups: [this.securityGroup.securityGroupId],
        storageInfo: { ebsStorageInfo: { volumeSize: props.brokerVolumeGiB } },
      },
      clientAuthentication: { sasl: { iam: { enabled: true } }, unauthenticated: { enabled: false } },
      encryptionInfo: {
        encryptionAtRest: { dataVolumeKmsKeyId: this.key.keyArn },
        encryptionInTransit: { clientBroker: 'TLS', inCluster: true },
      },
      loggingInfo: { brokerLogs: { cloudWatchLogs: { enabled: true, logGroup: brokerLogs.logGroupName } } },
      enhancedMonitoring: props.monitoringLevel,
      configurationInfo: { arn: configuration.attrArn, revision: configuration.attrLatestRevisionRevision },
    });
    this.clusterArn = this.cluster.attrArn;
    this.clusterName = this.cluster.clusterName;

    const topicsSecurityGroup = new ec2.SecurityGroup(this, 'TopicsProviderSecurityGroup', {
      vpc: props.vpc,
      description: 'Topics custom resource handler of the log pipeline',
      allowAllOutbound: true,
    });
    this.allowClientsFrom(topicsSecurityGroup, 'topics custom resource');
    const provider = new PipelineProvider(this, 'TopicsProvider', {
      entry: 'lambdas/topics-provider.ts',
      description: 'Creates the log pipeline Kafka topics (custom resource)',
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      securityGroups: [topicsSecurityGroup],
      logRetention: props.logRetention,
    });
    this.grantTopicAdmin(
      provider.handler.function,
      props.topics.map((t) => t.name),
    );
    this.topics = new CustomResource(this, 'Topics', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::KafkaTopics',
      properties: {
        ClusterArn: this.clusterArn,
        Topics: props.topics.map((t) => ({
          Name: t.name,
          Partitions: t.partitions,
          ReplicationFactor: t.replicationFactor,
        })),
      },
    });
    // The handler connects at once: wait for the brokers' ingress rules, not only for the cluster.
    this.topics.node.addDependency(this.securityGroup);
  }

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

  /** Data-plane ARNs reuse the cluster ARN's `cluster/<name>/<uuid>` tail, only known after deployment. */
  private dataPlaneArn(type: 'topic' | 'group', name: string): string {
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
