// ExistingSearchDomain alone in a minimal stack, with the domain, its security group and the setup role imported
// the way a platform team's stack would (fromXxxAttributes), and LogPipeline in an existing VPC on that domain,
// synthesized with cdk-nag (the README example `existing-opensearch` adds the built-in CloudFormation validation).
// The template is what matters here, not the setup function's code: no esbuild run.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as opensearch from 'aws-cdk-lib/aws-opensearchservice';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExistingSearchDomain, type ExistingSearchDomainProps, LogPipeline } from '../../lib/index.js';
import {
  cdkJsonContext,
  onlyResource,
  platformVpc,
  removeScratchOutdirs,
  synthWithNag,
  testApp,
  type ValidationReport,
} from './stack-fixture.js';

const ENV = { account: '123456789012', region: 'eu-west-1' };
const DOMAIN_ARN = 'arn:aws:es:eu-west-1:123456789012:domain/shared-logs';
const DOMAIN_ENDPOINT = 'vpc-shared-logs-abcdefghijklmnopqrstuvwxyz.eu-west-1.es.amazonaws.com';
const SETUP_ROLE_ARN = 'arn:aws:iam::123456789012:role/log-pipeline-search-setup';
const READER_ROLE_ARN = 'arn:aws:iam::123456789012:role/platform-dashboards-users';

/** What a platform team imports: its VPC, its domain, the domain's security group and the mapped setup role. */
function imported(stack: Stack) {
  const vpc = platformVpc(stack);
  return {
    vpc,
    domain: opensearch.Domain.fromDomainAttributes(stack, 'SharedDomain', {
      domainArn: DOMAIN_ARN,
      domainEndpoint: DOMAIN_ENDPOINT,
    }),
    securityGroup: ec2.SecurityGroup.fromSecurityGroupId(stack, 'SharedDomainSg', 'sg-0123456789abcdef0'),
    setupRole: iam.Role.fromRoleArn(stack, 'SetupRole', SETUP_ROLE_ARN),
  };
}

