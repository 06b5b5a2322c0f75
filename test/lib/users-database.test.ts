import { Duration, Stack, Token } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { DatabaseProtection } from '../../lib/database-protection.js';
import {
  checkUsersDatabaseProps,
  ROTATION_WINDOWS,
  UsersDatabase,
  type UsersDatabaseProps,
} from '../../lib/users-database.js';
import { failIn, PropsError } from '../../lib/validation.js';
import { type CfnProperties, constructStack, removeOutdir } from './stack-fixture.js';

describe('UsersDatabase', () => {
  let fixture: ReturnType<typeof constructStack>;
  let template: Template;

  beforeAll(() => {
    fixture = constructStack();
    new UsersDatabase(fixture.stack, 'UsersDatabase', {
      vpc: fixture.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      instanceType: new ec2.InstanceType('t4g.micro'),
      multiAz: true,
      deletionProtection: true,
      backupRetention: Duration.days(7),
      seedAccounts: 10_000,
      logRetention: logs.RetentionDays.ONE_MONTH,
    });
    template = Template.fromStack(fixture.stack);
  });
  afterAll(() => removeOutdir(fixture));

  it('runs MySQL 8.4, encrypted, Multi-AZ from config and backed up', () => {
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      Engine: 'mysql',
      DBInstanceClass: 'db.t4g.micro',
      StorageEncrypted: true,
      MultiAZ: true,
      BackupRetentionPeriod: 7,
      EnableIAMDatabaseAuthentication: true,
      PubliclyAccessible: false,
      EnableCloudwatchLogsExports: ['error', 'general', 'slowquery'],
    });
  });

  it('pins the full engine version and leaves upgrades to the template, so no deploy is ever a downgrade', () => {
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      EngineVersion: Match.stringLikeRegexp('^8\\.4\\.\\d+$'),
      AutoMinorVersionUpgrade: false,
    });
    template.hasResourceProperties('AWS::RDS::DBParameterGroup', { Family: 'mysql8.4' });
  });

  it('requires TLS for every connection, in the 0/1 form RDS takes for boolean parameters', () => {
    template.hasResourceProperties('AWS::RDS::DBParameterGroup', {
      Parameters: Match.objectLike({ require_secure_transport: '1' }),
    });
  });

  it('publishes enhanced monitoring every minute through its own monitoring role', () => {
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      MonitoringInterval: 60,
      MonitoringRoleArn: Match.objectLike({
        'Fn::GetAtt': [Match.stringLikeRegexp('MonitoringRole'), 'Arn'],
      }),
    });
  });

  it('writes the general and slow-query logs to files, so the exports to CloudWatch are not empty', () => {
    template.hasResourceProperties('AWS::RDS::DBParameterGroup', {
      Parameters: Match.objectLike({
        general_log: '1',
        slow_query_log: '1',
        long_query_time: '1',
        log_output: 'FILE',
      }),
    });
  });

  it('keeps generated credentials in Secrets Manager and rotates them', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({ SecretStringTemplate: '{"username":"pipeline_admin"}' }),
    });
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      RotationRules: {
        ScheduleExpression: Match.stringLikeRegexp('^cron\\(0 \\d \\d \\* \\? \\*\\)$'),
        Duration: '2h',
      },
    });
  });

  it('never rotates both logins at once: none at creation, one after the other, in windows that do not overlap', () => {
    const schedules = Object.entries(template.findResources('AWS::SecretsManager::RotationSchedule')) as [
      string,
      { DependsOn?: string[]; Properties: CfnProperties },
    ][];
    const admin = schedules.find(([, r]) =>
      JSON.stringify(r.Properties.SecretId).includes('InstanceSecretAttachment'),
    );
    const reader = schedules.find(([, r]) =>
      JSON.stringify(r.Properties.SecretId).includes('ReaderSecretAttachment'),
    );
    if (!admin || !reader) throw new Error('expected the administrator and the reader rotation schedules');
    // No first rotation when the schedule is created: two immediate first rotations would race.
    for (const [, schedule] of [admin, reader]) {
      expect(schedule.Properties.RotateImmediatelyOnUpdate).toBe(false);
    }
    // The reader's schedule is set up only after the administrator's.
    expect(reader[1].DependsOn).toContain(admin[0]);
    expect(admin[1].DependsOn ?? []).not.toContain(reader[0]);
    // Fixed windows on the same day of the month, the administrator's closed before the reader's opens.
    expect(admin[1].Properties.RotationRules).toEqual(ROTATION_WINDOWS.admin);
    expect(reader[1].Properties.RotationRules).toEqual(ROTATION_WINDOWS.reader);
    const window = (rules: { ScheduleExpression: string; Duration: string }) => {
      const [minute, hour, day] = rules.ScheduleExpression.replace(/^cron\(|\)$/g, '').split(' ');
      const start = Number(hour) * 60 + Number(minute);
      return { day, start, end: start + Number.parseInt(rules.Duration, 10) * 60 };
    };
    const [a, r] = [window(ROTATION_WINDOWS.admin), window(ROTATION_WINDOWS.reader)];
    expect(a.day).toBe(r.day);
    expect(a.end).toBeLessThan(r.start);
  });

  it('gives the consumers their own login, rotated by the multi-user scheme with the admin secret', () => {
    // The template holds the admin secret's ARN (masterarn), which the multi-user rotation logs in with.
    const readers = Object.values(template.findResources('AWS::SecretsManager::Secret')).filter((r) =>
      JSON.stringify(r).includes(
        '{\\"username\\":\\"pipeline_reader\\",\\"dbname\\":\\"logpipeline\\",\\"masterarn\\":',
      ),
    );
    expect(Object.keys(readers)).toHaveLength(1);
    template.resourceCountIs('AWS::SecretsManager::SecretTargetAttachment', 2);
    template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 2);
    template.hasResourceProperties('AWS::Serverless::Application', {
      Location: Match.objectLike({ ApplicationId: Match.anyValue() }),
      Parameters: Match.objectLike({
        masterSecretArn: { Ref: Match.stringLikeRegexp('^UsersDatabaseInstanceSecretAttachment') },
      }),
    });
  });

  it('creates and seeds the users schema and the reader login through a custom resource reading both secrets', () => {
    template.hasResourceProperties('Custom::UsersSchema', {
      SecretArn: { Ref: Match.stringLikeRegexp('^UsersDatabaseInstanceSecretAttachment') },
      ReaderSecretArn: { Ref: Match.stringLikeRegexp('^UsersDatabaseReaderSecretAttachment') },
      DatabaseName: 'logpipeline',
      SeedAccounts: 10_000,
    });
  });

  it('seeds only once the handler may reach the database port', () => {
    const schema = Object.values(template.findResources('Custom::UsersSchema'))[0] as { DependsOn: string[] };
    expect(schema.DependsOn).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^UsersDatabaseSecurityGroupfrom.*SchemaProviderSecurityGroup/),
      ]),
    );
  });

  it('never races a rotation: the schema waits for the instance and secrets only, every rotation waits for the schema', () => {
    const [schemaId, schema] = Object.entries(template.findResources('Custom::UsersSchema'))[0] as [
      string,
      { DependsOn: string[]; Properties: Record<string, unknown> },
    ];
    expect(schema.DependsOn).toEqual(
      expect.arrayContaining([expect.stringMatching(/^UsersDatabaseInstance[0-9A-F]{8}$/)]),
    );
    // The secrets' attachments come in through the references (an explicit DependsOn would repeat them).
    expect(JSON.stringify(schema.Properties.SecretArn)).toMatch(/UsersDatabaseInstanceSecretAttachment/);
    expect(JSON.stringify(schema.Properties.ReaderSecretArn)).toMatch(/UsersDatabaseReaderSecretAttachment/);
    expect(schema.DependsOn.filter((id) => /Rotation/.test(id) && !/SecurityGroup/.test(id))).toEqual([]);
    const schedules = template.findResources('AWS::SecretsManager::RotationSchedule');
    expect(Object.keys(schedules)).toHaveLength(2);
    for (const schedule of Object.values(schedules) as { DependsOn?: string[] }[]) {
      expect(schedule.DependsOn).toContain(schemaId);
    }
  });

  it('leaves deletion protection out of the instance, keeping a final snapshot on delete and replacement', () => {
    const instance = Object.values(template.findResources('AWS::RDS::DBInstance'))[0] as {
      Properties: CfnProperties;
      DeletionPolicy: string;
      UpdateReplacePolicy: string;
    };
    // Set from the start, it would make any failed first create end in ROLLBACK_FAILED.
    expect(instance.Properties).not.toHaveProperty('DeletionProtection');
    expect(instance.DeletionPolicy).toBe('Snapshot');
    expect(instance.UpdateReplacePolicy).toBe('Snapshot');
    template.hasResourceProperties('Custom::DatabaseDeletionProtection', {
      DBInstanceIdentifier: { Ref: Match.stringLikeRegexp('^UsersDatabaseInstance') },
      Enabled: true,
    });
  });

  it('switches deletion protection on only after every other resource of the stack is created', () => {
    const scratch = constructStack();
    onTestFinished(() => removeOutdir(scratch));
    // The defaults: protected, single-AZ.
    const database = new UsersDatabase(scratch.stack, 'UsersDatabase', { vpc: scratch.vpc });
    // Something created late in the stack, which may fail after the database exists.
    new logs.LogGroup(scratch.stack, 'SomethingElse');
    database.protectOnceCreated(scratch.stack);

    const resources = Template.fromStack(scratch.stack).toJSON().Resources as Record<
      string,
      { Type: string; DependsOn?: string[]; Properties?: CfnProperties }
    >;
    const [protectionId, protection] = Object.entries(resources).find(
      ([, r]) => r.Type === 'Custom::DatabaseDeletionProtection',
    ) as [string, { DependsOn: string[]; Properties: CfnProperties }];
    const own = (id: string) => id.startsWith('UsersDatabaseDeletionProtection');
    const referenced = JSON.stringify(protection.Properties);
    const others = Object.keys(resources).filter((id) => id !== protectionId && !own(id));
    for (const id of others) {
      // Each other resource comes first, through DependsOn or through a reference (never both: cfn-lint W3005).
      expect({ id, ordered: protection.DependsOn.includes(id) !== referenced.includes(`"${id}"`) }).toEqual({
        id,
        ordered: true,
      });
    }
    expect(protection.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^SomethingElse/)]));
    // Nothing waits for it: it is the last resource the create makes.
    for (const [id, resource] of Object.entries(resources)) {
      expect({ id, waits: (resource.DependsOn ?? []).includes(protectionId) }).toEqual({ id, waits: false });
    }
  });

  it('lets a client read only the read-only login, not the administrator secret', () => {
    const scratch = constructStack();
    onTestFinished(() => removeOutdir(scratch));
    const database = new UsersDatabase(scratch.stack, 'UsersDatabase', {
      vpc: scratch.vpc,
      deletionProtection: false,
    });
    const consumer = new iam.Role(scratch.stack, 'Consumer', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    database.grantConnect(new ec2.SecurityGroup(scratch.stack, 'ConsumerSg', { vpc: scratch.vpc }), consumer);
    const policy = JSON.stringify(
      Template.fromStack(scratch.stack).findResources('AWS::IAM::Policy', {
        Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^Consumer') }] },
      }),
    );
    expect(policy).toContain('UsersDatabaseReaderSecretAttachment');
    expect(policy).not.toContain('UsersDatabaseInstanceSecret');
  });

  it('gives the exported logs a retention instead of never-expiring groups', () => {
    const groups = template.findResources('AWS::Logs::LogGroup', {
      Properties: { LogGroupName: Match.stringLikeRegexp('^/aws/rds/instance/') },
    });
    expect(Object.keys(groups)).toHaveLength(3);
    for (const group of Object.values(groups) as Array<{ Properties: { RetentionInDays: number } }>) {
      expect(group.Properties.RetentionInDays).toBe(30);
    }
  });
});

