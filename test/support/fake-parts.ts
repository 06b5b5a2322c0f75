// Minimal implementations of IStreaming, ISearch and IUsersDatabase for testing a consumer, the ops function or
// Observability alone: imported resources with fixed ARNs, grants as plain IAM statements, security group rules
// on the imported groups. Fast (no MSK cluster, domain or database, no custom resource handlers to bundle), and
// proof that the constructs need nothing of the parts beyond their interfaces.
import { CfnWaitConditionHandle } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as opensearch from 'aws-cdk-lib/aws-opensearchservice';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { ISearch } from '../../lib/search.js';
import type { IStreaming } from '../../lib/streaming.js';
import type { IUsersDatabase } from '../../lib/users-database.js';

const ACCOUNT_REGION = 'eu-west-1:123456789012';

export const FAKE_CLUSTER_ARN = `arn:aws:kafka:${ACCOUNT_REGION}:cluster/fake-cluster/0000-1111`;
export const FAKE_DOMAIN_ARN = `arn:aws:es:${ACCOUNT_REGION}:domain/fake-domain`;
export const FAKE_READER_SECRET_ARN = `arn:aws:secretsmanager:${ACCOUNT_REGION}:secret:fake-reader-AbCdEf`;

export class FakeStreaming extends Construct implements IStreaming {
  readonly clusterArn = FAKE_CLUSTER_ARN;
  readonly clusterName = 'fake-cluster';
  readonly securityGroup: ec2.ISecurityGroup;
  /** A resource of its own, so that a dependency on the topics shows as a DependsOn in the template. */
  readonly topics: CfnWaitConditionHandle;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.securityGroup = ec2.SecurityGroup.fromSecurityGroupId(this, 'BrokerSecurityGroup', 'sg-brokers');
    this.topics = new CfnWaitConditionHandle(this, 'Topics');
  }

  allowClientsFrom(client: ec2.ISecurityGroup, description: string): void {
    this.securityGroup.connections.allowFrom(client, ec2.Port.tcp(9098), description);
  }
  grantConnect(grantee: iam.IGrantable): iam.Grant {
    // Resolving the bootstrap brokers is part of connecting, as Streaming grants it.
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['kafka:DescribeCluster', 'kafka:DescribeClusterV2', 'kafka:GetBootstrapBrokers'],
      resourceArns: [this.clusterArn],
    });
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['kafka-cluster:Connect'],
      resourceArns: [this.clusterArn],
    });
  }
  grantConsume(grantee: iam.IGrantable, topic: string, groupId: string): void {
    this.grantConnect(grantee);
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['kafka-cluster:ReadData'],
      resourceArns: [this.topicArn(topic)],
    });
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['kafka-cluster:AlterGroup'],
      resourceArns: [this.groupArn(groupId)],
    });
  }
  grantProduce(grantee: iam.IGrantable, topic: string): void {
    this.grantConnect(grantee);
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['kafka-cluster:WriteData'],
      resourceArns: [this.topicArn(topic)],
    });
  }
  grantDescribeConfig(grantee: iam.IGrantable, topic: string): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['kafka-cluster:DescribeTopicDynamicConfiguration'],
      resourceArns: [this.topicArn(topic)],
    });
  }
  consumerLagMetric(groupId: string, topic: string, metricName = 'MaxOffsetLag'): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/Kafka',
      metricName,
      dimensionsMap: { 'Cluster Name': this.clusterName, 'Consumer Group': groupId, Topic: topic },
      statistic: 'Maximum',
    });
  }
  brokerMetric(metricName: string, brokerId: number): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/Kafka',
      metricName,
      dimensionsMap: { 'Cluster Name': this.clusterName, 'Broker ID': String(brokerId) },
      statistic: 'Maximum',
    });
  }
  topicArn(topic: string): string {
    return `arn:aws:kafka:${ACCOUNT_REGION}:topic/fake-cluster/0000-1111/${topic}`;
  }
  groupArn(groupId: string): string {
    return `arn:aws:kafka:${ACCOUNT_REGION}:group/fake-cluster/0000-1111/${groupId}`;
  }
}

export class FakeSearch extends Construct implements ISearch {
  readonly domain: opensearch.IDomain;
  readonly endpointUrl = 'https://search-fake-domain.eu-west-1.es.amazonaws.com';
  readonly dashboardsImport = 'imported 0 saved objects into tenants logs';
  readonly securityGroup: ec2.ISecurityGroup;
  /** The roles given to `addWriter`, `addReader` and `addOperator`, for tests to assert the wiring on. */
  readonly writers: iam.IRole[] = [];
  readonly readers: iam.IRole[] = [];
  readonly operators: string[] = [];

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.domain = opensearch.Domain.fromDomainAttributes(this, 'Domain', {
      domainArn: FAKE_DOMAIN_ARN,
      domainEndpoint: 'search-fake-domain.eu-west-1.es.amazonaws.com',
    });
    this.securityGroup = ec2.SecurityGroup.fromSecurityGroupId(this, 'DomainSecurityGroup', 'sg-domain');
  }

  allowClientsFrom(client: ec2.ISecurityGroup, description: string): void {
    this.securityGroup.connections.allowFrom(client, ec2.Port.tcp(443), description);
  }
  addOperator(roleArn: string): void {
    this.operators.push(roleArn);
  }
  addReader(role: iam.IRole, client: ec2.ISecurityGroup): void {
    this.readers.push(role);
    this.allowClientsFrom(client, 'reader');
    this.domain.grantIndexRead('logs-*', role);
  }
  addWriter(role: iam.IRole, client: ec2.ISecurityGroup): void {
    this.writers.push(role);
    this.allowClientsFrom(client, 'writer');
    iam.Grant.addToPrincipal({
      grantee: role,
      actions: ['es:ESHttpPost'],
      resourceArns: [`${FAKE_DOMAIN_ARN}/_bulk`],
    });
  }
}

export class FakeUsersDatabase extends Construct implements IUsersDatabase {
  readonly readerSecret: secretsmanager.ISecret;
  readonly databaseName = 'fake_users';
  readonly port = 3306;
  readonly securityGroup: ec2.ISecurityGroup;
  readonly instance: rds.IDatabaseInstance;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.readerSecret = secretsmanager.Secret.fromSecretCompleteArn(
      this,
      'ReaderSecret',
      FAKE_READER_SECRET_ARN,
    );
    this.securityGroup = ec2.SecurityGroup.fromSecurityGroupId(this, 'DatabaseSecurityGroup', 'sg-database');
    this.instance = rds.DatabaseInstance.fromDatabaseInstanceAttributes(this, 'Instance', {
      instanceIdentifier: 'fake-users',
      instanceEndpointAddress: 'fake-users.abc.eu-west-1.rds.amazonaws.com',
      port: 3306,
      securityGroups: [this.securityGroup],
    });
  }

  grantConnect(client: ec2.ISecurityGroup, grantee: iam.IGrantable): void {
    this.securityGroup.connections.allowFrom(client, ec2.Port.tcp(this.port), 'users table reader');
    this.readerSecret.grantRead(grantee);
  }
}

/** The three parts, in `scope`. */
export function fakeParts(scope: Construct): {
  streaming: FakeStreaming;
  search: FakeSearch;
  database: FakeUsersDatabase;
} {
  return {
    streaming: new FakeStreaming(scope, 'Streaming'),
    search: new FakeSearch(scope, 'Search'),
    database: new FakeUsersDatabase(scope, 'UsersDatabase'),
  };
}