describe('ExistingSearchDomain', () => {
  let template: Template;

  beforeAll(() => {
    const stack = new Stack(testApp(undefined, { bundling: false }), 'Platform', { env: ENV });
    const parts = imported(stack);
    const search = new ExistingSearchDomain(stack, 'Search', {
      ...parts,
      indexPrefix: 'applogs',
      retentionDays: 30,
      refreshInterval: '1s',
      replicas: 2,
      dashboardsReaders: [iam.Role.fromRoleArn(stack, 'Readers', READER_ROLE_ARN)],
    });
    const writer = new iam.Role(stack, 'Writer', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    const writerSg = new ec2.SecurityGroup(stack, 'WriterSg', { vpc: parts.vpc });
    search.addWriter(writer, writerSg);
    search.addOperator('arn:aws:iam::123456789012:role/ops');
    template = Template.fromStack(stack);
  });
  afterAll(removeScratchOutdirs);

  it('creates no domain, log group policy, Cognito pool or hop', () => {
    for (const type of [
      'AWS::OpenSearchService::Domain',
      'AWS::Logs::ResourcePolicy',
      'AWS::Cognito::UserPool',
      'AWS::Cognito::IdentityPool',
      'AWS::AutoScaling::AutoScalingGroup',
    ]) {
      expect(Object.keys(template.findResources(type)), type).toEqual([]);
    }
    // The setup function's own log groups only: the domain's logs are its owner's.
    const groups = Object.keys(template.findResources('AWS::Logs::LogGroup'));
    expect(groups.every((id) => id.startsWith('SearchSetupProvider'))).toBe(true);
  });

  it('runs the setup in the imported domain as a shared one, mapping the writers, readers and operators', () => {
    const { props } = onlyResource(template, 'Custom::SearchSetup');
    expect(props).toMatchObject({
      Endpoint: `https://${DOMAIN_ENDPOINT}`,
      IndexPrefix: 'applogs',
      RetentionDays: 30,
      RefreshInterval: '1s',
      Replicas: 2,
      SharedDomain: 'true',
      WriterRoleArns: [{ 'Fn::GetAtt': [expect.stringMatching(/^Writer/), 'Arn'] }],
      ReaderRoleArns: [READER_ROLE_ARN],
      OperatorRoleArns: ['arn:aws:iam::123456789012:role/ops'],
    });
    expect(props.SavedObjectsHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('runs the setup function as the role the owner mapped, and grants that role HTTP on the domain', () => {
    const setupFn = Object.values(template.findResources('AWS::Lambda::Function')).find((f) =>
      JSON.stringify(f).includes('Applies index templates'),
    );
    expect(setupFn?.Properties.Role).toBe(SETUP_ROLE_ARN);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: ['log-pipeline-search-setup'],
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Action: Match.arrayWith(['es:ESHttpGet', 'es:ESHttpPost', 'es:ESHttpPut']),
            Resource: [DOMAIN_ARN, `${DOMAIN_ARN}/*`],
          }),
        ],
      },
    });
    // No new role for it: the only roles are the writer's and the provider framework's.
    const roles = Object.keys(template.findResources('AWS::IAM::Role'));
    expect(roles.filter((id) => id.startsWith('SearchSetupProviderOnEvent'))).toEqual([]);
  });

  it('grants writers POST on the imported domain _bulk path only', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^Writer') }],
      PolicyDocument: {
        Statement: [{ Action: 'es:ESHttpPost', Effect: 'Allow', Resource: `${DOMAIN_ARN}/_bulk` }],
      },
    });
  });

  it("admits the writers and the setup function on 443 in the imported domain's security group", () => {
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).map(
      (r) => r.Properties,
    );
    expect(ingress).toHaveLength(2);
    for (const rule of ingress) {
      expect(rule).toMatchObject({
        GroupId: 'sg-0123456789abcdef0',
        FromPort: 443,
        ToPort: 443,
        IpProtocol: 'tcp',
      });
    }
    expect(ingress.map((r) => JSON.stringify(r.SourceSecurityGroupId))).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/WriterSg/),
        expect.stringMatching(/SearchSetupProviderSecurityGroup/),
      ]),
    );
  });

  it('waits for the ingress rules and the setup role grant before running the setup', () => {
    const setup = Object.values(template.findResources('Custom::SearchSetup'))[0] as { DependsOn: string[] };
    expect(setup.DependsOn).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^SharedDomainSgfrom/),
        expect.stringMatching(/^SetupRolePolicy/),
      ]),
    );
  });
});

describe('ExistingSearchDomain validation', () => {
  const stack = new Stack(testApp(undefined, { bundling: false }), 'Checks', { env: ENV });
  const parts = imported(stack);
  let n = 0;
  const build = (props: Partial<ExistingSearchDomainProps>) => () =>
    new ExistingSearchDomain(stack, `Search${++n}`, { ...parts, ...props });
  afterAll(removeScratchOutdirs);

  it.each([
    [
      { indexPrefix: '_logs' },
      'indexPrefix: use lower-case letters, digits, "_" or "-", starting with a letter, got "_logs"',
    ],
    [{ retentionDays: 4000 }, 'retentionDays: must be an integer between 1 and 3650, got 4000'],
    [
      { refreshInterval: '5' },
      'refreshInterval: use a whole number of ms, s or m, such as 500ms, 1s or 5s, got "5"',
    ],
    [{ replicas: -1 }, 'replicas: must be an integer between 0 and 5, got -1'],
    [
      {
        domain: opensearch.Domain.fromDomainAttributes(stack, 'Public', {
          domainArn: DOMAIN_ARN,
          domainEndpoint: 'https://search-shared-logs-abc.eu-west-1.es.amazonaws.com',
        }),
      },
      `domain: give the domain's VPC endpoint (vpc-<name>-<id>.<region>.es.amazonaws.com): the pipeline reaches the domain from its VPC only, got "search-shared-logs-abc.eu-west-1.es.amazonaws.com"`,
    ],
    [
      {
        domain: opensearch.Domain.fromDomainAttributes(stack, 'OtherAccount', {
          domainArn: 'arn:aws:es:eu-west-1:210987654321:domain/shared-logs',
          domainEndpoint: DOMAIN_ENDPOINT,
        }),
      },
      `domain: use a domain in the stack's account and region (123456789012, eu-west-1): the pipeline grants its roles on the domain and admits them in its security group, got "arn:aws:es:eu-west-1:210987654321:domain/shared-logs"`,
    ],
  ] as const)('refuses %j, naming the prop, the value and the fix', (props, message) => {
    expect(build(props as Partial<ExistingSearchDomainProps>)).toThrow(`Checks/Search${n + 1}: ${message}`);
  });
});

