// The users table's home: RDS for MySQL (full engine version pinned, no automatic minor upgrades) in the private subnets, encrypted, TLS
// required, credentials generated into Secrets Manager and rotated, and a custom resource that creates the
// `users` schema and seeds it with the same code the local stack uses.
import { CustomResource, Duration, Names, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledgeCfnLint, acknowledgeCheckov } from './iac-checks.js';
import { acknowledgeNag } from './nag.js';
import { PipelineProvider } from './pipeline-provider.js';

const MYSQL_PORT = 3306;

/**
 * The full version, and automatic minor upgrades off: with both on, the first deploy after RDS upgraded itself
 * names an older version, a downgrade RDS refuses (aws/aws-cdk#15475). A major-only pin ('8.4') is not one of
 * the EngineVersion values CloudFormation validates against. A minor upgrade (security patches included) is a
 * reviewed change of this line; `aws rds describe-db-engine-versions --engine mysql` lists the targets.
 */
export const MYSQL_ENGINE_VERSION = rds.MysqlEngineVersion.VER_8_4_7;

export interface UsersDatabaseProps {
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  /** RDS instance class without the `db.` prefix, e.g. `t4g.micro`. */
  readonly instanceType: string;
  readonly multiAz: boolean;
  readonly deletionProtection: boolean;
  readonly backupRetention: Duration;
  /** Accounts 1..seedAccounts get a users row. */
  readonly seedAccounts: number;
  readonly logRetention: logs.RetentionDays;
  /** @default 'logpipeline' */
  readonly databaseName?: string;
}

export class UsersDatabase extends Construct {
  readonly instance: rds.DatabaseInstance;
  readonly secret: secretsmanager.ISecret;
  readonly databaseName: string;
  readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: UsersDatabaseProps) {
    super(scope, id);
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
          retention: props.logRetention,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
    );
    this.instance = new rds.DatabaseInstance(this, 'Instance', {
      instanceIdentifier,
      securityGroups: [this.securityGroup],
      engine: rds.DatabaseInstanceEngine.mysql({ version: MYSQL_ENGINE_VERSION }),
      instanceType: new ec2.InstanceType(props.instanceType),
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      credentials: rds.Credentials.fromGeneratedSecret('pipeline_admin'),
      databaseName: this.databaseName,
      parameterGroup,
      multiAz: props.multiAz,
      storageEncrypted: true,
      allocatedStorage: 20,
      maxAllocatedStorage: 100,
      storageType: rds.StorageType.GP3,
      iamAuthentication: true,
      backupRetention: props.backupRetention,
      deletionProtection: props.deletionProtection,
      removalPolicy: props.deletionProtection ? RemovalPolicy.SNAPSHOT : RemovalPolicy.DESTROY,
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
    if (!props.multiAz) {
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
    if (!props.deletionProtection) {
      acknowledgeNag(
        this.instance,
        'AwsSolutions-RDS10',
        'dbDeletionProtection is false for this disposable deployment so that cdk destroy removes it',
      );
    }
    if (!this.instance.secret) throw new Error('the generated database secret is missing');
    this.secret = this.instance.secret;
    acknowledgeCheckov(
      this.instance.node.findChild('Secret'),
      'CKV_AWS_149',
      'Encrypted with the aws/secretsmanager key, which no other account can use; access is granted per role on the secret (grantRead), not on a key',
    );
    this.instance.addRotationSingleUser({ automaticallyAfter: Duration.days(30) });

    const schemaSecurityGroup = new ec2.SecurityGroup(this, 'SchemaProviderSecurityGroup', {
      vpc: props.vpc,
      description: 'Users schema custom resource handler of the log pipeline',
      allowAllOutbound: true,
    });
    const provider = new PipelineProvider(this, 'SchemaProvider', {
      entry: 'lambdas/users-schema-provider.ts',
      description: 'Creates and seeds the users table (custom resource)',
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      securityGroups: [schemaSecurityGroup],
      logRetention: props.logRetention,
    });
    this.grantConnect(schemaSecurityGroup, provider.handler.function);
    const schema = new CustomResource(this, 'Schema', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::UsersSchema',
      properties: {
        SecretArn: this.secret.secretArn,
        DatabaseName: this.databaseName,
        SeedAccounts: props.seedAccounts,
      },
    });
    // The handler connects at once: wait for the instance and for the ingress rules of its security group.
    schema.node.addDependency(this.instance, this.securityGroup);
    // The instance subtree includes the secret attachment, which SecretArn references anyway.
    acknowledgeCfnLint(schema, 'W3005', 'the dependency on the whole instance subtree repeats one Ref');
  }

  /** Lets `client` reach the database port and read the credentials secret. */
  grantConnect(client: ec2.ISecurityGroup, grantee: iam.IGrantable): void {
    this.securityGroup.addIngressRule(client, ec2.Port.tcp(MYSQL_PORT), 'users lookups');
    this.secret.grantRead(grantee);
  }
}
