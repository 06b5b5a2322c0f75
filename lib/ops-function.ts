// The ops function: how an operator with AWS credentials and no VPN reaches a deployment. Nothing outside the VPC
// reaches the brokers or the domain, so the operator commands on a laptop (`npm run smoke`, `ops:replay`,
// `ops:redrive`, `ops:status`) invoke this function, which runs the same core code inside the VPC
// (lambdas/ops.ts, ops/ops-actions.ts). Least privilege on every side: its security group talks only to the
// brokers, the domain, the database and the VPC's interface endpoints; its IAM role reads the two topics, moves
// only the consumer group's offsets and the re-drive group's, and posts `_bulk` and searches to the domain; FGAC
// maps it to the operators' read-only role plus the writer role (for the re-drive); only the roles in
// `operatorRoleArns` may invoke it, through its resource policy.
import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledgeCheckov } from './iac-checks.js';
import { checkConsumerGroupId, checkUsersCacheTtl, DEFAULT_USERS_CACHE_TTL } from './lambda-consumer.js';
import { acknowledgeNag } from './nag.js';
import { PipelineFunction } from './pipeline-function.js';
import type { ISearch } from './search.js';
import { type IStreaming, MSK_IAM_PORT } from './streaming.js';
import type { IUsersDatabase } from './users-database.js';
import { type Fail, failIn } from './validation.js';

/** The group `ops:redrive` reads the dead-letter topic as: the one `npm run consume -- --redrive` suggests. */
export const REDRIVE_GROUP_ID = 'log-pipeline-redrive';
/** Throwaway groups that read the dead-letter topic for the smoke test, each deleted after its read. */
export const READ_GROUP_PREFIX = 'log-pipeline-ops-read-';
/**
 * A re-drive slice works until a minute before this (ops/ops-actions.ts REDRIVE_RESERVE_MS); the CLI repeats
 * slices. Below Lambda's 15-minute maximum, and below the CLI's socket timeout (ops/ops-client.ts).
 */
export const OPS_FUNCTION_TIMEOUT = Duration.minutes(10);

export interface OpsFunctionProps {
  /** The VPC of the brokers, the domain and the database: the function runs in it. */
  readonly vpc: ec2.IVpc;
  /** Private subnets with a route to the VPC's interface endpoints. */
  readonly subnets: ec2.SubnetSelection;
  /** The cluster whose topics and groups the function reads (and whose consumer group it moves). */
  readonly streaming: IStreaming;
  /** The domain it searches, and writes re-driven dead letters to. */
  readonly search: ISearch;
  /** The users table the re-drive classifies with (the read-only login). */
  readonly database: IUsersDatabase;
  /** The topic the consumer reads (smoke ranges, replay, status lag). */
  readonly topic: string;
  /** The topic poison records go to: the re-drive reads it, the smoke test checks it. */
  readonly deadLetterTopic: string;
  /** The consumer's group: `ops:replay` moves its offsets on `topic`. */
  readonly consumerGroupId: string;
  /** The pipeline's indices and aliases are `<indexPrefix>-*`: the only ones it searches. */
  readonly indexPrefix: string;
  /**
   * How long the re-drive's users lookup caches an answer, as the consumers' does (whole seconds, 0 to 1 day).
   * @default Duration.minutes(1)
   */
  readonly usersCacheTtl?: Duration;
  /**
   * IAM roles that may invoke the function (a statement each in its resource policy) and that FGAC maps to the
   * operators' read-only role.
   * @default - none: only principals whose own IAM policies allow lambda:InvokeFunction on it
   */
  readonly operatorRoleArns?: readonly string[];
  /** How long the function's log group keeps its events. */
  readonly logRetention: logs.RetentionDays;
}

/** A role ARN as IAM prints it (path allowed); FGAC maps roles, and only roles (role mappings' backend roles). */
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

/** Checks the props of `OpsFunction`; lib/config.ts runs it on the context too. */
export function checkOpsFunctionProps(
  props: Pick<OpsFunctionProps, 'consumerGroupId' | 'usersCacheTtl' | 'operatorRoleArns'>,
  fail: Fail,
): void {
  checkConsumerGroupId(fail, props.consumerGroupId);
  checkUsersCacheTtl(fail, props.usersCacheTtl);
  const roles: unknown = props.operatorRoleArns ?? [];
  if (!Array.isArray(roles)) {
    fail(
      'operatorRoleArns',
      roles,
      'use a list of IAM role ARNs such as ["arn:aws:iam::123456789012:role/ops"], or []',
    );
  }
  for (const arn of roles) {
    if (typeof arn === 'string' && Token.isUnresolved(arn)) continue;
    if (typeof arn !== 'string' || !ROLE_ARN.test(arn)) {
      fail(
        'operatorRoleArns',
        arn,
        'each entry must be an IAM role ARN such as arn:aws:iam::123456789012:role/ops (not a user, not an assumed-role session ARN)',
      );
    }
  }
  if (new Set(roles).size !== roles.length) fail('operatorRoleArns', roles, 'list each role once');
}

