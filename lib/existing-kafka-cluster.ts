// An MSK provisioned cluster the platform already runs, as the pipeline's IStreaming: the same scoped grants and
// metrics as a cluster the pipeline creates (StreamingBase), ingress on the cluster's own security group, and
// the topics custom resource creating the pipeline's topics in it (or nothing, when the owner creates them).
// Nothing of the cluster itself is created or changed: no cluster, configuration, KMS key, broker logs or
// storage scaling.
import { Arn, ArnFormat, type CustomResource, Fn, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { type Construct, DependencyGroup, type IDependable } from 'constructs';
import { checkTopicSpecs, createPipelineTopics, StreamingBase, type TopicSpec } from './streaming.js';
import { checkInteger, type Fail, failIn } from './validation.js';

/**
 * An existing MSK provisioned cluster for LogPipeline (`existingKafkaCluster`). It must have IAM client
 * authentication enabled, with TLS between clients and brokers: every client of the pipeline resolves the
 * brokers with `GetBootstrapBrokers` from the cluster ARN and connects to the SASL/IAM listener (port 9098)
 * only; a cluster without it fails at the first connection with "no IAM bootstrap brokers".
 */
export interface ExistingKafkaClusterAttributes {
  /**
   * The cluster's ARN, `arn:<partition>:kafka:<region>:<account>:cluster/<name>/<uuid>`, in the stack's account
   * and region (the event source mapping and the IAM grants are same-account). A literal ARN lets the
   * topic and group ARNs of the grants be computed at synth; a token works too.
   */
  readonly clusterArn: string;
  /**
   * A security group of the brokers. The pipeline adds an ingress rule on TCP 9098 to it for each of its Kafka
   * clients (functions, tasks, instances), unless it was imported with `mutable: false`: then its owner must
   * admit TCP 9098 from the pipeline's subnets (`vpcSubnets`) instead. The Lambda consumer's event source
   * mapping polls through the cluster's own subnets and security groups, so the group must also admit itself on
   * TCP 9098 and let it reach STS and Lambda over HTTPS
   * (https://docs.aws.amazon.com/lambda/latest/dg/with-msk-cluster-network.html).
   */
  readonly securityGroup: ec2.ISecurityGroup;
  /**
   * Whether the pipeline creates its topic and dead-letter topic in the cluster (a custom resource with
   * `kafka-cluster:CreateTopic` on those two topics only; existing topics are left as they are, their
   * partitions only grown). When false, the owner creates both before the deployment, with the pipeline's
   * partition count and a replication factor above the cluster's `min.insync.replicas`.
   * @default true
   */
  readonly createTopics?: boolean;
  /**
   * The cluster's broker count. When known, each topic's replication factor is checked against it, and the
   * broker alarms (disk, connections) watch brokers 1 to `brokerCount` (MSK numbers them from 1).
   * @default - unknown: no broker alarm, replication factors checked only against `minInsyncReplicas`
   */
  readonly brokerCount?: number;
  /**
   * The cluster's `min.insync.replicas`: every topic's replication factor must exceed it, or acks=all writes (the
   * generator's, the dead letters') fail with NOT_ENOUGH_REPLICAS whenever a broker restarts.
   * @default - not checked: the owner vouches for it (MSK's default configuration sets 2 on 3 AZs)
   */
  readonly minInsyncReplicas?: number;
}

export interface ExistingKafkaClusterProps extends ExistingKafkaClusterAttributes {
  /** The VPC the topics custom resource's function runs in: one that reaches the brokers. */
  readonly vpc: ec2.IVpc;
  /**
   * Where the topics function runs: subnets with a route to the brokers and to the Kafka API.
   * @default - the VPC's private subnets with egress
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** The pipeline's topics, created in the cluster unless `createTopics` is false. */
  readonly topics: readonly TopicSpec[];
  /**
   * Retention of the topics function's logs.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/** The checks of the props: a same-account, same-region MSK cluster ARN, and the topics against the cluster. */
export function checkExistingKafkaClusterProps(
  props: Omit<ExistingKafkaClusterProps, 'vpc' | 'vpcSubnets' | 'securityGroup' | 'logRetention'>,
  stack: Pick<Stack, 'account' | 'region'>,
  fail: Fail,
): void {
  if (!Token.isUnresolved(props.clusterArn)) {
    const arn = parseClusterArn(props.clusterArn);
    if (arn === undefined) {
      fail(
        'clusterArn',
        props.clusterArn,
        'use an MSK provisioned cluster ARN, arn:<partition>:kafka:<region>:<account>:cluster/<name>/<uuid>',
      );
    }
    for (const [part, own] of [
      ['region', stack.region],
      ['account', stack.account],
    ] as const) {
      if (!Token.isUnresolved(own) && arn[part] !== own) {
        fail(
          'clusterArn',
          props.clusterArn,
          `must be a cluster in the stack's ${part} (${own}): the event source mapping, the IAM grants and the clients' SigV4 signatures are ${part === 'region' ? 'regional' : 'same-account'}; deploy the pipeline there`,
        );
      }
    }
  }
  if (props.brokerCount !== undefined) checkInteger(fail, 'brokerCount', props.brokerCount, 1, 60);
  if (props.minInsyncReplicas !== undefined) {
    checkInteger(fail, 'minInsyncReplicas', props.minInsyncReplicas, 1, 60);
  }
  checkTopicSpecs(
    props.topics,
    { brokerCount: props.brokerCount, minInsyncReplicas: props.minInsyncReplicas },
    fail,
  );
}

/** The parts of a literal cluster ARN, or undefined when it is not one. */
function parseClusterArn(
  clusterArn: string,
): { partition: string; region: string; account: string; name: string } | undefined {
  if (!/^arn:aws[a-z-]*:kafka:[a-z0-9-]+:\d{12}:cluster\/[^/]+\/[^/]+$/.test(clusterArn)) return undefined;
  const arn = Arn.split(clusterArn, ArnFormat.SLASH_RESOURCE_NAME);
  return {
    partition: arn.partition ?? '',
    region: arn.region ?? '',
    account: arn.account ?? '',
    name: (arn.resourceName ?? '').split('/')[0],
  };
}

/**
 * An MSK provisioned cluster that already runs, for the pipeline's clients: grants scoped to its cluster, topic
 * and group ARNs, ingress on its security group (`allowClientsFrom` adds a rule on TCP 9098, which CDK skips for
 * a group imported with `mutable: false`), its AWS/Kafka metrics, and the pipeline's topics in it.
 *
 * @example
 * const kafka = new ExistingKafkaCluster(this, 'Kafka', {
 *   vpc,
 *   clusterArn: 'arn:aws:kafka:eu-west-1:123456789012:cluster/platform/0b6c3e8f-1111-2222-3333-444455556666-2',
 *   securityGroup: ec2.SecurityGroup.fromSecurityGroupId(this, 'Brokers', 'sg-0123456789abcdef0'),
 *   brokerCount: 3,
 *   topics: [{ name: 'server-logs', partitions: 6, replicationFactor: 3 }],
 * });
 * kafka.grantConsume(fn, 'server-logs', 'my-group');
 */
export class ExistingKafkaCluster extends StreamingBase {
  readonly clusterArn: string;
  /** The cluster's name, from its ARN: the `Cluster Name` dimension of its AWS/Kafka metrics. */
  readonly clusterName: string;
  readonly securityGroup: ec2.ISecurityGroup;
  /** Completes once the topics exist: the topics custom resource, or nothing when the owner creates them. */
  readonly topics: IDependable;
  /** The topics custom resource, unless `createTopics` is false. */
  readonly topicsResource?: CustomResource;
  /** The broker count given, for per-broker alarms. */
  readonly brokerCount?: number;

  constructor(scope: Construct, id: string, props: ExistingKafkaClusterProps) {
    super(scope, id);
    checkExistingKafkaClusterProps(props, Stack.of(this), failIn(this));
    this.clusterArn = props.clusterArn;
    this.clusterName = Token.isUnresolved(props.clusterArn)
      ? Fn.select(1, Fn.split('/', props.clusterArn))
      : (parseClusterArn(props.clusterArn)?.name ?? '');
    this.securityGroup = props.securityGroup;
    this.brokerCount = props.brokerCount;
    if (props.createTopics ?? true) {
      this.topicsResource = createPipelineTopics(this, {
        vpc: props.vpc,
        vpcSubnets: props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        topics: props.topics,
        logRetention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      });
      this.topics = this.topicsResource;
    } else {
      // The owner created them before the deployment: nothing to wait for.
      this.topics = new DependencyGroup();
    }
  }
}