describe('LogPipeline on an existing VPC and OpenSearch domain', () => {
  let template: Template;
  let report: ValidationReport;
  let outdir: string;

  beforeAll(() => {
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'log-pipeline-cdk-'));
    const app = new App({
      outdir,
      context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] },
      builtinCloudFormationValidation: false,
    });
    const stack = new Stack(app, 'Platform', { env: ENV });
    const { vpc, ...search } = imported(stack);
    new LogPipeline(stack, 'Logs', {
      existingVpc: vpc,
      existingSearchDomain: search,
      indexRefreshInterval: '2m',
    });
    ({ template, report } = synthWithNag(app, stack));
  });
  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  it('has no unacknowledged cdk-nag finding', () => {
    expect(report.pluginReports.find((r) => r.pluginName === 'AwsSolutions')).toBeDefined();
    for (const plugin of report.pluginReports) {
      expect({ plugin: plugin.pluginName, violations: plugin.violations }).toEqual({
        plugin: plugin.pluginName,
        violations: [],
      });
    }
  });

  it('creates no domain, Cognito sign-in or Dashboards hop, and points the outputs at the imported domain', () => {
    for (const type of ['AWS::OpenSearchService::Domain', 'AWS::Cognito::UserPool']) {
      expect(Object.keys(template.findResources(type)), type).toEqual([]);
    }
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.OpenSearchEndpoint?.Value).toBe(`https://${DOMAIN_ENDPOINT}`);
    expect(outputs.DashboardsImport).toBeDefined();
    expect(outputs.DashboardsUserPoolId).toBeUndefined();
    expect(outputs.DashboardsHopTag).toBeUndefined();
  });

  it('refuses a setting that describes a new domain, naming it and the fix', () => {
    const stack = new Stack(testApp(undefined, { bundling: false }), 'Other', { env: ENV });
    const { vpc, ...search } = imported(stack);
    expect(
      () =>
        new LogPipeline(stack, 'Logs', {
          existingVpc: vpc,
          existingSearchDomain: search,
          searchDataNodes: 3,
        }),
    ).toThrow(
      /^Other\/Logs: searchDataNodes: describes the OpenSearch domain the pipeline would create, not existingSearchDomain; remove it .*, got 3$/,
    );
  });

  it('keeps indexRefreshInterval, a setting of its indices, not of the domain', () => {
    expect(onlyResource(template, 'Custom::SearchSetup').props.RefreshInterval).toBe('2m');
  });

  it("maps the consumer and the ops function in the domain, and admits them in the domain's security group", () => {
    const { props } = onlyResource(template, 'Custom::SearchSetup');
    expect(props.WriterRoleArns.length).toBeGreaterThanOrEqual(1);
    expect(props.OperatorRoleArns.length).toBeGreaterThanOrEqual(1);
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress'))
      .map((r) => r.Properties)
      .filter((p) => p.GroupId === 'sg-0123456789abcdef0');
    // The consumer, the ops function and the setup function.
    expect(ingress.length).toBeGreaterThanOrEqual(3);
  });
});
