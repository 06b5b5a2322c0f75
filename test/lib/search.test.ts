import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Search } from '../../lib/search.js';
import { constructStack, removeOutdir } from './stack-fixture.js';

describe('Search', () => {
  let fixture: ReturnType<typeof constructStack>;
  let template: Template;

  beforeAll(() => {
    fixture = constructStack();
    const search = new Search(fixture.stack, 'Search', {
      vpc: fixture.vpc,
      subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      azCount: 2,
      dataNodes: 2,
      instanceType: 't3.medium.search',
      volumeGiB: 20,
      indexPrefix: 'logs',
      retentionDays: 14,
      logRetention: logs.RetentionDays.ONE_MONTH,
    });
    const writer = new iam.Role(fixture.stack, 'Writer', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    const writerSg = new ec2.SecurityGroup(fixture.stack, 'WriterSg', { vpc: fixture.vpc });
    search.addWriter(writer, writerSg);
    template = Template.fromStack(fixture.stack);
  });
  afterAll(() => removeOutdir(fixture));

  it('places an OpenSearch 2.x domain in the VPC with zone awareness over two zones', () => {
    template.hasResourceProperties('AWS::OpenSearchService::Domain', {
      EngineVersion: 'OpenSearch_2.19',
      VPCOptions: { SubnetIds: [Match.anyValue(), Match.anyValue()], SecurityGroupIds: [Match.anyValue()] },
      ClusterConfig: Match.objectLike({
        InstanceCount: 2,
        InstanceType: 't3.medium.search',
        ZoneAwarenessEnabled: true,
        ZoneAwarenessConfig: { AvailabilityZoneCount: 2 },
      }),
    });
  });

  it('enables fine-grained access control with the setup function role as the IAM master user', () => {
    template.hasResourceProperties('AWS::OpenSearchService::Domain', {
      AdvancedSecurityOptions: {
        Enabled: true,
        InternalUserDatabaseEnabled: false,
        MasterUserOptions: {
          MasterUserARN: {
            'Fn::GetAtt': [Match.stringLikeRegexp('^SearchSetupProviderOnEventFunctionServiceRole'), 'Arn'],
          },
        },
      },
    });
  });

  it('encrypts at rest and node to node and accepts HTTPS with TLS 1.2+ only', () => {
    template.hasResourceProperties('AWS::OpenSearchService::Domain', {
      EncryptionAtRestOptions: { Enabled: true },
      NodeToNodeEncryptionOptions: { Enabled: true },
      DomainEndpointOptions: { EnforceHTTPS: true, TLSSecurityPolicy: 'Policy-Min-TLS-1-2-PFS-2023-10' },
    });
  });

  it('ships slow search, slow index and application logs to CloudWatch with a resource policy for them', () => {
    template.hasResourceProperties('AWS::OpenSearchService::Domain', {
      LogPublishingOptions: {
        SEARCH_SLOW_LOGS: Match.objectLike({ Enabled: true }),
        INDEX_SLOW_LOGS: Match.objectLike({ Enabled: true }),
        ES_APPLICATION_LOGS: Match.objectLike({ Enabled: true }),
      },
    });
    const policy = JSON.stringify(template.findResources('AWS::Logs::ResourcePolicy'));
    expect(policy).toContain('\\"Service\\":\\"es.amazonaws.com\\"');
    expect(policy).toContain('logs:PutLogEvents');
  });

  it('re-applies setup on every update: writer roles and a bundle hash are resource properties', () => {
    const setup = Object.values(template.findResources('Custom::SearchSetup'))[0] as {
      Properties: Record<string, unknown>;
    };
    expect(setup.Properties).toMatchObject({
      IndexPrefix: 'logs',
      RetentionDays: 14,
      WriterRoleArns: [{ 'Fn::GetAtt': [expect.stringMatching(/^Writer/), 'Arn'] }],
    });
    expect(setup.Properties.SavedObjectsHash).toMatch(/^[0-9a-f]{64}$/);
    // It is the hash of the handler bundle that embeds the saved objects: new dashboards, new hash, UPDATE.
    const handler = Object.values(template.findResources('AWS::Lambda::Function')).find((f) =>
      JSON.stringify(f).includes('Applies index templates'),
    ) as { Properties: { Code: { S3Key: string } } } | undefined;
    expect(handler?.Properties.Code.S3Key).toBe(`${setup.Properties.SavedObjectsHash}.zip`);
    expect(JSON.stringify(setup.Properties.Endpoint)).toContain('https://');
  });

  it('grants writers only bulk-write HTTP methods on the domain and admits them on 443', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^Writer') }],
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Action: ['es:ESHttpPost', 'es:ESHttpPut'],
            Resource: [
              { 'Fn::GetAtt': [Match.stringLikeRegexp('^SearchDomain'), 'Arn'] },
              {
                'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^SearchDomain'), 'Arn'] }, '/*']],
              },
            ],
          }),
        ],
      },
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 443,
      ToPort: 443,
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WriterSg'), 'GroupId'] },
    });
  });
});
