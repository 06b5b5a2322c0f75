import * as fs from 'node:fs';
import * as path from 'node:path';
import { Annotations, Match, type Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildStack,
  type CfnProperties,
  expectNoNagFindings,
  onlyResource,
  removeOutdir,
  type StackFixture,
} from './stack-fixture.js';

interface ValidationReport {
  pluginReports: Array<{
    pluginName: string;
    violations: unknown[];
    suppressedViolations?: Array<{ ruleName: string; reason: string; acknowledgedAt: string }>;
  }>;
}

/** Asset hashes change with every handler edit; the snapshot is about the infrastructure. */
function normaliseHashes(template: unknown): unknown {
  return JSON.parse(JSON.stringify(template).replace(/[0-9a-f]{64}/g, '[ASSET_HASH]'));
}

describe('LogPipelineStack', () => {
  let fixture: StackFixture;
  let template: Template;
  let report: ValidationReport;

  beforeAll(() => {
    // Synthesized like `cdk synth`: cdk-nag AwsSolutions plus the built-in CloudFormation validation.
    fixture = buildStack({ validate: true });
    template = fixture.template;
    fixture.app.synth();
    report = JSON.parse(fs.readFileSync(path.join(fixture.outdir, 'validation-report.json'), 'utf8'));
  });
  afterAll(() => removeOutdir(fixture));

  it('has no unacknowledged cdk-nag finding and no CloudFormation validation finding', () => {
    const nag = report.pluginReports.find((r) => r.pluginName === 'AwsSolutions');
    expect(nag).toBeDefined();
    for (const plugin of report.pluginReports) {
      expect({ plugin: plugin.pluginName, violations: plugin.violations }).toEqual({
        plugin: plugin.pluginName,
        violations: [],
      });
    }
  });

  it('acknowledges each nag finding on a specific construct with a specific reason', () => {
    const acknowledged = report.pluginReports.flatMap((r) => r.suppressedViolations ?? []);
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const finding of acknowledged) {
      expect(finding.acknowledgedAt).not.toBe('LogPipelineStack');
      expect(finding.reason.length).toBeGreaterThan(40);
    }
  });

  it("encrypts every log group with the stack's log key", () => {
    const key = template.findResources('AWS::KMS::Key', {
      Properties: { Description: Match.stringLikeRegexp('log groups') },
    });
    expect(Object.keys(key)).toHaveLength(1);
    const groups = Object.values(template.findResources('AWS::Logs::LogGroup'));
    expect(groups.length).toBeGreaterThan(10);
    for (const group of groups) {
      expect(group.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [Object.keys(key)[0], 'Arn'] });
    }
  });

  it('acknowledges each checkov and cfn-lint finding on its resource, checkov with a specific reason', () => {
    const resources = Object.values(template.toJSON().Resources as Record<string, CfnProperties>);
    const skips = resources.flatMap(
      (r) => (r.Metadata?.checkov?.skip ?? []) as { id: string; comment: string }[],
    );
    expect(skips.length).toBeGreaterThan(0);
    for (const skip of skips) expect(skip.comment.length, skip.id).toBeGreaterThan(40);
    expect(template.toJSON().Metadata?.checkov).toBeUndefined();
    expect(template.toJSON().Metadata?.['cfn-lint']).toBeUndefined();
  });

  it('synthesizes without construct warnings or errors', () => {
    expect(Annotations.fromStack(fixture.stack).findWarning('*', Match.anyValue())).toEqual([]);
    expect(Annotations.fromStack(fixture.stack).findError('*', Match.anyValue())).toEqual([]);
  });

  it('bundles the generator into one generator.mjs asset without Docker', () => {
    const manifest = JSON.parse(
      fs.readFileSync(path.join(fixture.outdir, 'LogPipelineStack.assets.json'), 'utf8'),
    ) as {
      files: Record<string, { displayName?: string; source: { path: string } }>;
    };
    const bundle = Object.values(manifest.files).find((f) => f.displayName === 'GeneratorFleet/Bundle/Asset');
    expect(bundle).toBeDefined();
    expect(fs.readdirSync(path.join(fixture.outdir, bundle?.source.path ?? ''))).toEqual(['generator.mjs']);
  });

  it('starts consuming only after the topics exist', () => {
    const mapping = Object.values(template.findResources('AWS::Lambda::EventSourceMapping'))[0] as {
      DependsOn: string[];
    };
    expect(mapping.DependsOn).toEqual(
      expect.arrayContaining([expect.stringMatching(/^StreamingTopics[0-9A-F]{8}$/)]),
    );
  });

  it("wires the Lambda consumer to the database's read-only login, as a search writer, not the master user", () => {
    template.resourceCountIs('AWS::ECS::Service', 0);
    const fn = Object.values(template.findResources('AWS::Lambda::Function')).find((r) =>
      JSON.stringify(r).includes('Classifies server-log batches'),
    ) as { Properties: { Environment: { Variables: CfnProperties } } };
    expect(fn.Properties.Environment.Variables.DB_SECRET_ARN).toEqual({
      Ref: expect.stringMatching(/^UsersDatabaseReaderSecretAttachment/),
    });
    const setup = onlyResource(template, 'Custom::SearchSetup');
    expect(JSON.stringify(setup.props.WriterRoleArns)).toContain('LambdaConsumerHandlerFunctionServiceRole');
    const domain = onlyResource(template, 'AWS::OpenSearchService::Domain');
    expect(JSON.stringify(domain.props.AdvancedSecurityOptions)).not.toContain('LambdaConsumer');
  });

  it('cannot wedge its first create: the database is protected only by the last resource, after all the others', () => {
    const resources = template.toJSON().Resources as Record<
      string,
      {
        Type: string;
        DependsOn?: string[];
        Properties?: CfnProperties;
        DeletionPolicy?: string;
        UpdateReplacePolicy?: string;
      }
    >;
    const [instanceId, instance] =
      Object.entries(resources).find(([, r]) => r.Type === 'AWS::RDS::DBInstance') ?? [];
    expect(instance?.Properties).not.toHaveProperty('DeletionProtection');
    expect(instance).toMatchObject({ DeletionPolicy: 'Snapshot', UpdateReplacePolicy: 'Snapshot' });

    const [protectionId, protection] = Object.entries(resources).find(
      ([, r]) => r.Type === 'Custom::DatabaseDeletionProtection',
    ) as [string, { DependsOn: string[]; Properties: CfnProperties }];
    expect(protection.Properties).toMatchObject({ DBInstanceIdentifier: { Ref: instanceId }, Enabled: true });
    const own = (id: string) => id.startsWith('UsersDatabaseDeletionProtection');
    const referenced = JSON.stringify(protection.Properties);
    const notOrdered = Object.keys(resources).filter(
      (id) =>
        id !== protectionId &&
        !own(id) &&
        resources[id]?.Type !== 'AWS::CDK::Metadata' &&
        !protection.DependsOn.includes(id) &&
        !referenced.includes(`"${id}"`),
    );
    expect(notOrdered).toEqual([]);
    const waiting = Object.entries(resources).filter(([, r]) => (r.DependsOn ?? []).includes(protectionId));
    expect(waiting).toEqual([]);
    // The search setup, the schema and the topics (the custom resources that can fail late) come first.
    for (const type of ['Custom::SearchSetup', 'Custom::UsersSchema', 'Custom::KafkaTopics']) {
      const [id] = Object.entries(resources).find(([, r]) => r.Type === type) ?? [];
      expect(protection.DependsOn).toContain(id);
    }
  });

  it('reports how the Dashboards import went as an output, without failing the deploy on it', () => {
    template.hasOutput('DashboardsImport', {
      Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SearchSetup'), 'DashboardsImport'] },
    });
  });

  it('exports what the operator scripts read', () => {
    for (const output of [
      'ClusterArn',
      'OpenSearchEndpoint',
      'DashboardsUrl',
      'DashboardsUserPoolId',
      'DatabaseSecretArn',
      'DatabaseReaderSecretArn',
      'DashboardsHopTag',
      'GeneratorDocumentName',
      'GeneratorTagKey',
      'GeneratorTagValue',
      'GeneratorAutoScalingGroup',
      'AlarmTopicArn',
      'CloudWatchDashboardUrl',
      'ConsumerMode',
      'ConsumerGroupId',
      'Topic',
      'EventSourceMappingId',
      'OpsFunctionName',
    ]) {
      template.hasOutput(output, Match.anyValue());
    }
  });

  it('exports what ops:replay pauses and resets: the mapping, its consumer group and topic', () => {
    const mapping = onlyResource(template, 'AWS::Lambda::EventSourceMapping');
    template.hasOutput('ConsumerMode', { Value: 'lambda' });
    template.hasOutput('EventSourceMappingId', { Value: { Ref: mapping.id } });
    template.hasOutput('ConsumerGroupId', {
      Value: mapping.props.AmazonManagedKafkaEventSourceConfig.ConsumerGroupId,
    });
    template.hasOutput('Topic', { Value: mapping.props.Topics[0] });
    expect(template.findOutputs('ConsumerClusterName')).toEqual({});
    expect(template.findOutputs('ConsumerServiceName')).toEqual({});
  });

  it('exports the ops function the operator commands invoke, mapped in FGAC to the operator read role', () => {
    const fn = Object.entries(template.findResources('AWS::Lambda::Function')).find(([, r]) =>
      JSON.stringify(r).includes('Operator commands inside the VPC'),
    );
    expect(fn).toBeDefined();
    template.hasOutput('OpsFunctionName', { Value: { Ref: fn?.[0] } });
    const setup = onlyResource(template, 'Custom::SearchSetup');
    expect(setup.props.OperatorRoleArns).toEqual([
      { 'Fn::GetAtt': [expect.stringMatching(/^OpsFunctionHandlerFunctionServiceRole/), 'Arn'] },
    ]);
  });

  it('admits the always-on hop, not the generator fleet its schedule empties, to Dashboards on the domain port', () => {
    const groups = Object.keys(template.findResources('AWS::EC2::SecurityGroup'));
    const hopSg = groups.find((id) => id.startsWith('DashboardsHopSecurityGroup'));
    const generatorSg = groups.find((id) => id.startsWith('GeneratorFleetSecurityGroup'));
    const searchSg = groups.find((id) => id.startsWith('SearchDomainSecurityGroup'));
    expect(hopSg).toBeDefined();
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp',
      FromPort: 443,
      ToPort: 443,
      GroupId: { 'Fn::GetAtt': [searchSg, 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [hopSg, 'GroupId'] },
    });
    const fromGenerator = template.findResources('AWS::EC2::SecurityGroupIngress', {
      Properties: {
        GroupId: { 'Fn::GetAtt': [searchSg, 'GroupId'] },
        SourceSecurityGroupId: { 'Fn::GetAtt': [generatorSg, 'GroupId'] },
      },
    });
    expect(fromGenerator).toEqual({});
    template.hasOutput('DashboardsHopTag', { Value: 'log-pipeline:role=dashboards-hop' });
  });

  it('matches the reviewed template snapshot (asset hashes normalised)', async () => {
    await expect(`${JSON.stringify(normaliseHashes(template.toJSON()), null, 2)}\n`).toMatchFileSnapshot(
      '../__snapshots__/log-pipeline-stack.template.json',
    );
  });
});

