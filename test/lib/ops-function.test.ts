import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logicalIdOf } from '../../lib/nag.js';
import { OpsFunction, READ_GROUP_PREFIX, REDRIVE_GROUP_ID } from '../../lib/ops-function.js';
import { Search } from '../../lib/search.js';
import { Streaming } from '../../lib/streaming.js';
import { UsersDatabase } from '../../lib/users-database.js';
import { type CfnProperties, constructStack, onlyResource, removeOutdir } from './stack-fixture.js';

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };

const OPERATOR = 'arn:aws:iam::123456789012:role/ops';
const OTHER_OPERATOR = 'arn:aws:iam::123456789012:role/team/on-call';

describe('OpsFunction', () => {
  let fixture: ReturnType<typeof constructStack>;
  let template: Template;
  let ids: { function: string; sg: string; brokers: string; domain: string; db: string; cluster: string };

  beforeAll(() => {
    fixture = constructStack({ bundling: false });
    const { stack, vpc } = fixture;
    const subnets = { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
    const logRetention = logs.RetentionDays.ONE_MONTH;
    const streaming = new Streaming(stack, 'Streaming', {
      vpc,
      vpcSubnets: subnets,
      brokerCount: 2,
      brokerInstanceType: new ec2.InstanceType('t3.small'),
      kafkaVersion: '3.9.x',
      brokerVolumeGiB: 100,
      monitoringLevel: 'DEFAULT',
      topics: [
        { name: 'server-logs', partitions: 6, replicationFactor: 2 },
        { name: 'server-logs-dlq', partitions: 6, replicationFactor: 2 },
      ],
      minInsyncReplicas: 1,
      logRetention,
    });
    const search = new Search(stack, 'Search', {
      vpc,
      subnets,
      azCount: 2,
      dataNodes: 2,
      instanceType: 't3.medium.search',
      volumeGiB: 20,
      indexPrefix: 'logs',
      retentionDays: 14,
      logRetention,
      dashboardsAuth: 'none',
    });
    const database = new UsersDatabase(stack, 'UsersDatabase', {
      vpc,
      vpcSubnets: subnets,
      instanceType: new ec2.InstanceType('t4g.micro'),
      multiAz: false,
      deletionProtection: true,
      backupRetention: Duration.days(7),
      seedAccounts: 100,
      logRetention,
    });
    const ops = new OpsFunction(stack, 'Ops', {
      vpc,
      subnets,
      streaming,
      search,
      database,
      topic: 'server-logs',
      deadLetterTopic: 'server-logs-dlq',
      consumerGroupId: 'log-pipeline-consumer',
      indexPrefix: 'logs',
      usersCacheTtl: Duration.minutes(1),
      operatorRoleArns: [OPERATOR, OTHER_OPERATOR],
      logRetention,
    });
    template = Template.fromStack(stack);
    ids = {
      function: logicalIdOf(ops.function),
      sg: logicalIdOf(ops.securityGroup),
      brokers: logicalIdOf(streaming.securityGroup),
      domain: logicalIdOf(search.domain),
      db: logicalIdOf(database.securityGroup),
      cluster: logicalIdOf(streaming.cluster),
    };
  });
  afterAll(() => removeOutdir(fixture));

  const policyStatements = (): Statement[] => {
    const role = (
      template.findResources('AWS::Lambda::Function')[ids.function] as { Properties: CfnProperties }
    ).Properties.Role['Fn::GetAtt'][0] as string;
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify((p as { Properties: CfnProperties }).Properties.Roles).includes(role),
    );
    return policies.flatMap((p) => (p as { Properties: CfnProperties }).Properties.PolicyDocument.Statement);
  };
  const actionsOn = (resourceSuffix: string): string[] =>
    policyStatements()
      .filter((s) => JSON.stringify(s.Resource).includes(resourceSuffix))
      .flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]))
      .sort();

  it('runs the ops handler in the VPC, under Lambda’s 15-minute cap, with the deployment’s names', () => {
    const fn = template.findResources('AWS::Lambda::Function')[ids.function] as { Properties: CfnProperties };
    expect(fn.Properties.Timeout).toBe(600);
    expect(fn.Properties.Timeout).toBeLessThanOrEqual(900);
    expect(fn.Properties.VpcConfig.SecurityGroupIds).toEqual([{ 'Fn::GetAtt': [ids.sg, 'GroupId'] }]);
    expect(fn.Properties.Environment.Variables).toMatchObject({
      TOPIC: 'server-logs',
      DEAD_LETTER_TOPIC: 'server-logs-dlq',
      CONSUMER_GROUP_ID: 'log-pipeline-consumer',
      REDRIVE_GROUP_ID: REDRIVE_GROUP_ID,
      READ_GROUP_PREFIX: READ_GROUP_PREFIX,
      INDEX_PREFIX: 'logs',
      CLUSTER_ARN: { 'Fn::GetAtt': [ids.cluster, 'Arn'] },
      // The consumers' read-only login, never the administrator's.
      DB_SECRET_ARN: { Ref: expect.stringMatching(/^UsersDatabaseReaderSecretAttachment/) },
    });
  });

  it('egress: 9098 to the brokers, 3306 to the database, 443 to the VPC CIDR, nothing else', () => {
    const sg = template.findResources('AWS::EC2::SecurityGroup')[ids.sg] as { Properties: CfnProperties };
    expect(sg.Properties.SecurityGroupEgress).toEqual([
      {
        CidrIp: { 'Fn::GetAtt': [expect.stringMatching(/^Vpc/), 'CidrBlock'] },
        Description: expect.any(String),
        FromPort: 443,
        ToPort: 443,
        IpProtocol: 'tcp',
      },
    ]);
    const egress = Object.values(template.findResources('AWS::EC2::SecurityGroupEgress'))
      .map((r) => (r as { Properties: CfnProperties }).Properties)
      .filter((p) => JSON.stringify(p.GroupId).includes(ids.sg))
      .map((p) => [p.DestinationSecurityGroupId['Fn::GetAtt'][0], p.FromPort, p.ToPort])
      .sort();
    expect(egress).toEqual(
      [
        [ids.brokers, 9098, 9098],
        [ids.db, 3306, 3306],
      ].sort(),
    );
  });

  it('ingress: the brokers on 9098, the domain on 443 and the database on 3306 admit its security group', () => {
    for (const [target, port] of [
      [ids.brokers, 9098],
      [Match.stringLikeRegexp('^SearchDomainSecurityGroup'), 443],
      [ids.db, 3306],
    ] as const) {
      template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
        GroupId: { 'Fn::GetAtt': [target, 'GroupId'] },
        SourceSecurityGroupId: { 'Fn::GetAtt': [ids.sg, 'GroupId'] },
        FromPort: port,
        ToPort: port,
        IpProtocol: 'tcp',
      });
    }
  });

  it('reads both topics, moves only the consumer and re-drive groups, deletes only its throwaway groups', () => {
    expect(actionsOn('/server-logs"')).toEqual(['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData']);
    expect(actionsOn('/server-logs-dlq"')).toEqual(['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData']);
    expect(actionsOn('/log-pipeline-consumer"')).toEqual([
      'kafka-cluster:AlterGroup',
      'kafka-cluster:DescribeGroup',
    ]);
    expect(actionsOn(`/${REDRIVE_GROUP_ID}"`)).toEqual([
      'kafka-cluster:AlterGroup',
      'kafka-cluster:DescribeGroup',
    ]);
    expect(actionsOn(`/${READ_GROUP_PREFIX}*"`)).toEqual([
      'kafka-cluster:AlterGroup',
      'kafka-cluster:DeleteGroup',
      'kafka-cluster:DescribeGroup',
    ]);
    const all = policyStatements().flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    // No writes to Kafka, no topic or cluster administration.
    for (const action of all) {
      expect(action).not.toMatch(/kafka-cluster:(WriteData|CreateTopic|DeleteTopic|AlterTopic|AlterCluster)/);
    }
    expect(policyStatements().every((s) => s.Effect === 'Allow' && s.Resource !== '*')).toBe(true);
  });

  it('searches the pipeline indices and posts _bulk, on those domain paths only', () => {
    expect(actionsOn('/logs-*')).toEqual(['es:ESHttpGet', 'es:ESHttpPost']);
    expect(actionsOn('/_bulk')).toEqual(['es:ESHttpPost']);
    const esStatements = policyStatements().filter((s) =>
      (Array.isArray(s.Action) ? s.Action : [s.Action]).some((a) => a.startsWith('es:')),
    );
    expect(esStatements.map((s) => JSON.stringify(s.Resource))).toEqual([
      JSON.stringify({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [ids.domain, 'Arn'] }, '/logs-*']] }),
      JSON.stringify({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [ids.domain, 'Arn'] }, '/_bulk']] }),
    ]);
  });

  it('maps its role to the writer role and, with the operators, to the read-only operator role', () => {
    const setup = onlyResource(template, 'Custom::SearchSetup');
    expect(setup.props.WriterRoleArns).toEqual([
      { 'Fn::GetAtt': [expect.stringMatching(/^OpsHandlerFunctionServiceRole/), 'Arn'] },
    ]);
    expect(setup.props.OperatorRoleArns).toEqual([
      { 'Fn::GetAtt': [expect.stringMatching(/^OpsHandlerFunctionServiceRole/), 'Arn'] },
      OPERATOR,
      OTHER_OPERATOR,
    ]);
  });

  it('lets exactly the operator roles invoke it, through its resource policy', () => {
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission')).map(
      (p) => (p as { Properties: CfnProperties }).Properties,
    );
    const onOps = permissions.filter((p) => JSON.stringify(p.FunctionName).includes(ids.function));
    expect(onOps).toEqual([
      {
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': [ids.function, 'Arn'] },
        Principal: OPERATOR,
      },
      {
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': [ids.function, 'Arn'] },
        Principal: OTHER_OPERATOR,
      },
    ]);
  });
});
