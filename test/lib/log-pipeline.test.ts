// LogPipeline composed into a user's own stack: the same pipeline as LogPipelineStack, under the user's
// construct id, with the outputs the operator commands read under their fixed names.
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as opensearch from 'aws-cdk-lib/aws-opensearchservice';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogPipeline, LogPipelineStack } from '../../lib/index.js';
import {
  expectNoNagFindings,
  onlyResource,
  platformVpc,
  removeScratchOutdirs,
  resourceTypes,
  synthWithNag,
  testApp,
  type ValidationReport,
} from './stack-fixture.js';

describe('LogPipeline', () => {
  let stack: Stack;
  let template: Template;

  beforeAll(() => {
    const app = testApp(undefined, { bundling: false });
    stack = new Stack(app, 'PlatformStack', { env: { account: '123456789012', region: 'eu-west-1' } });
    new LogPipeline(stack, 'Logs', {
      consumerMode: 'fargate',
      topicName: 'app-logs',
      indexRefreshInterval: '1s',
    });
    template = Template.fromStack(stack);
  });
  afterAll(removeScratchOutdirs);

  it("gives its domain's setup the configured refresh interval", () => {
    expect(onlyResource(template, 'Custom::SearchSetup').props.RefreshInterval).toBe('1s');
  });

  it("keeps the operator commands' output names whatever the construct's id", () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    for (const key of ['ClusterArn', 'OpsFunctionName', 'ConsumerMode', 'Topic', 'ConsumerServiceName']) {
      expect(outputs[key], key).toBeDefined();
    }
    expect(outputs.Topic?.Value).toBe('app-logs');
    expect(outputs.ConsumerMode?.Value).toBe('fargate');
  });

  it('builds its resources under its own construct path', () => {
    const cluster = template.findResources('AWS::MSK::Cluster');
    expect(Object.keys(cluster)).toHaveLength(1);
    expect(Object.keys(cluster)[0]).toMatch(/^LogsStreamingCluster/);
  });

  it('refuses azCount 3 in an environment-agnostic stack, which the CDK gives two zones', () => {
    const agnostic = new Stack(testApp(undefined, { bundling: false }), 'Agnostic');
    expect(() => new LogPipeline(agnostic, 'Logs', { profile: 'production' })).toThrow(
      "Agnostic/Logs: azCount: stack Agnostic gives the VPC 2 availability zones: give the stack an env (account and region) so that the CDK looks up the region's zones, or use azCount 2, got 3",
    );
  });

  it('refuses a second pipeline in the same stack, naming both paths', () => {
    expect(() => new LogPipeline(stack, 'Second')).toThrow(
      /PlatformStack\/Second: stack PlatformStack already holds a log pipeline.*a stack of its own/,
    );
  });
});

