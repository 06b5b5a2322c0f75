import { Match, type Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildStack, onlyResource, removeOutdir, type StackFixture } from './stack-fixture.js';

type Statement = { Action: string | string[]; Resource: unknown };

describe('LambdaConsumer (consumer mode lambda)', () => {
  let fixture: StackFixture;
  let template: Template;

  beforeAll(() => {
    // Provisioned mode (the production profile's) carries the explicit settings; on demand: profiles.test.ts.
    fixture = buildStack({ config: { batchSize: 400, batchWindowSeconds: 7, pollerMode: 'provisioned' } });
    template = fixture.template;
  });
  afterAll(() => removeOutdir(fixture));

  it('runs the msk-consumer handler on arm64 with the current Node.js runtime, in the VPC', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Classifies server-log batches'),
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      VpcConfig: Match.objectLike({ SubnetIds: Match.anyValue() }),
      Environment: {
        Variables: Match.objectLike({
          INDEX_PREFIX: 'logs',
          OPENSEARCH_ENDPOINT: Match.anyValue(),
          // The read-only login, never the administrator's.
          DB_SECRET_ARN: { Ref: Match.stringLikeRegexp('^UsersDatabaseReaderSecretAttachment') },
          METRICS_NAMESPACE: 'LogPipeline',
          USERS_CACHE_TTL_SECONDS: '60',
          KAFKA_DLQ_TOPIC: 'server-logs-dlq',
        }),
      },
    });
  });

  it('maps the MSK topic with batch settings from config and provisioned pollers, and never gives up on a batch', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^StreamingCluster'), 'Arn'] },
      Topics: ['server-logs'],
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 400,
      MaximumBatchingWindowInSeconds: 7,
      AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'log-pipeline-consumer' },
      ProvisionedPollerConfig: { MinimumPollers: 1, MaximumPollers: 4 },
    });
    // Finite retries or record age, or an on-failure destination (which caps retries at 10), would move the
    // group past records that were never indexed.
    const mapping = onlyResource(template, 'AWS::Lambda::EventSourceMapping');
    expect(mapping.props.MaximumRetryAttempts).toBe(-1);
    expect(mapping.props.MaximumRecordAgeInSeconds).toBe(-1);
    expect(mapping.props.BisectBatchOnFunctionError).toBe(false);
    expect(mapping.props.DestinationConfig).toBeUndefined();
    template.resourceCountIs('AWS::SQS::Queue', 0);
  });

  it('gives the function time to wait out an outage, and a path to the dead-letter topic', () => {
    const fn = Object.values(template.findResources('AWS::Lambda::Function')).find((r) =>
      JSON.stringify(r).includes('Classifies server-log batches'),
    ) as { Properties: { Timeout: number; VpcConfig: { SecurityGroupIds: { 'Fn::GetAtt': [string] }[] } } };
    expect(fn.Properties.Timeout).toBe(300);
    const sg = fn.Properties.VpcConfig.SecurityGroupIds[0]['Fn::GetAtt'][0];
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 9098,
      SourceSecurityGroupId: { 'Fn::GetAtt': [sg, 'GroupId'] },
    });
  });

  it('scopes the function role to the cluster, topic and group ARNs, the domain and the secret', () => {
    const fn = Object.values(template.findResources('AWS::Lambda::Function')).find((r) =>
      JSON.stringify(r).includes('Classifies server-log batches'),
    ) as { Properties: { Role: { 'Fn::GetAtt': [string, string] } } } | undefined;
    if (!fn) throw new Error('the consumer function is missing');
    const roleId = fn.Properties.Role['Fn::GetAtt'][0];
    const policies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } });
    const statements = Object.values(policies).flatMap(
      (p) =>
        (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument
          .Statement,
    );
    const resourceOf = (action: string) =>
      JSON.stringify(statements.filter((s) => [s.Action].flat().includes(action)).map((s) => s.Resource));
    expect(resourceOf('kafka-cluster:ReadData')).toMatch(/:topic\/.*\/server-logs"/);
    expect(resourceOf('kafka-cluster:AlterGroup')).toMatch(/:group\/.*\/log-pipeline-consumer"/);
    expect(resourceOf('kafka-cluster:Connect')).toContain('StreamingCluster');
    expect(resourceOf('es:ESHttpPost')).toContain('SearchDomain');
    expect(resourceOf('secretsmanager:GetSecretValue')).toContain('UsersDatabaseReaderSecretAttachment');
    expect(resourceOf('secretsmanager:GetSecretValue')).not.toContain('UsersDatabaseInstanceSecret');
    expect(resourceOf('kafka-cluster:WriteData')).toMatch(/:topic\/.*\/server-logs-dlq"/);
    expect(resourceOf('kafka-cluster:WriteData')).not.toMatch(/\/server-logs"/);
    // The dead-letter producer reads the topic's max.message.bytes to size its records.
    expect(resourceOf('kafka-cluster:DescribeTopicDynamicConfiguration')).toMatch(
      /:topic\/.*\/server-logs-dlq"/,
    );
    expect(resourceOf('kafka-cluster:DescribeTopicDynamicConfiguration')).not.toMatch(/\/server-logs"/);
    // Only the mapping's VPC Describe actions, which have no resource-level permissions, name every resource.
    expect(statements.filter((s) => s.Resource === '*').flatMap((s) => [s.Action].flat())).toEqual([
      'ec2:DescribeSecurityGroups',
      'ec2:DescribeVpcs',
    ]);
  });

  it('lets the event source mapping describe the VPC and security groups (AWSLambdaMSKExecutionRole), before it is created', () => {
    const fn = Object.values(template.findResources('AWS::Lambda::Function')).find((r) =>
      JSON.stringify(r).includes('Classifies server-log batches'),
    ) as { Properties: { Role: { 'Fn::GetAtt': [string, string] } } };
    const roleId = fn.Properties.Role['Fn::GetAtt'][0];
    const found = template.findResources('AWS::IAM::Policy', {
      Properties: {
        Roles: [{ Ref: roleId }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: ['ec2:DescribeSecurityGroups', 'ec2:DescribeVpcs'],
              Effect: 'Allow',
              Resource: '*',
            }),
          ]),
        },
      },
    });
    const policyIds = Object.keys(found);
    expect(policyIds).toHaveLength(1);
    const mapping = Object.values(template.findResources('AWS::Lambda::EventSourceMapping'))[0] as {
      DependsOn: string[];
    };
    expect(mapping.DependsOn).toContain(policyIds[0]);
  });

  it('registers the function role as a search writer, not as the master user', () => {
    const setup = onlyResource(template, 'Custom::SearchSetup');
    expect(JSON.stringify(setup.props.WriterRoleArns)).toContain('LambdaConsumerHandlerFunctionServiceRole');
    const domain = onlyResource(template, 'AWS::OpenSearchService::Domain');
    expect(JSON.stringify(domain.props.AdvancedSecurityOptions)).not.toContain('LambdaConsumer');
  });

  it('deploys no Fargate service in lambda mode', () => {
    template.resourceCountIs('AWS::ECS::Service', 0);
  });
});
