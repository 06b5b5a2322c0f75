import { Lazy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userPoolDomainPrefix } from '../../lib/dashboards-auth.js';
import { Search, type SearchProps } from '../../lib/search.js';
import {
  constructStack,
  onlyResource,
  removeOutdir,
  removeScratchOutdirs,
  testApp,
} from './stack-fixture.js';

function searchProps(vpc: ec2.IVpc): SearchProps {
  return {
    vpc,
    subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    azCount: 2,
    dataNodes: 2,
    instanceType: 't3.medium.search',
    volumeGiB: 20,
    indexPrefix: 'logs',
    retentionDays: 14,
    logRetention: logs.RetentionDays.ONE_MONTH,
  };
}

describe('Search', () => {
  let fixture: ReturnType<typeof constructStack>;
  let template: Template;

  beforeAll(() => {
    fixture = constructStack({ bundling: false });
    const search = new Search(fixture.stack, 'Search', searchProps(fixture.vpc));
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

  it('lets fine-grained access control decide: an open access policy on the domain, named without a self-reference', () => {
    const domain = onlyResource(template, 'AWS::OpenSearchService::Domain');
    const name = domain.props.DomainName as string;
    expect(name).toMatch(/^[a-z][a-z0-9-]{2,27}$/);
    expect(domain.props.AccessPolicies).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: '*' },
          Action: 'es:ESHttp*',
          Resource: {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':es:',
                { Ref: 'AWS::Region' },
                ':',
                { Ref: 'AWS::AccountId' },
                `:domain/${name}/*`,
              ],
            ],
          },
        },
      ],
    });
    // Applied by the domain resource itself, not by an extra SDK-call function afterwards.
    template.resourceCountIs('Custom::OpenSearchAccessPolicy', 0);
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

  it('ships slow search, slow index, application and audit logs to CloudWatch with a resource policy for them', () => {
    template.hasResourceProperties('AWS::OpenSearchService::Domain', {
      LogPublishingOptions: {
        SEARCH_SLOW_LOGS: Match.objectLike({ Enabled: true }),
        INDEX_SLOW_LOGS: Match.objectLike({ Enabled: true }),
        ES_APPLICATION_LOGS: Match.objectLike({ Enabled: true }),
        AUDIT_LOGS: Match.objectLike({ Enabled: true }),
      },
    });
    const policy = JSON.stringify(template.findResources('AWS::Logs::ResourcePolicy'));
    expect(policy).toContain('\\"Service\\":\\"es.amazonaws.com\\"');
    expect(policy).toContain('logs:PutLogEvents');
    // Every published log group is in the policy: the audit group too.
    const domain = Object.values(template.findResources('AWS::OpenSearchService::Domain'))[0] as {
      Properties: {
        LogPublishingOptions: Record<string, { CloudWatchLogsLogGroupArn: { 'Fn::GetAtt': [string] } }>;
      };
    };
    for (const option of Object.values(domain.Properties.LogPublishingOptions)) {
      expect(policy).toContain(option.CloudWatchLogsLogGroupArn['Fn::GetAtt'][0]);
    }
  });

  it('re-applies setup on every update: writer roles and a bundle hash are resource properties', () => {
    const setup = Object.values(template.findResources('Custom::SearchSetup'))[0] as {
      Properties: Record<string, unknown>;
    };
    expect(setup.Properties).toMatchObject({
      IndexPrefix: 'logs',
      RetentionDays: 14,
      // The default: bulk throughput over freshness.
      RefreshInterval: '5s',
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

  it('grants writers only POST on the _bulk path (the index-level resource of the one request they send) and admits them on 443', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^Writer') }],
      PolicyDocument: {
        Statement: [
          {
            Action: 'es:ESHttpPost',
            Effect: 'Allow',
            Resource: {
              'Fn::Join': [
                '',
                [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^SearchDomain'), 'Arn'] }, '/_bulk'],
              ],
            },
          },
        ],
      },
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 443,
      ToPort: 443,
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WriterSg'), 'GroupId'] },
    });
  });

  it('lets only administrators create Dashboards users, with strong passwords and TOTP MFA required', () => {
    const { props } = onlyResource(template, 'AWS::Cognito::UserPool');
    expect(props.AdminCreateUserConfig).toEqual({ AllowAdminCreateUserOnly: true });
    expect(props.Policies.PasswordPolicy).toEqual({
      MinimumLength: 14,
      RequireLowercase: true,
      RequireUppercase: true,
      RequireNumbers: true,
      RequireSymbols: true,
      TemporaryPasswordValidityDays: 3,
    });
    expect(props.MfaConfiguration).toBe('ON');
    expect(props.EnabledMfas).toEqual(['SOFTWARE_TOKEN_MFA']);
    expect(props.UsernameAttributes).toEqual(['email']);
    // Plus (threat protection) is billed per user with no free tier; the nag finding is acknowledged.
    expect(props.UserPoolTier).toBe('ESSENTIALS');
  });

  it('gives the user pool a hosted-UI domain derived from the stack name and the account', () => {
    const { id: poolId } = onlyResource(template, 'AWS::Cognito::UserPool');
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', {
      UserPoolId: { Ref: poolId },
      Domain: { 'Fn::Join': ['', ['teststack-dashboards-', { Ref: 'AWS::AccountId' }]] },
    });
  });

  it('federates signed-in users only: the identity pool has no unauthenticated identities', () => {
    const { id: poolId, props } = onlyResource(template, 'AWS::Cognito::IdentityPool');
    expect(props.AllowUnauthenticatedIdentities).toBe(false);
    const { props: attachment } = onlyResource(template, 'AWS::Cognito::IdentityPoolRoleAttachment');
    expect(attachment.IdentityPoolId).toEqual({ Ref: poolId });
    expect(Object.keys(attachment.Roles)).toEqual(['authenticated']);
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRoleWithWebIdentity',
            Effect: 'Allow',
            Principal: { Federated: 'cognito-identity.amazonaws.com' },
            Condition: {
              StringEquals: { 'cognito-identity.amazonaws.com:aud': { Ref: poolId } },
              'ForAnyValue:StringLike': { 'cognito-identity.amazonaws.com:amr': 'authenticated' },
            },
          },
        ],
      },
    });
  });

  it('enables Cognito for Dashboards on the domain with the pools and the OpenSearch Cognito access role', () => {
    const userPool = onlyResource(template, 'AWS::Cognito::UserPool').id;
    const identityPool = onlyResource(template, 'AWS::Cognito::IdentityPool').id;
    const { props } = onlyResource(template, 'AWS::OpenSearchService::Domain');
    expect(props.CognitoOptions).toEqual({
      Enabled: true,
      UserPoolId: { Ref: userPool },
      IdentityPoolId: { Ref: identityPool },
      RoleArn: { 'Fn::GetAtt': [expect.stringMatching(/^SearchDashboardsAuthOpenSearchCognitoRole/), 'Arn'] },
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'opensearchservice.amazonaws.com' } })],
      },
      ManagedPolicyArns: [
        {
          'Fn::Join': [
            '',
            ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/AmazonOpenSearchServiceCognitoAccess'],
          ],
        },
      ],
    });
    // OpenSearch refuses a user pool without a domain: the domain waits for it.
    const domain = Object.values(template.findResources('AWS::OpenSearchService::Domain'))[0] as {
      DependsOn: string[];
    };
    expect(domain.DependsOn).toEqual(
      expect.arrayContaining([expect.stringMatching(/^SearchDashboardsAuthUserPoolDomain/)]),
    );
  });

  it('grants Dashboards users HTTP reads only and maps their role to the read-only FGAC role', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^SearchDashboardsAuthAuthenticatedRole') }],
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Action: ['es:ESHttpGet', 'es:ESHttpHead', 'es:ESHttpPost'],
            Resource: {
              'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^SearchDomain'), 'Arn'] }, '/*']],
            },
          }),
        ],
      },
    });
    const { props } = onlyResource(template, 'Custom::SearchSetup');
    expect(props.ReaderRoleArns).toEqual([
      { 'Fn::GetAtt': [expect.stringMatching(/^SearchDashboardsAuthAuthenticatedRole/), 'Arn'] },
    ]);
  });
});