describe('LogPipeline in an existing VPC', () => {
  let template: Template;

  beforeAll(() => {
    const stack = new Stack(testApp(undefined, { bundling: false }), 'PlatformStack', {
      env: { account: '123456789012', region: 'eu-west-1' },
    });
    const vpc = platformVpc(stack);
    new LogPipeline(stack, 'Logs', { existingVpc: vpc });
    template = Template.fromStack(stack);
  });
  afterAll(removeScratchOutdirs);

  it('creates no VPC, flow log or endpoint of its own', () => {
    for (const type of [
      'AWS::EC2::VPC',
      'AWS::EC2::FlowLog',
      'AWS::EC2::VPCEndpoint',
      'AWS::EC2::NatGateway',
    ]) {
      expect(Object.keys(template.findResources(type)), type).toEqual([]);
    }
  });

  it("places the brokers in the given VPC's private subnets", () => {
    template.hasResourceProperties('AWS::MSK::Cluster', {
      BrokerNodeGroupInfo: { ClientSubnets: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0bbbbbbbbbbbbbbb2'] },
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroup', { VpcId: 'vpc-0123456789abcdef0' });
  });

  it('refuses vpcSubnets without existingVpc', () => {
    const stack = new Stack(testApp(undefined, { bundling: false }), 'Other');
    expect(
      () => new LogPipeline(stack, 'Logs', { vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } }),
    ).toThrow(/vpcSubnets selects subnets of existingVpc, which is not given/);
  });
});

describe('LogPipeline with an existing users table', () => {
  const readerSecretArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:users-reader-AbCdEf';
  let template: Template;
  let report: ValidationReport;

  beforeAll(() => {
    const app = testApp(undefined, { bundling: false });
    const stack = new Stack(app, 'PlatformStack', { env: { account: '123456789012', region: 'eu-west-1' } });
    const vpc = platformVpc(stack);
    const securityGroup = ec2.SecurityGroup.fromSecurityGroupId(stack, 'UsersDbSg', 'sg-0db0000000000000a');
    new LogPipeline(stack, 'Logs', {
      existingVpc: vpc,
      existingUsersTable: {
        readerSecret: secretsmanager.Secret.fromSecretCompleteArn(stack, 'UsersReader', readerSecretArn),
        databaseName: 'accounts',
        securityGroup,
        instance: rds.DatabaseInstance.fromDatabaseInstanceAttributes(stack, 'UsersDb', {
          instanceIdentifier: 'platform-users',
          instanceEndpointAddress: 'platform-users.abc123.eu-west-1.rds.amazonaws.com',
          port: 3306,
          securityGroups: [securityGroup],
        }),
      },
    });
    // cdk-nag AwsSolutions, as `cdk synth` runs it; the report lands in the cloud assembly.
    ({ template, report } = synthWithNag(app, stack));
  });
  afterAll(removeScratchOutdirs);

  it('has no unacknowledged cdk-nag finding', () => {
    expectNoNagFindings(report);
  });

  it('creates no database, administrator login, rotation, schema or deletion protection', () => {
    const types = new Set(resourceTypes(template));
    for (const type of [
      'AWS::RDS::DBInstance',
      'AWS::RDS::DBParameterGroup',
      'AWS::RDS::DBSubnetGroup',
      'AWS::SecretsManager::Secret',
      'AWS::SecretsManager::RotationSchedule',
      'Custom::UsersSchema',
      'Custom::DatabaseDeletionProtection',
    ]) {
      expect({ type, created: types.has(type) }).toEqual({ type, created: false });
    }
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.DatabaseSecretArn).toBeUndefined();
    expect(outputs.DatabaseReaderSecretArn?.Value).toBe(readerSecretArn);
  });

  it("points the consumer at the platform's read-only login and database", () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ DB_SECRET_ARN: readerSecretArn, DB_NAME: 'accounts' }) },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
            Resource: readerSecretArn,
          }),
        ]),
      },
    });
  });

  it("admits the consumer and the ops function to the platform's database security group, on the MySQL port", () => {
    const rules = template.findResources('AWS::EC2::SecurityGroupIngress', {
      Properties: { GroupId: 'sg-0db0000000000000a', FromPort: 3306, ToPort: 3306 },
    });
    const sources = Object.values(rules).map((r) => JSON.stringify(r.Properties.SourceSecurityGroupId));
    expect(sources).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/"LogsLambdaConsumer/),
        expect.stringMatching(/"LogsOpsFunction/),
      ]),
    );
    template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      DestinationSecurityGroupId: 'sg-0db0000000000000a',
      FromPort: 3306,
    });
  });

  it('refuses a setting of the database it does not create, naming the key, the value and the fix', () => {
    const stack = new Stack(testApp(undefined, { bundling: false }), 'Other');
    const securityGroup = ec2.SecurityGroup.fromSecurityGroupId(stack, 'UsersDbSg', 'sg-0db0000000000000a');
    const build = () =>
      new LogPipeline(stack, 'Logs', {
        dbMultiAz: true,
        existingUsersTable: {
          readerSecret: secretsmanager.Secret.fromSecretCompleteArn(stack, 'UsersReader', readerSecretArn),
          databaseName: 'accounts',
          securityGroup,
        },
      });
    expect(build).toThrow(
      'Other/Logs: dbMultiAz: describes the users database the pipeline would create, not existingUsersTable; remove it',
    );
  });

  it("alarms on the given instance's CPU", () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'CPUUtilization',
      Namespace: 'AWS/RDS',
      Dimensions: [{ Name: 'DBInstanceIdentifier', Value: 'platform-users' }],
    });
  });
});

