// A users table the platform already runs, in its own RDS for MySQL or Aurora MySQL database, for the pipeline
// to read instead of creating UsersDatabase. The pipeline only reads: it creates no instance, no administrator
// login, no rotation, no schema or seed and no deletion protection, and it never writes to the table. What it
// adds is what its clients need to get in: an ingress rule on the database's security group per client, and a
// read grant on the read-only login's secret per client role.
import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { type IUsersDatabase, MYSQL_PORT } from './users-database.js';
import { checkInteger, checkPattern, type Fail, failIn } from './validation.js';

export interface ExistingUsersTableProps {
  /**
   * The read-only login the consumers and the ops function use: a secret whose JSON holds `host`, `username`,
   * `password` and optionally `port` (default 3306), the structure Secrets Manager's RDS rotation functions use
   * (https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_secret_json_structure.html), so the
   * owner's own rotation keeps it current; the pipeline re-reads it at most every 5 minutes, and at once when
   * MySQL refuses the password. `host` must be the RDS endpoint name (instance, or Aurora cluster or reader
   * endpoint): the runtime verifies the server certificate against the Amazon RDS CA bundle, host name included.
   * The login needs SELECT on `databaseName`.users and nothing else. A secret encrypted with a customer managed
   * key: import it with `Secret.fromSecretAttributes(this, id, { secretCompleteArn, encryptionKey })`; the
   * clients' roles then get kms:Decrypt on that key through Secrets Manager, which works as long as the key's
   * policy lets the account's IAM policies grant its use (the default key policy does).
   */
  readonly readerSecret: secretsmanager.ISecret;
  /**
   * The database (schema) that holds the `users` table: what the runtime connects to (DB_NAME), whatever `dbname`
   * the secret names.
   */
  readonly databaseName: string;
  /**
   * A security group of the database: the pipeline adds an ingress rule from each client's security group on
   * `port`. Imported with `mutable: false`, it gets no rules: the owner then admits the pipeline's security
   * groups (consumer, ops function) themselves.
   */
  readonly securityGroup: ec2.ISecurityGroup;
  /**
   * The port the database listens on (the secret's `port`), for the security group rules.
   * @default 3306
   */
  readonly port?: number;
  /**
   * The RDS instance, for the database CPU alarm and the dashboard widget of the pipeline's Observability. An
   * Aurora cluster has no single instance: leave it out.
   * @default - no database alarm or widget
   */
  readonly instance?: rds.IDatabaseInstance;
}

/**
 * The checks of ExistingUsersTable's props, run by its constructor. Tokens (values known only at deploy time)
 * pass.
 */
export function checkExistingUsersTableProps(props: ExistingUsersTableProps, fail: Fail): void {
  // MySQL's unquoted identifier characters, 64 at most (MySQL Reference Manual, "Schema Object Names"); the
  // runtime passes the name to mysql2 as the connection's database.
  checkPattern(
    fail,
    'databaseName',
    props.databaseName,
    /^[A-Za-z0-9_$]{1,64}$/,
    'use the name of the database that holds the users table: letters, digits, "_" or "$", 64 characters at most',
  );
  if (props.port !== undefined) checkInteger(fail, 'port', props.port, 1, 65_535);
}

/**
 * The users table of a database the platform owns, as an `IUsersDatabase` for the consumers, the ops function
 * and Observability.
 *
 * @example
 * const table = new ExistingUsersTable(this, 'UsersTable', {
 *   readerSecret: secretsmanager.Secret.fromSecretCompleteArn(this, 'Reader', readerSecretArn),
 *   databaseName: 'accounts',
 *   securityGroup: ec2.SecurityGroup.fromSecurityGroupId(this, 'DbSg', 'sg-0123456789abcdef0'),
 * });
 */
export class ExistingUsersTable extends Construct implements IUsersDatabase {
  readonly readerSecret: secretsmanager.ISecret;
  readonly databaseName: string;
  readonly securityGroup: ec2.ISecurityGroup;
  readonly port: number;
  readonly instance?: rds.IDatabaseInstance;

  constructor(scope: Construct, id: string, props: ExistingUsersTableProps) {
    super(scope, id);
    checkExistingUsersTableProps(props, failIn(this));
    this.readerSecret = props.readerSecret;
    this.databaseName = props.databaseName;
    this.securityGroup = props.securityGroup;
    this.port = props.port ?? MYSQL_PORT;
    this.instance = props.instance;
  }

  /** Lets `client` reach the database port and `grantee` read the read-only login (and decrypt it). */
  grantConnect(client: ec2.ISecurityGroup, grantee: iam.IGrantable): void {
    this.securityGroup.addIngressRule(client, ec2.Port.tcp(this.port), 'users lookups of the log pipeline');
    this.readerSecret.grantRead(grantee);
    const key = this.readerSecret.encryptionKey;
    if (key) {
      // grantRead grants decryption to a ViaServicePrincipal, which only a key policy can hold: on an imported
      // key it lands nowhere (aws/aws-cdk#10160, #20087). So the grantee's own policy gets it, and only through
      // Secrets Manager (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service).
      iam.Grant.addToPrincipal({
        grantee,
        actions: ['kms:Decrypt'],
        resourceArns: [key.keyArn],
        conditions: {
          StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` },
        },
      });
    }
  }
}