describe('Search without Dashboards sign-in', () => {
  let fixture: ReturnType<typeof constructStack>;
  let template: Template;

  beforeAll(() => {
    fixture = constructStack({ bundling: false });
    new Search(fixture.stack, 'Search', { ...searchProps(fixture.vpc), dashboardsAuth: 'none' });
    template = Template.fromStack(fixture.stack);
  });
  afterAll(() => removeOutdir(fixture));

  it('creates no Cognito resources, leaves Cognito off the domain and maps no readers', () => {
    template.resourceCountIs('AWS::Cognito::UserPool', 0);
    template.resourceCountIs('AWS::Cognito::IdentityPool', 0);
    expect(onlyResource(template, 'AWS::OpenSearchService::Domain').props.CognitoOptions).toBeUndefined();
    expect(onlyResource(template, 'Custom::SearchSetup').props.ReaderRoleArns).toBeUndefined();
  });
});

describe('userPoolDomainPrefix', () => {
  it('keeps lower-case letters, digits and hyphens and drops the words Cognito reserves', () => {
    expect(userPoolDomainPrefix('My_AwsCognito.Stack--Dev', '123456789012')).toBe(
      'my-stack-dev-dashboards-123456789012',
    );
  });

  it('stays within the 63 characters Cognito allows and falls back when nothing usable is left', () => {
    const prefix = userPoolDomainPrefix('x'.repeat(200), '123456789012');
    expect(prefix.length).toBeLessThanOrEqual(63);
    expect(prefix).toMatch(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/);
    expect(userPoolDomainPrefix('AWS', '123456789012')).toBe('log-pipeline-dashboards-123456789012');
  });
});

