// ExistingKafkaCluster alone in a minimal stack: grants on the exact topic and group ARNs of an imported cluster,
// ingress on its security group, the topics custom resource in it, and nothing of a cluster created.
import { CfnParameter, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExistingKafkaCluster, type ExistingKafkaClusterProps } from '../../lib/existing-kafka-cluster.js';
import {
  type CfnProperties,
  platformVpc,
  removeScratchOutdirs,
  resourceTypes,
  testApp,
} from './stack-fixture.js';

const CLUSTER_ARN =
  'arn:aws:kafka:eu-west-1:123456789012:cluster/platform/0b6c3e8f-aaaa-bbbb-cccc-444455556666-2';
const DATA_PLANE = 'arn:aws:kafka:eu-west-1:123456789012';
const TAIL = 'platform/0b6c3e8f-aaaa-bbbb-cccc-444455556666-2';
const TOPICS = [
  { name: 'server-logs', partitions: 6, replicationFactor: 3 },
  { name: 'server-logs-dlq', partitions: 6, replicationFactor: 3 },
];

function platformStack(): { stack: Stack; vpc: ec2.IVpc } {
  // The template is what matters here, not the topics function's code: no esbuild run.
  const stack = new Stack(testApp(undefined, { bundling: false }), 'PlatformStack', {
    env: { account: '123456789012', region: 'eu-west-1' },
  });
  const vpc = platformVpc(stack, 3);
  return { stack, vpc };
}

/** The statements of every IAM policy in the template. */
function statements(template: Template): CfnProperties[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (p) => (p as { Properties: CfnProperties }).Properties.PolicyDocument.Statement,
  );
}

function actionsOn(template: Template, resource: string): string[] {
  return statements(template)
    .filter((s) => [s.Resource].flat().includes(resource))
    .flatMap((s) => [s.Action].flat())
    .sort();
}

