// The users table's home: RDS for MySQL (full engine version pinned, no automatic minor upgrades) in the private subnets, encrypted, TLS
// required, an administrator and a read-only consumer login generated into Secrets Manager and rotated, and a
// custom resource that creates the `users` schema, seeds it with the same code the local stack uses and creates
// the consumer login (SELECT on users, nothing else).
import { CustomResource, Duration, Names, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, type IConstruct } from 'constructs';
import { DEFAULT_SEEDED_ACCOUNTS, MAX_SEEDED_ACCOUNTS } from '../core/users-schema.js';
import { DatabaseProtection } from './database-protection.js';
import { acknowledgeCheckov } from './iac-checks.js';
import { acknowledgeNag } from './nag.js';
import { PipelineProvider } from './pipeline-provider.js';
import { checkBoolean, checkInteger, checkPattern, type Fail, failIn } from './validation.js';

export const MYSQL_PORT = 3306;

/** The consumers' login; multi-user rotation alternates it with `pipeline_reader_clone`. */
export const READER_USERNAME = 'pipeline_reader';

/**
 * When each login's password rotates: monthly, in two windows that never overlap, the administrator's first.
 * The reader's multi-user rotation logs in with the administrator secret, and a single-user rotation changes the
 * database password before it promotes the secret's new version (Secrets Manager's createSecret, setSecret,
 * testSecret, finishSecret steps), so a reader rotation running during an administrator rotation can read a
 * password that no longer works. A rotation runs at any time inside its window (`Duration`), and a cron() schedule
 * pins the window, where rate() or AutomaticallyAfterDays would follow the previous rotation and drift into the
 * other's window (Secrets Manager API reference, RotationRulesType; CloudFormation
 * AWS::SecretsManager::RotationSchedule RotationRules).
 */
export const ROTATION_WINDOWS = {
  admin: { ScheduleExpression: 'cron(0 1 1 * ? *)', Duration: '2h' },
  reader: { ScheduleExpression: 'cron(0 5 1 * ? *)', Duration: '2h' },
} as const;
/** What CDK writes until the override above: a rate it replaces. */
const ROTATION_PERIOD = Duration.days(30);

/**
 * The full version, and automatic minor upgrades off: with both on, the first deploy after RDS upgraded itself
 * names an older version, a downgrade RDS refuses (aws/aws-cdk#15475). A major-only pin ('8.4') is not one of
 * the EngineVersion values CloudFormation validates against. A minor upgrade (security patches included) is a
 * reviewed change of this line; `aws rds describe-db-engine-versions --engine mysql` lists the targets.
 */
export const MYSQL_ENGINE_VERSION = rds.MysqlEngineVersion.VER_8_4_7;

/**
 * What the rest of the pipeline needs of the MySQL users table: the read-only login, the database, and network
 * access. `UsersDatabase` creates one.
 */
export interface IUsersDatabase extends IConstruct {
  /** The consumers' read-only login (SELECT on users): `host`, `port`, `username`, `password` JSON keys. */
  readonly readerSecret: secretsmanager.ISecret;
  /** The database (schema) that holds the `users` table. */
  readonly databaseName: string;
  /** A security group of the database: clients are admitted to it on `port`. */
  readonly securityGroup: ec2.ISecurityGroup;
  /** The TCP port the database listens on, for the clients' security group rules. */
  readonly port: number;
  /** The database instance, for its metrics and alarms, when the pipeline knows it. */
  readonly instance?: rds.IDatabaseInstance;
  /** Lets `client` reach the database port and `grantee` read the read-only login. */
  grantConnect(client: ec2.ISecurityGroup, grantee: iam.IGrantable): void;
}

export interface UsersDatabaseProps {
  /** The VPC the instance and its custom resources' functions run in. */
  readonly vpc: ec2.IVpc;
  /**
   * Subnets of `vpc` for the instance and the custom resources' functions: private, with a route to the RDS and
   * Secrets Manager APIs (the functions call them).
   * @default - the VPC's private subnets with egress
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * The instance class, without the `db.` prefix, which RDS adds (as `rds.DatabaseInstance` takes it).
   * @default - t4g.micro (db.t4g.micro)
   */
  readonly instanceType?: ec2.InstanceType;
  /**
   * A standby in a second availability zone, which RDS fails over to.
   * @default false - one instance: the table can be seeded again; set it for production
   */
  readonly multiAz?: boolean;
  /**
   * Deletion protection, switched on once the stack is created (lib/database-protection.ts), and a final
   * snapshot when the instance is deleted or replaced. Off: a stack delete removes the instance and its data.
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * How long RDS keeps automated backups: whole days, 1 to 35 (0 would switch backups off, which the
   * pipeline refuses).
   * @default Duration.days(7)
   */
  readonly backupRetention?: Duration;
  /**
   * Accounts 1..seedAccounts get a `users` row when the schema is created (and again when this changes); the
   * generator fleet draws its known accounts from the same range. 1 to 10,000,000.
   * @default 10000
   */
  readonly seedAccounts?: number;
  /**
   * Retention of the instance's exported logs (error, general, slow query) and of the custom resources' logs.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * The database (schema) created on the instance for the `users` table: a letter, then letters, digits or
   * underscores, 64 characters at most (RDS's DBName for MySQL).
   * @default 'logpipeline'
   */
  readonly databaseName?: string;
}