describe('Search setup re-run', () => {
  it('runs the setup again when searchSetupRun changes, and not otherwise', () => {
    const scratch = constructStack({ bundling: false });
    try {
      new Search(scratch.stack, 'Search', { ...searchProps(scratch.vpc), setupRun: '1733450000' });
      new Search(scratch.stack, 'Plain', searchProps(scratch.vpc));
      const setups = Template.fromStack(scratch.stack).findResources('Custom::SearchSetup');
      const runs = Object.entries(setups).map(([id, r]) => [
        id.replace(/Setup.*$/, ''),
        r.Properties.SetupRun,
      ]);
      expect(runs).toEqual([
        ['Search', '1733450000'],
        ['Plain', undefined],
      ]);
    } finally {
      removeOutdir(scratch);
    }
  });
});

describe('Search refresh interval', () => {
  it('gives the setup the refresh interval to put in the template and on the existing indices', () => {
    const scratch = constructStack({ bundling: false });
    try {
      new Search(scratch.stack, 'Search', { ...searchProps(scratch.vpc), refreshInterval: '500ms' });
      const { props } = onlyResource(Template.fromStack(scratch.stack), 'Custom::SearchSetup');
      expect(props.RefreshInterval).toBe('500ms');
    } finally {
      removeOutdir(scratch);
    }
  });
});