export class OpsFunction extends Construct {
  readonly function: lambda.IFunction;
  readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: OpsFunctionProps) {
    super(scope, id);
    checkOpsFunctionProps(props, failIn(this));
    const operatorRoleArns = props.operatorRoleArns ?? [];
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Ops function of the log pipeline (operator commands)',
      allowAllOutbound: false,
    });
    // Egress to exactly what it talks to: the brokers (SASL/IAM), the database, and HTTPS inside the VPC (the
    // domain, and the Secrets Manager and Kafka API interface endpoints of lib/network.ts).
    this.securityGroup.addEgressRule(
      props.streaming.securityGroup,
      ec2.Port.tcp(MSK_IAM_PORT),
      'MSK brokers (SASL/IAM over TLS)',
    );
    this.securityGroup.addEgressRule(
      props.database.securityGroup,
      ec2.Port.tcp(props.database.port),
      'users lookups of the re-drive',
    );
    this.securityGroup.addEgressRule(
      ec2.Peer.ipv4(props.vpc.vpcCidrBlock),
      ec2.Port.tcp(443),
      'OpenSearch domain and interface endpoints (Secrets Manager, Kafka API) inside the VPC',
    );

    const fn = new PipelineFunction(this, 'Handler', {
      entry: 'lambdas/ops.ts',
      description:
        'Operator commands inside the VPC: smoke-test reads, replay offsets, dead-letter re-drive, status',
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      securityGroups: [this.securityGroup],
      logRetention: props.logRetention,
      memorySize: 1024,
      timeout: OPS_FUNCTION_TIMEOUT,
      environment: {
        CLUSTER_ARN: props.streaming.clusterArn,
        TOPIC: props.topic,
        DEAD_LETTER_TOPIC: props.deadLetterTopic,
        CONSUMER_GROUP_ID: props.consumerGroupId,
        REDRIVE_GROUP_ID: REDRIVE_GROUP_ID,
        READ_GROUP_PREFIX: READ_GROUP_PREFIX,
        INDEX_PREFIX: props.indexPrefix,
        OPENSEARCH_ENDPOINT: props.search.endpointUrl,
        DB_SECRET_ARN: props.database.readerSecret.secretArn,
        DB_NAME: props.database.databaseName,
        USERS_CACHE_TTL_SECONDS: String((props.usersCacheTtl ?? DEFAULT_USERS_CACHE_TTL).toSeconds()),
      },
    }).function;
    this.function = fn;
    if (!fn.role) throw new Error('the ops function has no role');
    acknowledgeCheckov(
      fn,
      'CKV_AWS_115',
      'Invoked only by the operator roles, a command at a time; reserved concurrency would take capacity from the account pool (and fails a deploy in an account at its minimum unreserved concurrency)',
    );
    acknowledgeCheckov(
      fn,
      'CKV_AWS_116',
      'Invoked synchronously by the operator commands, which print its error; a DLQ applies only to asynchronous invocations',
    );

    const { streaming } = props;
    streaming.allowClientsFrom(this.securityGroup, 'ops function (operator commands)');
    // The topic's offsets (smoke, status, replay preview) and the consumer group's: ops:replay reads and sets them.
    // Setting a group's offsets (OffsetCommit) takes AlterGroup on the group and ReadData on the topic, as a
    // consumer's commit does (https://docs.aws.amazon.com/msk/latest/developerguide/kafka-actions.html).
    streaming.grantConsume(fn, props.topic, props.consumerGroupId);
    // The re-drive reads the dead-letter topic as its own group, like `npm run consume -- --redrive`.
    streaming.grantConsume(fn, props.deadLetterTopic, REDRIVE_GROUP_ID);
    // The smoke test's dead-letter read (ops/read-topic.ts): a throwaway group each time, deleted afterwards.
    const readGroups = streaming.groupArn(`${READ_GROUP_PREFIX}*`);
    iam.Grant.addToPrincipal({
      grantee: fn,
      actions: ['kafka-cluster:DescribeGroup', 'kafka-cluster:AlterGroup', 'kafka-cluster:DeleteGroup'],
      resourceArns: [readGroups],
    });
    // cdk-nag prints a literal group ARN (an imported cluster's) as it is, and a computed one with the cluster
    // name and uuid as the Fn::Select tokens of StreamingBase.groupArn.
    const clusterPart = (index: number) =>
      JSON.stringify({
        'Fn::Select': [index, { 'Fn::Split': ['/', Stack.of(this).resolve(streaming.clusterArn)] }],
      });
    const nagResource = Token.isUnresolved(readGroups)
      ? `arn:<AWS::Partition>:kafka:<AWS::Region>:<AWS::AccountId>:group/${clusterPart(1)}/${clusterPart(2)}/${READ_GROUP_PREFIX}*`
      : readGroups;
    acknowledgeNag(
      fn.role.node.tryFindChild('DefaultPolicy') ?? fn.role,
      `AwsSolutions-IAM5[Resource::${nagResource}]`,
      `Throwaway consumer groups of the smoke test's dead-letter read, named ${READ_GROUP_PREFIX}<random> and deleted after each read; no other group matches the prefix`,
    );
    // Search (smoke counts, status) and read-only FGAC mapping; `_bulk` and the writer mapping for the re-drive.
    props.search.addReader(fn.role, this.securityGroup);
    props.search.addWriter(fn.role, this.securityGroup);
    // The re-drive classifies with the users table: the consumers' read-only login.
    props.database.grantConnect(this.securityGroup, fn);

    // Who may invoke it: a resource-policy statement per operator role, on this function only. Chosen over a
    // managed policy for the operators to attach: the list lives in reviewed config, needs no IAM change on the
    // operators' roles, and removing a role from config removes its access at the next deploy. Within the
    // account this statement alone allows the call; a role in another account also needs its own IAM policy
    // (https://docs.aws.amazon.com/lambda/latest/dg/permissions-function-cross-account.html).
    operatorRoleArns.forEach((arn, i) => {
      fn.addPermission(`OperatorInvoke${i}`, {
        principal: new iam.ArnPrincipal(arn),
        action: 'lambda:InvokeFunction',
      });
      props.search.addOperator(arn);
    });
  }
}
