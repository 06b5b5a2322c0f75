// ExistingUsersTable alone: a reference to the platform's users table that admits the pipeline's clients and
// lets them read the read-only login, and creates nothing of a database.
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { afterAll, describe, expect, it } from 'vitest';
import { ExistingUsersTable, type ExistingUsersTableProps } from '../../lib/existing-users-table.js';
import { PropsError } from '../../lib/validation.js';
import { removeScratchOutdirs, resourceTypes, testApp } from './stack-fixture.js';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:users-reader-AbCdEf';
const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555';

/** A stack with the platform's imported database pieces and one client (security group and role). */
function platform(options: { mutable?: boolean; encryptionKey?: boolean } = {}) {
  // Under cdk.json's feature flags, as `cdk synth` builds it (they sort a policy's actions, for one).
  const stack = new Stack(testApp(undefined, { bundling: false }), 'PlatformStack', {
    env: { account: '123456789012', region: 'eu-west-1' },
  });
  const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
    vpcId: 'vpc-0123456789abcdef0',
    availabilityZones: ['eu-west-1a', 'eu-west-1b'],
    privateSubnetIds: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0bbbbbbbbbbbbbbb2'],
    privateSubnetRouteTableIds: ['rtb-0aaaaaaaaaaaaaaa1', 'rtb-0bbbbbbbbbbbbbbb2'],
  });
  const props: ExistingUsersTableProps = {
    readerSecret: secretsmanager.Secret.fromSecretAttributes(stack, 'ReaderSecret', {
      secretCompleteArn: SECRET_ARN,
      encryptionKey: options.encryptionKey ? kms.Key.fromKeyArn(stack, 'SecretKey', KEY_ARN) : undefined,
    }),
    databaseName: 'accounts',
    securityGroup: ec2.SecurityGroup.fromSecurityGroupId(stack, 'DatabaseSg', 'sg-0db0000000000000a', {
      mutable: options.mutable ?? true,
    }),
  };
  const clientSg = new ec2.SecurityGroup(stack, 'ClientSg', { vpc });
  const client = new iam.Role(stack, 'Client', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
  });
  return { stack, props, clientSg, client };
}

describe('ExistingUsersTable', () => {
  afterAll(removeScratchOutdirs);

  it('admits a client to the imported security group on the MySQL port', () => {
    const { stack, props, clientSg, client } = platform();
    new ExistingUsersTable(stack, 'UsersTable', props).grantConnect(clientSg, client);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 1);
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: 'sg-0db0000000000000a',
      IpProtocol: 'tcp',
      FromPort: 3306,
      ToPort: 3306,
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ClientSg'), 'GroupId'] },
    });
  });

  it("admits a client on the database's own port when it is not 3306", () => {
    const { stack, props, clientSg, client } = platform();
    const table = new ExistingUsersTable(stack, 'UsersTable', { ...props, port: 3307 });
    table.grantConnect(clientSg, client);
    expect(table.port).toBe(3307);
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: 'sg-0db0000000000000a',
      FromPort: 3307,
      ToPort: 3307,
    });
  });

  it('adds no rule to a security group imported as immutable: its owner admits the clients', () => {
    const { stack, props, clientSg, client } = platform({ mutable: false });
    new ExistingUsersTable(stack, 'UsersTable', props).grantConnect(clientSg, client);
    Template.fromStack(stack).resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
  });

  it('lets a client read the read-only login, and nothing else', () => {
    const { stack, props, clientSg, client } = platform();
    new ExistingUsersTable(stack, 'UsersTable', props).grantConnect(clientSg, client);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::IAM::Policy', 1);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^Client') }],
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
            Resource: SECRET_ARN,
          },
        ],
      },
    });
  });

  it("lets a client decrypt the login with the secret's customer managed key, through Secrets Manager only", () => {
    const { stack, props, clientSg, client } = platform({ encryptionKey: true });
    new ExistingUsersTable(stack, 'UsersTable', props).grantConnect(clientSg, client);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Effect: 'Allow',
            Action: 'kms:Decrypt',
            Resource: KEY_ARN,
            Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' } },
          },
        ]),
      },
    });
  });

  it('creates no database, login, rotation, schema or protection: no RDS, secret, function or custom resource', () => {
    const { stack, props, clientSg, client } = platform();
    new ExistingUsersTable(stack, 'UsersTable', props).grantConnect(clientSg, client);
    const types = resourceTypes(Template.fromStack(stack)).sort();
    expect(types).toEqual([
      'AWS::EC2::SecurityGroup',
      'AWS::EC2::SecurityGroupIngress',
      'AWS::IAM::Policy',
      'AWS::IAM::Role',
    ]);
  });

  it('hands the database name, the login and the instance (for its metrics) to the clients', () => {
    const { stack, props } = platform();
    const instance = rds.DatabaseInstance.fromDatabaseInstanceAttributes(stack, 'Instance', {
      instanceIdentifier: 'platform-users',
      instanceEndpointAddress: 'platform-users.abc.eu-west-1.rds.amazonaws.com',
      port: 3306,
      securityGroups: [props.securityGroup],
    });
    const table = new ExistingUsersTable(stack, 'UsersTable', { ...props, instance });
    expect(table.databaseName).toBe('accounts');
    expect(table.readerSecret.secretArn).toBe(SECRET_ARN);
    expect(table.instance).toBe(instance);
    expect(new ExistingUsersTable(stack, 'WithoutInstance', props).instance).toBeUndefined();
  });

  it.each([
    [
      { databaseName: 'accounts;drop' },
      'PlatformStack/UsersTable: databaseName: use the name of the database that holds the users table: letters, digits, "_" or "$", 64 characters at most, got "accounts;drop"',
    ],
    [{ databaseName: '' }, /databaseName: use the name of the database .*, got ""$/],
    [{ port: 0 }, 'PlatformStack/UsersTable: port: must be an integer between 1 and 65535, got 0'],
    [{ port: 3306.5 }, 'PlatformStack/UsersTable: port: must be an integer between 1 and 65535, got 3306.5'],
  ])('refuses %o, naming the prop, the value and the fix', (override, message) => {
    const { stack, props } = platform();
    let thrown: unknown;
    try {
      new ExistingUsersTable(stack, 'UsersTable', { ...props, ...override });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(PropsError);
    if (typeof message === 'string') expect((thrown as PropsError).message).toBe(message);
    else expect((thrown as PropsError).message).toMatch(message);
  });
});