describe('Search validation', () => {
  // The checks run first in the constructor: no synthesis, and a failed construct leaves nothing behind.
  const app = testApp(undefined, { bundling: false });
  const stack = new Stack(app, 'Checks');
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  const twoZones = ec2.Vpc.fromVpcAttributes(stack, 'TwoZones', {
    vpcId: 'vpc-0123456789abcdef0',
    availabilityZones: ['eu-west-1a', 'eu-west-1b'],
    privateSubnetIds: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0bbbbbbbbbbbbbbb2'],
  });
  let n = 0;
  const build =
    (props: Partial<SearchProps>, inVpc: ec2.IVpc = vpc) =>
    () =>
      new Search(stack, `Search${++n}`, { vpc: inVpc, ...props });
  afterAll(removeScratchOutdirs);

  it.each([
    [
      { indexPrefix: 'Logs' },
      'indexPrefix: use lower-case letters, digits, "_" or "-", starting with a letter, got "Logs"',
    ],
    [{ retentionDays: 0 }, 'retentionDays: must be an integer between 1 and 3650, got 0'],
    [
      { refreshInterval: '1.5s' },
      'refreshInterval: use a whole number of ms, s or m, such as 500ms, 1s or 5s, got "1.5s"',
    ],
    // -1 turns refreshing off: nothing the pipeline indexes would become searchable.
    [
      { refreshInterval: '-1' },
      'refreshInterval: use a whole number of ms, s or m, such as 500ms, 1s or 5s, got "-1"',
    ],
    [{ dataNodes: 21 }, 'dataNodes: must be an integer between 1 and 20, got 21'],
    [
      { dataNodes: 3 },
      'dataNodes: must be 1 or a multiple of the zones it spans (2) for zone awareness, got 3',
    ],
    [
      { instanceType: 't3.medium' },
      'instanceType: use an OpenSearch type such as t3.medium.search, got "t3.medium"',
    ],
    [
      { instanceType: 't2.small.search' },
      'instanceType: T2 types lack encryption at rest; use t3 or larger, got "t2.small.search"',
    ],
    [
      { instanceType: 'r6gd.large.search' },
      'instanceType: use a type with gp3 EBS storage: t3.small.search, ',
    ],
    [
      { instanceType: 't3.medium.search', volumeGiB: 201 },
      'volumeGiB: t3.medium.search takes a gp3 volume of 10 to 200 GiB per data node; use a size in that range or a larger instanceType (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/limits.html#ebsresource), got 201',
    ],
    [{ volumeGiB: 9 }, 'volumeGiB: t3.medium.search takes a gp3 volume of 10 to 200 GiB'],
    [{ dashboardsAuth: 'saml' as 'none' }, 'dashboardsAuth: use "cognito" or "none", got "saml"'],
    [{ masterNodes: 2 }, 'masterNodes: use 0 (none), 3 or 5, got 2'],
    [
      { masterNodes: 3, masterInstanceType: 'm6g.large' },
      'masterInstanceType: use an OpenSearch type such as m6g.large.search, got "m6g.large"',
    ],
    [{ azCount: 3 }, 'azCount: must be an integer between 2 and 2, got 3'],
  ] as const)('refuses %j, naming the prop, the value and the fix', (props, message) => {
    expect(build(props)).toThrow(`Checks/Search${n + 1}: ${message}`);
  });

  it('refuses zone awareness in a VPC of one zone, and lets one data node live there', () => {
    const oneZone = ec2.Vpc.fromVpcAttributes(stack, 'OneZone', {
      vpcId: 'vpc-0123456789abcdef1',
      availabilityZones: ['eu-west-1a'],
      privateSubnetIds: ['subnet-0aaaaaaaaaaaaaaa3'],
    });
    expect(build({}, oneZone)).toThrow(/azCount: must be an integer between 2 and 1, got 1/);
    expect(build({ dataNodes: 1 }, oneZone)).not.toThrow();
  });

  it('accepts the limits themselves and tokens it cannot know at synth', () => {
    expect(
      build({ instanceType: 't3.medium.search', volumeGiB: 200, retentionDays: 3650 }, twoZones),
    ).not.toThrow();
    expect(build({ indexPrefix: Lazy.string({ produce: () => 'logs' }) }, twoZones)).not.toThrow();
    expect(build({ refreshInterval: Lazy.string({ produce: () => '1s' }) }, twoZones)).not.toThrow();
  });
});