describe('LogPipelineStack in consumer mode fargate', () => {
  let fixture: StackFixture;

  beforeAll(() => {
    fixture = buildStack({ validate: true, config: { consumerMode: 'fargate' } });
    fixture.app.synth();
  });
  afterAll(() => removeOutdir(fixture));

  it('exports the ECS cluster and service that ops:replay scales to zero, instead of a mapping', () => {
    const template = fixture.template;
    const cluster = onlyResource(template, 'AWS::ECS::Cluster');
    const service = onlyResource(template, 'AWS::ECS::Service');
    template.hasOutput('ConsumerMode', { Value: 'fargate' });
    template.hasOutput('ConsumerClusterName', { Value: { Ref: cluster.id } });
    template.hasOutput('ConsumerServiceName', { Value: { 'Fn::GetAtt': [service.id, 'Name'] } });
    template.hasOutput('ConsumerGroupId', { Value: 'log-pipeline-consumer' });
    template.hasOutput('Topic', { Value: 'server-logs' });
    expect(template.findOutputs('EventSourceMappingId')).toEqual({});
  });

  it('replaces the Lambda consumer: no event source mapping, one service reading the read-only login', () => {
    const template = fixture.template;
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 0);
    template.resourceCountIs('AWS::SQS::Queue', 0);
    template.resourceCountIs('AWS::ECS::Service', 1);
    const task = onlyResource(template, 'AWS::ECS::TaskDefinition');
    const environment = task.props.ContainerDefinitions[0].Environment as Array<{
      Name: string;
      Value: unknown;
    }>;
    expect(environment.find((e) => e.Name === 'DB_SECRET_ARN')?.Value).toEqual({
      Ref: expect.stringMatching(/^UsersDatabaseReaderSecretAttachment/),
    });
  });

  it('is just as nag- and validation-clean', () => {
    const report = JSON.parse(
      fs.readFileSync(path.join(fixture.outdir, 'validation-report.json'), 'utf8'),
    ) as ValidationReport;
    expectNoNagFindings(report);
    expect(Annotations.fromStack(fixture.stack).findWarning('*', Match.anyValue())).toEqual([]);
  });
});