/** Where the instance runs unless told: private subnets, as `rds.DatabaseInstance` places an instance too. */
const DEFAULT_SUBNETS: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
const DEFAULT_INSTANCE_TYPE = 't4g.micro';

/**
 * The checks of a UsersDatabase's props, run by its constructor and by lib/config.ts on the context (which
 * maps `instanceType` to `dbInstanceType` and so on). Values that are not given pass: their defaults are valid.
 */
export function checkUsersDatabaseProps(props: Omit<UsersDatabaseProps, 'vpc'>, fail: Fail): void {
  if (props.instanceType !== undefined) {
    checkPattern(
      fail,
      'instanceType',
      // The identifier as given (a string unless the context held something else), so the error quotes it.
      props.instanceType.toString(),
      /^[a-z0-9]+\.[a-z0-9]+$/,
      'use an RDS class without the db. prefix, such as t4g.micro',
    );
  }
  if (props.multiAz !== undefined) checkBoolean(fail, 'multiAz', props.multiAz);
  if (props.deletionProtection !== undefined) {
    checkBoolean(fail, 'deletionProtection', props.deletionProtection);
  }
  if (props.backupRetention !== undefined && !props.backupRetention.isUnresolved()) {
    // RDS keeps automated backups 0 to 35 days, 0 switching them off (Amazon RDS User Guide, "Introduction to
    // backups": https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_WorkingWithAutomatedBackups.html).
    const days = props.backupRetention.toDays({ integral: false });
    if (!Number.isInteger(days) || days < 1 || days > 35) {
      fail('backupRetention', days, 'must be whole days from 1 to 35 (0 would switch backups off)');
    }
  }
  // At least one: the fleet's generator needs known accounts, and its SSM document defaults to this count.
  if (props.seedAccounts !== undefined) {
    checkInteger(fail, 'seedAccounts', props.seedAccounts, 1, MAX_SEEDED_ACCOUNTS);
  }
  if (props.databaseName !== undefined) {
    checkPattern(
      fail,
      'databaseName',
      props.databaseName,
      /^[A-Za-z][A-Za-z0-9_]{0,63}$/,
      'use a letter, then letters, digits or "_", 64 characters at most',
    );
  }
}

export class UsersDatabase extends Construct implements IUsersDatabase {
  readonly instance: rds.DatabaseInstance;
  /** The administrator login (the instance's master user): for the schema custom resource only. */
  readonly secret: secretsmanager.ISecret;
  /** The consumers' read-only login (SELECT on users), what `grantConnect` hands out. */
  readonly readerSecret: secretsmanager.ISecret;
  readonly databaseName: string;
  readonly securityGroup: ec2.SecurityGroup;
  /** The MySQL port, 3306: a custom port adds nothing behind security groups (see AwsSolutions-RDS11 below). */
  readonly port = MYSQL_PORT;
  /** Switches the instance's deletion protection on or off; the stack orders it last (`orderLast`). */
  readonly protection: DatabaseProtection;

