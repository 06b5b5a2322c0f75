import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsersDatabase } from '../../lib/users-database.js';
import { constructStack, removeOutdir } from './stack-fixture.js';

describe('UsersDatabase', () => {
  let fixture: ReturnType<typeof constructStack>;
  let template: Template;

  beforeAll(() => {
    fixture = constructStack();
    new UsersDatabase(fixture.stack, 'UsersDatabase', {
      vpc: fixture.vpc,
      subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      instanceType: 't4g.micro',
      multiAz: true,
      deletionProtection: true,
      backupRetention: Duration.days(7),
      seedAccounts: 10_000,
      logRetention: logs.RetentionDays.ONE_MONTH,
    });
    template = Template.fromStack(fixture.stack);
  });
  afterAll(() => removeOutdir(fixture));

  it('runs MySQL 8.4, encrypted, Multi-AZ from config, protected and backed up', () => {
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      Engine: 'mysql',
      DBInstanceClass: 'db.t4g.micro',
      StorageEncrypted: true,
      MultiAZ: true,
      DeletionProtection: true,
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
      RotationRules: { ScheduleExpression: 'rate(30 days)' },
    });
  });

  it('creates and seeds the users schema through a custom resource reading the secret', () => {
    template.hasResourceProperties('Custom::UsersSchema', {
      SecretArn: { Ref: Match.stringLikeRegexp('^UsersDatabaseInstanceSecret') },
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