describe('UsersDatabase props', () => {
  // The constructor checks its props before it creates anything: a stack with an imported VPC is enough.
  const build = (props: Partial<UsersDatabaseProps>) => () => {
    const stack = new Stack();
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
      vpcId: 'vpc-1',
      availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      privateSubnetIds: ['subnet-1', 'subnet-2'],
    });
    new UsersDatabase(stack, 'UsersDatabase', { vpc, ...props });
  };

  it.each([
    [
      'an instance class with the db. prefix',
      { instanceType: new ec2.InstanceType('db.t4g.micro') },
      'Default/UsersDatabase: instanceType: use an RDS class without the db. prefix, such as t4g.micro, got "db.t4g.micro"',
    ],
    [
      'backups switched off',
      { backupRetention: Duration.days(0) },
      'Default/UsersDatabase: backupRetention: must be whole days from 1 to 35 (0 would switch backups off), got 0',
    ],
    [
      'backups kept longer than RDS allows',
      { backupRetention: Duration.days(36) },
      'Default/UsersDatabase: backupRetention: must be whole days from 1 to 35 (0 would switch backups off), got 36',
    ],
    [
      'backups kept for part of a day',
      { backupRetention: Duration.hours(36) },
      'Default/UsersDatabase: backupRetention: must be whole days from 1 to 35 (0 would switch backups off), got 1.5',
    ],
    [
      'a seed of no accounts',
      { seedAccounts: 0 },
      'Default/UsersDatabase: seedAccounts: must be an integer between 1 and 10000000, got 0',
    ],
    [
      'a seed above the accounts the generator keeps known',
      { seedAccounts: 10_000_001 },
      'Default/UsersDatabase: seedAccounts: must be an integer between 1 and 10000000, got 10000001',
    ],
    [
      'a database name RDS refuses',
      { databaseName: 'log-pipeline' },
      'Default/UsersDatabase: databaseName: use a letter, then letters, digits or "_", 64 characters at most, got "log-pipeline"',
    ],
    [
      'a multiAz that is not a boolean',
      { multiAz: 'yes' as unknown as boolean },
      'Default/UsersDatabase: multiAz: must be true or false, got "yes"',
    ],
    [
      'a deletionProtection that is not a boolean',
      { deletionProtection: 1 as unknown as boolean },
      'Default/UsersDatabase: deletionProtection: must be true or false, got 1',
    ],
  ])('refuses %s, naming the prop, the value and the fix', (_, props, message) => {
    let thrown: unknown;
    try {
      build(props)();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(PropsError);
    expect((thrown as PropsError).message).toBe(message);
  });

  it('refuses a deletion protection switch that is not a boolean, naming the prop, the value and the fix', () => {
    const stack = new Stack();
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
      vpcId: 'vpc-1',
      availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      privateSubnetIds: ['subnet-1', 'subnet-2'],
    });
    const instance = rds.DatabaseInstance.fromDatabaseInstanceAttributes(stack, 'Instance', {
      instanceIdentifier: 'users',
      instanceEndpointAddress: 'users.abc.eu-west-1.rds.amazonaws.com',
      port: 3306,
      securityGroups: [],
    });
    const build = () =>
      new DatabaseProtection(stack, 'Protection', { instance, vpc, enabled: 'false' as unknown as boolean });
    expect(build).toThrow(new PropsError('Default/Protection', 'enabled', 'false', 'must be true or false'));
  });

  it('accepts a retention, a seed and a class known only at deploy time', () => {
    const stack = new Stack();
    expect(() =>
      checkUsersDatabaseProps(
        {
          backupRetention: Duration.days(Token.asNumber({ Ref: 'Days' })),
          seedAccounts: Token.asNumber({ Ref: 'Accounts' }),
          instanceType: new ec2.InstanceType(Token.asString({ Ref: 'Class' })),
        },
        failIn(stack),
      ),
    ).not.toThrow();
  });
});
