import { Match, type Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildStack, onlyResource, removeOutdir, type StackFixture } from './stack-fixture.js';

type Statement = { Action: string | string[]; Resource: unknown };

describe('LambdaConsumer (consumer mode lambda)', () => {
  let fixture: StackFixture;
  let template: Template;

  beforeAll(() => {
    fixture = buildStack({ config: { batchSize: 400, batchWindowSeconds: 7, retryAttempts: 4 } });
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
          DB_SECRET_ARN: { Ref: Match.stringLikeRegexp('^UsersDatabaseInstanceSecret') },
          METRICS_NAMESPACE: 'LogPipeline',
          USERS_CACHE_TTL_SECONDS: '60',
        }),
      },
    });
  });

  it('maps the MSK topic with batch settings from config, bounded retries, bisect and provisioned pollers', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^StreamingCluster'), 'Arn'] },
      Topics: ['server-logs'],
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 400,
      MaximumBatchingWindowInSeconds: 7,
      MaximumRetryAttempts: 4,
      BisectBatchOnFunctionError: true,
      MaximumRecordAgeInSeconds: 86_400,
      AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'log-pipeline-consumer' },
      ProvisionedPollerConfig: { MinimumPollers: 1, MaximumPollers: 4 },
    });
  });

  it('sends exhausted batches to an encrypted, TLS-only SQS dead-letter queue', () => {
    const queue = onlyResource(template, 'AWS::SQS::Queue');
    expect(queue.props.KmsMasterKeyId).toBe('alias/aws/sqs');
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queue.id, 'Arn'] } } },
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: Match.objectLike({
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      }),
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
    expect(resourceOf('secretsmanager:GetSecretValue')).toContain('UsersDatabaseInstanceSecret');
    expect(resourceOf('sqs:SendMessage')).toContain('LambdaConsumerDeadLetterQueue');
    expect(statements.filter((s) => s.Resource === '*')).toEqual([]);
    expect(statements.some((s) => [s.Action].flat().includes('kafka-cluster:WriteData'))).toBe(false);
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