describe('ExistingKafkaCluster', () => {
  let template: Template;
  let kafka: ExistingKafkaCluster;

  beforeAll(() => {
    const { stack, vpc } = platformStack();
    kafka = new ExistingKafkaCluster(stack, 'Kafka', {
      vpc,
      clusterArn: CLUSTER_ARN,
      securityGroup: ec2.SecurityGroup.fromSecurityGroupId(stack, 'Brokers', 'sg-0123456789abcdef0'),
      brokerCount: 3,
      minInsyncReplicas: 2,
      topics: TOPICS,
    });
    const reader = new iam.Role(stack, 'Reader', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    kafka.grantConsume(reader, 'server-logs', 'group-a');
    kafka.grantProduce(reader, 'server-logs-dlq');
    const client = new ec2.SecurityGroup(stack, 'Client', { vpc });
    kafka.allowClientsFrom(client, 'a client');
    template = Template.fromStack(stack);
  });
  afterAll(removeScratchOutdirs);

  it('creates no cluster, configuration, broker key, broker log group or storage scaling', () => {
    const types = resourceTypes(template);
    expect(types.filter((t) => t.startsWith('AWS::MSK::'))).toEqual([]);
    expect(types).not.toContain('AWS::KMS::Key');
    expect(types).not.toContain('AWS::ApplicationAutoScaling::ScalableTarget');
    // The topics function's and the provider framework's log groups only.
    expect(types.filter((t) => t === 'AWS::Logs::LogGroup')).toHaveLength(2);
  });

  it('takes its name from the ARN, for the AWS/Kafka metric dimensions', () => {
    expect(kafka.clusterName).toBe('platform');
    expect(kafka.consumerLagMetric('group-a', 'server-logs').dimensions).toEqual({
      'Cluster Name': 'platform',
      'Consumer Group': 'group-a',
      Topic: 'server-logs',
    });
    expect(kafka.brokerMetric('KafkaDataLogsDiskUsed', 3).dimensions).toEqual({
      'Cluster Name': 'platform',
      'Broker ID': '3',
    });
  });

  it('computes the topic and group ARNs at synth from the literal cluster ARN', () => {
    expect(kafka.topicArn('server-logs')).toBe(`${DATA_PLANE}:topic/${TAIL}/server-logs`);
    expect(kafka.groupArn('group-a')).toBe(`${DATA_PLANE}:group/${TAIL}/group-a`);
  });

  it('grants the data-plane actions on the exact cluster, topic and group ARNs', () => {
    expect(actionsOn(template, CLUSTER_ARN)).toEqual(
      expect.arrayContaining([
        'kafka-cluster:Connect',
        'kafka-cluster:WriteDataIdempotently',
        'kafka:GetBootstrapBrokers',
      ]),
    );
    expect(actionsOn(template, `${DATA_PLANE}:group/${TAIL}/group-a`)).toEqual([
      'kafka-cluster:AlterGroup',
      'kafka-cluster:DescribeGroup',
    ]);
    expect(actionsOn(template, `${DATA_PLANE}:topic/${TAIL}/server-logs-dlq`)).toEqual(
      expect.arrayContaining(['kafka-cluster:WriteData']),
    );
    // Nothing on a wildcard: every Kafka statement names a cluster, topic or group of this cluster.
    for (const statement of statements(template)) {
      const actions = [statement.Action].flat() as string[];
      if (!actions.some((a) => a.startsWith('kafka'))) continue;
      for (const resource of [statement.Resource].flat()) {
        expect(resource).toMatch(new RegExp(`^${DATA_PLANE}:(cluster|topic|group)/${TAIL}(/[a-z-]+)?$`));
      }
    }
  });

  it('lets the topics custom resource create exactly the two topics', () => {
    const topicArns = TOPICS.map((t) => `${DATA_PLANE}:topic/${TAIL}/${t.name}`);
    const admin = statements(template).find((s) => [s.Action].flat().includes('kafka-cluster:CreateTopic'));
    expect(admin?.Resource).toEqual(topicArns);
    template.hasResourceProperties('Custom::KafkaTopics', {
      ClusterArn: CLUSTER_ARN,
      Topics: [
        { Name: 'server-logs', Partitions: 6, ReplicationFactor: 3 },
        { Name: 'server-logs-dlq', Partitions: 6, ReplicationFactor: 3 },
      ],
    });
  });

  it("admits its clients to the imported brokers' security group on the SASL/IAM port", () => {
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).map(
      (r) => (r as { Properties: CfnProperties }).Properties,
    );
    expect(ingress).toHaveLength(2);
    for (const rule of ingress) {
      expect(rule).toMatchObject({
        GroupId: 'sg-0123456789abcdef0',
        IpProtocol: 'tcp',
        FromPort: 9098,
        ToPort: 9098,
      });
    }
    expect(ingress.map((r) => r.Description).sort()).toEqual(['a client', 'topics custom resource']);
  });

  it('runs the topics function in the VPC, waiting for the ingress rules before it connects', () => {
    const fn = Object.values(template.findResources('AWS::Lambda::Function')).find((f) =>
      String((f as { Properties: CfnProperties }).Properties.Description).startsWith(
        'Creates the log pipeline Kafka',
      ),
    ) as { Properties: CfnProperties };
    expect(fn.Properties.VpcConfig.SubnetIds).toEqual([
      'subnet-0aaaaaaaaaaaaaaa1',
      'subnet-0bbbbbbbbbbbbbbb2',
      'subnet-0ccccccccccccccc3',
    ]);
    const topics = Object.values(template.findResources('Custom::KafkaTopics'))[0] as {
      DependsOn?: string[];
    };
    const ingressIds = Object.keys(template.findResources('AWS::EC2::SecurityGroupIngress'));
    expect(topics.DependsOn).toEqual(expect.arrayContaining(ingressIds));
  });
});

describe('ExistingKafkaCluster with topics its owner creates', () => {
  it('creates no topics resource or function, and adds no rule to an immutable security group', () => {
    const { stack, vpc } = platformStack();
    const kafka = new ExistingKafkaCluster(stack, 'Kafka', {
      vpc,
      clusterArn: CLUSTER_ARN,
      securityGroup: ec2.SecurityGroup.fromSecurityGroupId(stack, 'Brokers', 'sg-0123456789abcdef0', {
        mutable: false,
      }),
      createTopics: false,
      topics: TOPICS,
    });
    kafka.allowClientsFrom(new ec2.SecurityGroup(stack, 'Client', { vpc }), 'a client');
    const template = Template.fromStack(stack);
    expect(kafka.topicsResource).toBeUndefined();
    for (const type of ['Custom::KafkaTopics', 'AWS::Lambda::Function', 'AWS::EC2::SecurityGroupIngress']) {
      expect(Object.keys(template.findResources(type)), type).toEqual([]);
    }
  });
});