describe('LogPipeline with an existing cluster, domain and users table at once', () => {
  let template: Template;
  let report: ValidationReport;

  beforeAll(() => {
    const app = testApp(undefined, { bundling: false });
    const stack = new Stack(app, 'PlatformStack', { env: { account: '123456789012', region: 'eu-west-1' } });
    const vpc = platformVpc(stack);
    const sg = (id: string, groupId: string) => ec2.SecurityGroup.fromSecurityGroupId(stack, id, groupId);
    new LogPipeline(stack, 'Logs', {
      consumerMode: 'fargate',
      existingVpc: vpc,
      existingKafkaCluster: {
        clusterArn:
          'arn:aws:kafka:eu-west-1:123456789012:cluster/platform/0b6c3e8f-aaaa-bbbb-cccc-444455556666-2',
        securityGroup: sg('Brokers', 'sg-0b0000000000000aa'),
      },
      existingSearchDomain: {
        domain: opensearch.Domain.fromDomainAttributes(stack, 'SharedSearch', {
          domainArn: 'arn:aws:es:eu-west-1:123456789012:domain/shared-logs',
          domainEndpoint: 'vpc-shared-logs-abcdefghijklmnopqrstuvwxyz.eu-west-1.es.amazonaws.com',
        }),
        securityGroup: sg('SearchSg', 'sg-0e0000000000000aa'),
        setupRole: iam.Role.fromRoleArn(
          stack,
          'SetupRole',
          'arn:aws:iam::123456789012:role/log-pipeline-setup',
        ),
      },
      existingUsersTable: {
        readerSecret: secretsmanager.Secret.fromSecretCompleteArn(
          stack,
          'UsersReader',
          'arn:aws:secretsmanager:eu-west-1:123456789012:secret:users-reader-AbCdEf',
        ),
        databaseName: 'accounts',
        securityGroup: sg('UsersDbSg', 'sg-0d0000000000000aa'),
      },
    });
    ({ template, report } = synthWithNag(app, stack));
  });
  afterAll(removeScratchOutdirs);

  it('has no unacknowledged cdk-nag finding', () => {
    expectNoNagFindings(report);
  });

  it('creates none of the three, nor a VPC, and still runs its consumer, topics and search setup', () => {
    const types = new Set(resourceTypes(template));
    for (const type of [
      'AWS::EC2::VPC',
      'AWS::MSK::Cluster',
      'AWS::OpenSearchService::Domain',
      'AWS::RDS::DBInstance',
      'AWS::Cognito::UserPool',
    ]) {
      expect({ type, created: types.has(type) }).toEqual({ type, created: false });
    }
    for (const type of ['AWS::ECS::Service', 'Custom::KafkaTopics', 'Custom::SearchSetup']) {
      expect({ type, created: types.has(type) }).toEqual({ type, created: true });
    }
  });

  it("admits the consumer to each of the platform's security groups on its port", () => {
    for (const [groupId, port] of [
      ['sg-0b0000000000000aa', 9098],
      ['sg-0e0000000000000aa', 443],
      ['sg-0d0000000000000aa', 3306],
    ] as const) {
      const rules = template.findResources('AWS::EC2::SecurityGroupIngress', {
        Properties: { GroupId: groupId, FromPort: port },
      });
      const sources = Object.values(rules).map((r) => JSON.stringify(r.Properties.SourceSecurityGroupId));
      expect({ groupId, sources }).toEqual({
        groupId,
        sources: expect.arrayContaining([expect.stringMatching(/"LogsFargateConsumer/)]),
      });
    }
  });
});

describe('LogPipelineStack with a bring-your-own setting', () => {
  it('builds in an existing VPC given through its config, creating none', () => {
    const app = testApp(undefined, { bundling: false });
    const vpcStack = new Stack(app, 'Platform', { env: { account: '123456789012', region: 'eu-west-1' } });
    const stack = new LogPipelineStack(app, 'Logs', {
      env: { account: '123456789012', region: 'eu-west-1' },
      config: { existingVpc: platformVpc(vpcStack) },
    });
    expect(Object.keys(Template.fromStack(stack).findResources('AWS::EC2::VPC'))).toEqual([]);
  });
});