  constructor(scope: Construct, id: string, props: UsersDatabaseProps) {
    super(scope, id);
    checkUsersDatabaseProps(props, failIn(this));
    const subnets = props.vpcSubnets ?? DEFAULT_SUBNETS;
    const multiAz = props.multiAz ?? false;
    const deletionProtection = props.deletionProtection ?? true;
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    this.databaseName = props.databaseName ?? 'logpipeline';
    const parameterGroup = new rds.ParameterGroup(this, 'Parameters', {
      engine: rds.DatabaseInstanceEngine.mysql({ version: MYSQL_ENGINE_VERSION }),
      description: 'Log pipeline users database: TLS only, general and slow-query logs',
      parameters: {
        // RDS takes its boolean parameters as 0/1.
        require_secure_transport: '1',
        // The exported general and slow-query logs stay empty unless the engine writes them, to files (RDS
        // publishes FILE output to CloudWatch Logs, not TABLE). The general log is small here (one users query
        // per 2,000-record chunk) and records who connected; passwords are rewritten out of it by MySQL.
        general_log: '1',
        slow_query_log: '1',
        // A users query that waits this long is already a quarter of USERS_QUERY_TIMEOUT_MS (5 s).
        long_query_time: '1',
        log_output: 'FILE',
      },
    });
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Users database of the log pipeline (MySQL over TLS)',
      allowAllOutbound: false,
    });
    // A fixed identifier lets the log groups exist (with retention) before RDS starts exporting to them.
    const instanceIdentifier = Names.uniqueResourceName(this, {
      maxLength: 50,
      separator: '-',
    }).toLowerCase();
    const exportedLogs = ['error', 'general', 'slowquery'];
    const logGroups = exportedLogs.map(
      (type) =>
        new logs.LogGroup(this, `${type}Logs`, {
          logGroupName: `/aws/rds/instance/${instanceIdentifier}/${type}`,
          retention: logRetention,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
    );
    this.instance = new rds.DatabaseInstance(this, 'Instance', {
      instanceIdentifier,
      securityGroups: [this.securityGroup],
      engine: rds.DatabaseInstanceEngine.mysql({ version: MYSQL_ENGINE_VERSION }),
      instanceType: props.instanceType ?? new ec2.InstanceType(DEFAULT_INSTANCE_TYPE),
      vpc: props.vpc,
      vpcSubnets: subnets,
      credentials: rds.Credentials.fromGeneratedSecret('pipeline_admin'),
      databaseName: this.databaseName,
      parameterGroup,
      multiAz,
      storageEncrypted: true,
      allocatedStorage: 20,
      maxAllocatedStorage: 100,
      storageType: rds.StorageType.GP3,
      iamAuthentication: true,
      backupRetention: props.backupRetention ?? Duration.days(7),
      // Not set here (the template leaves DeletionProtection out): the DeletionProtection resource below switches
      // it on once the whole first create has succeeded, so that a failed create can still delete the instance.
      // A stack delete or a replacement keeps a final snapshot while protected.
      removalPolicy: deletionProtection ? RemovalPolicy.SNAPSHOT : RemovalPolicy.DESTROY,
      // RDS must not move the instance off the pinned version behind the template's back (see above).
      autoMinorVersionUpgrade: false,
      cloudwatchLogsExports: exportedLogs,
      enablePerformanceInsights: false,
      // OS metrics (memory, swap, per-process CPU) that the CloudWatch instance metrics do not have.
      monitoringInterval: Duration.seconds(60),
      caCertificate: rds.CaCertificate.RDS_CA_RSA2048_G1,
    });
    for (const group of logGroups) this.instance.node.addDependency(group);
    acknowledgeNag(
      this.instance.node.findChild('MonitoringRole'),
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]',
      'AWS-maintained policy that lets RDS publish enhanced monitoring to its own RDSOSMetrics log group, nothing else',
    );
    acknowledgeNag(
      this.instance,
      'AwsSolutions-RDS11',
      'The default MySQL port is reachable only from the pipeline security groups inside private subnets; a custom port adds no protection',
    );
    if (!multiAz) {
      acknowledgeNag(
        this.instance,
        'AwsSolutions-RDS3',
        'dbMultiAz is false for this (dev) deployment: the users table is re-seedable; set dbMultiAz for production',
      );
      acknowledgeCheckov(
        this.instance,
        'CKV_AWS_157',
        'dbMultiAz is false for this (dev) deployment: the users table is re-seedable; set dbMultiAz for production',
      );
    }
    acknowledgeNag(
      this.instance,
      'AwsSolutions-RDS10',
      deletionProtection
        ? 'Deletion protection is switched on by the DeletionProtection custom resource once the stack is created (lib/database-protection.ts): set in the template, a failed first create could not roll back'
        : 'dbDeletionProtection is false for this disposable deployment so that cdk destroy removes it',
    );
    acknowledgeCheckov(
      this.instance,
      'CKV_AWS_293',
      deletionProtection
        ? 'Deletion protection is switched on by the DeletionProtection custom resource once the stack is created (lib/database-protection.ts): set in the template, a failed first create could not roll back'
        : 'dbDeletionProtection is false for this disposable deployment so that cdk destroy removes it',
    );
    if (!this.instance.secret) throw new Error('the generated database secret is missing');
    this.secret = this.instance.secret;
    // No rotation at creation (RotateImmediatelyOnUpdate false): the generated passwords are new, and two first
    // rotations at once are exactly the race the windows prevent.
    this.instance.addRotationSingleUser({
      automaticallyAfter: ROTATION_PERIOD,
      rotateImmediatelyOnUpdate: false,
    });
    rotateIn(this.secret, ROTATION_WINDOWS.admin);
    // Multi-user rotation: each rotation sets a new password on the login the secret does not currently name
    // (pipeline_reader or pipeline_reader_clone, same grants) and then switches the secret to it, so the
    // login a consumer holds keeps working through the rotation.
    const readerSecret = new rds.DatabaseSecret(this, 'ReaderSecret', {
      username: READER_USERNAME,
      dbname: this.databaseName,
      masterSecret: this.secret,
    });
    this.readerSecret = readerSecret.attach(this.instance);
    this.instance.addRotationMultiUser('ReaderRotation', {
      secret: this.readerSecret,
      automaticallyAfter: ROTATION_PERIOD,
      rotateImmediatelyOnUpdate: false,
    });
    rotateIn(this.readerSecret, ROTATION_WINDOWS.reader);
    for (const secret of [this.instance.node.findChild('Secret'), readerSecret]) {
      acknowledgeCheckov(
        secret,
        'CKV_AWS_149',
        'Encrypted with the aws/secretsmanager key, which no other account can use; access is granted per role on the secret (grantRead), not on a key',
      );
    }

    const schemaSecurityGroup = new ec2.SecurityGroup(this, 'SchemaProviderSecurityGroup', {
      vpc: props.vpc,
      description: 'Users schema custom resource handler of the log pipeline',
      allowAllOutbound: true,
    });
    const provider = new PipelineProvider(this, 'SchemaProvider', {
      entry: 'lambdas/users-schema-provider.ts',
      description: 'Creates and seeds the users table and the read-only login (custom resource)',
      vpc: props.vpc,
      vpcSubnets: subnets,
      securityGroups: [schemaSecurityGroup],
      logRetention,
    });
    this.allowConnectionsFrom(schemaSecurityGroup, 'users schema custom resource');
    this.secret.grantRead(provider.handler.function);
    this.readerSecret.grantRead(provider.handler.function);
    const schema = new CustomResource(this, 'Schema', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::UsersSchema',
      properties: {
        SecretArn: this.secret.secretArn,
        ReaderSecretArn: this.readerSecret.secretArn,
        DatabaseName: this.databaseName,
        SeedAccounts: props.seedAccounts ?? DEFAULT_SEEDED_ACCOUNTS,
      },
    });
    // The handler connects at once: it waits for the instance, for the secrets' connection details and for
    // the ingress rules of the database's security group, and for nothing else of the instance's subtree.
    // (The secrets' attachments are referenced by SecretArn and ReaderSecretArn, which orders them already.)
    schema.node.addDependency(cfnOf(this.instance), this.securityGroup);
    // Secrets Manager rotates as soon as a schedule exists, changing the password before it promotes the new
    // version: rotating only after the schema resource keeps it from reading a stale password at creation,
    // and the reader login must exist before its first rotation clones it.
    this.protection = new DatabaseProtection(this, 'DeletionProtection', {
      instance: this.instance,
      enabled: deletionProtection,
      vpc: props.vpc,
      vpcSubnets: subnets,
      logRetention,
    });
    const schedules = [this.secret, this.readerSecret].map((s) => s.node.findChild('RotationSchedule'));
    for (const schedule of schedules) schedule.node.addDependency(schema);
    // And one after the other, the administrator's first: a schedule that is set up (or changed with an immediate
    // rotation) never meets the other's rotation in the same stack operation.
    schedules[1]?.node.addDependency(schedules[0] as IConstruct);
  }

  /**
   * Makes the deletion protection the stack's last resource: a failed first create then always meets an
   * unprotected instance, which it can delete.
   */
  protectOnceCreated(stack: Construct): void {
    this.protection.orderLast(stack);
  }

  /** Lets `client` reach the database port and read the read-only consumer login. */
  grantConnect(client: ec2.ISecurityGroup, grantee: iam.IGrantable): void {
    this.allowConnectionsFrom(client, 'users lookups');
    this.readerSecret.grantRead(grantee);
  }

  private allowConnectionsFrom(client: ec2.ISecurityGroup, description: string): void {
    this.securityGroup.addIngressRule(client, ec2.Port.tcp(this.port), description);
  }
}

/** Replaces the rotation rules CDK writes (a rate) with a fixed window. */
function rotateIn(
  secret: secretsmanager.ISecret,
  rules: { readonly ScheduleExpression: string; readonly Duration: string },
): void {
  const cfn = secret.node.tryFindChild('RotationSchedule')?.node.defaultChild as
    | secretsmanager.CfnRotationSchedule
    | undefined;
  if (!cfn) throw new Error(`${secret.node.path}: no rotation schedule to set the window of`);
  cfn.addPropertyOverride('RotationRules', { ...rules });
}

/** The CloudFormation resource of an L2 construct, to depend on it without its whole subtree. */
function cfnOf(construct: IConstruct): IConstruct {
  const cfn = construct.node.defaultChild;
  if (!cfn) throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return cfn;
}