describe('ExistingKafkaCluster with an ARN known only at deployment', () => {
  it('derives the name and the data-plane ARNs in CloudFormation', () => {
    const { stack, vpc } = platformStack();
    const arn = new CfnParameter(stack, 'ClusterArn', { type: 'String' }).valueAsString;
    const kafka = new ExistingKafkaCluster(stack, 'Kafka', {
      vpc,
      clusterArn: arn,
      securityGroup: ec2.SecurityGroup.fromSecurityGroupId(stack, 'Brokers', 'sg-0123456789abcdef0'),
      createTopics: false,
      topics: TOPICS,
    });
    expect(stack.resolve(kafka.clusterName)).toEqual({
      'Fn::Select': [1, { 'Fn::Split': ['/', { Ref: 'ClusterArn' }] }],
    });
    const part = (i: number) => ({ 'Fn::Select': [i, { 'Fn::Split': ['/', { Ref: 'ClusterArn' }] }] });
    expect(stack.resolve(kafka.groupArn('group-a'))).toEqual({
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':kafka:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          ':group/',
          part(1),
          '/',
          part(2),
          '/group-a',
        ],
      ],
    });
  });
});

describe('ExistingKafkaCluster refuses props that cannot work, naming the prop, the value and the fix', () => {
  it.each<[string, Partial<ExistingKafkaClusterProps>, RegExp]>([
    [
      'an ARN that is not an MSK cluster',
      { clusterArn: 'arn:aws:kafka:eu-west-1:123456789012:topic/platform/x/t' },
      /^PlatformStack\/Kafka: clusterArn: use an MSK provisioned cluster ARN, .*, got "arn:aws:kafka:eu-west-1:123456789012:topic\/platform\/x\/t"$/,
    ],
    [
      'a cluster in another region',
      { clusterArn: CLUSTER_ARN.replace('eu-west-1', 'us-east-1') },
      /clusterArn: must be a cluster in the stack's region \(eu-west-1\).*regional; deploy the pipeline there, got "arn:aws:kafka:us-east-1:/,
    ],
    [
      'a cluster in another account',
      { clusterArn: CLUSTER_ARN.replace('123456789012', '210987654321') },
      /clusterArn: must be a cluster in the stack's account \(123456789012\).*same-account.*, got "arn:aws:kafka:eu-west-1:210987654321:/,
    ],
    ['no brokers', { brokerCount: 0 }, /brokerCount: must be an integer between 1 and 60, got 0$/],
    [
      'more replicas than the cluster has brokers',
      { brokerCount: 2 },
      /topics\[0\]\.replicationFactor: must be an integer between 1 and 2, got 3$/,
    ],
    [
      'a replication factor that leaves no room above min.insync.replicas',
      { minInsyncReplicas: 3 },
      /minInsyncReplicas: must be an integer from 1 to replicationFactor - 1 \(2\).*, got 3$/,
    ],
  ])('refuses %s', (_, change, message) => {
    const { stack, vpc } = platformStack();
    expect(
      () =>
        new ExistingKafkaCluster(stack, 'Kafka', {
          vpc,
          clusterArn: CLUSTER_ARN,
          securityGroup: ec2.SecurityGroup.fromSecurityGroupId(stack, 'Brokers', 'sg-0123456789abcdef0'),
          topics: TOPICS,
          ...change,
        }),
    ).toThrow(message);
  });

  it('names the pipeline topic that is not legal', () => {
    const { stack, vpc } = platformStack();
    expect(
      () =>
        new ExistingKafkaCluster(stack, 'Kafka', {
          vpc,
          clusterArn: CLUSTER_ARN,
          securityGroup: ec2.SecurityGroup.fromSecurityGroupId(stack, 'Brokers', 'sg-0123456789abcdef0'),
          topics: [{ name: 'server logs', partitions: 6, replicationFactor: 3 }],
        }),
    ).toThrow(/topics\[0\]\.name: use 1-249 letters.*, got "server logs"$/);
  });
});
