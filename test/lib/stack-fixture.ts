// Builds LogPipelineStack the way `cdk synth` does (cdk.json feature flags, cdk-nag registered) so each test
// file can synthesize once in beforeAll and assert on the template, the annotations and the validation report.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Construct } from 'constructs';
import { expect } from 'vitest';
import type { PipelineConfig } from '../../lib/config.js';
import { LogPipelineStack } from '../../lib/log-pipeline-stack.js';
import { REPO_ROOT } from '../../lib/pipeline-function.js';

export interface StackFixture {
  readonly app: App;
  readonly stack: LogPipelineStack;
  readonly template: Template;
  readonly outdir: string;
}

export interface FixtureOptions {
  readonly config?: Partial<PipelineConfig>;
  /** Register cdk-nag and keep the built-in CloudFormation validation, like `cdk synth` (slower). */
  readonly validate?: boolean;
  /**
   * Bundle the assets with esbuild, as `cdk synth` does; off where the assertions are on the template only.
   * @default true
   */
  readonly bundling?: boolean;
}

export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  return cdkJson.context;
}

export function buildStack(options: FixtureOptions = {}): StackFixture {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'log-pipeline-cdk-'));
  const app = new App({
    outdir,
    context: {
      ...cdkJsonContext(),
      ...(options.bundling === false ? { 'aws:cdk:bundling-stacks': [] } : {}),
    },
    builtinCloudFormationValidation: options.validate === true,
  });
  const stack = new LogPipelineStack(app, 'LogPipelineStack', { config: options.config });
  if (options.validate) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const template = Template.fromStack(stack);
  return { app, stack, template, outdir };
}

/**
 * An app for construct-level tests: the cdk.json feature flags, without the built-in CloudFormation validation
 * (it costs seconds per synth; the stack-level test runs it once on the whole template).
 */
export function testApp(outdir?: string, options: ConstructStackOptions = {}): App {
  return new App({
    outdir: outdir ?? scratchOutdir(),
    context: {
      ...cdkJsonContext(),
      // No stack bundles its assets: the CDK stages a placeholder instead of running esbuild (about a second per
      // function), and the template is the same but for the asset hashes.
      ...(options.bundling === false ? { 'aws:cdk:bundling-stacks': [] } : {}),
    },
    builtinCloudFormationValidation: false,
  });
}

export interface ConstructStackOptions {
  /**
   * Bundle the Lambda handlers and the generator with esbuild, as `cdk synth` does. Off for tests that assert on
   * the template only, not on the code in the assets.
   * @default true
   */
  readonly bundling?: boolean;
}

const scratchDirs: string[] = [];

/** A cloud assembly directory for `testApp()`; `removeScratchOutdirs` (in afterAll) deletes them. */
function scratchOutdir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'log-pipeline-cdk-'));
  scratchDirs.push(dir);
  return dir;
}

export function removeScratchOutdirs(): void {
  for (const dir of scratchDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/** An empty stack with a VPC, under the same feature flags, for testing one construct on its own. */
export function constructStack(options: ConstructStackOptions = {}): {
  app: App;
  stack: Stack;
  vpc: ec2.Vpc;
  outdir: string;
} {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'log-pipeline-cdk-'));
  const app = testApp(outdir, options);
  const stack = new Stack(app, 'TestStack');
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  return { app, stack, vpc, outdir };
}

export function removeOutdir(fixture: { outdir: string } | undefined): void {
  if (fixture) fs.rmSync(fixture.outdir, { recursive: true, force: true });
}

/** Synthesized resource properties: untyped JSON that tests index freely. */
// biome-ignore lint/suspicious/noExplicitAny: CloudFormation properties are arbitrary JSON
export type CfnProperties = Record<string, any>;

/** The one resource of `type` in the template, with its logical id. */
export function onlyResource(template: Template, type: string): { id: string; props: CfnProperties } {
  const found = template.findResources(type);
  const ids = Object.keys(found);
  if (ids.length !== 1) throw new Error(`expected exactly one ${type}, found ${ids.length}`);
  const id = ids[0] as string;
  return { id, props: (found[id] as { Properties: CfnProperties }).Properties };
}

/**
 * The platform VPC the bring-your-own tests import by its ids (no lookup): private subnets with their route
 * tables in the first `zones` AZs of eu-west-1.
 */
export function platformVpc(scope: Construct, zones: 2 | 3 = 2): ec2.IVpc {
  const letters = ['a', 'b', 'c'].slice(0, zones);
  return ec2.Vpc.fromVpcAttributes(scope, 'Vpc', {
    vpcId: 'vpc-0123456789abcdef0',
    vpcCidrBlock: '10.20.0.0/16',
    availabilityZones: letters.map((l) => `eu-west-1${l}`),
    privateSubnetIds: letters.map((l, i) => `subnet-0${l.repeat(15)}${i + 1}`),
    privateSubnetRouteTableIds: letters.map((l, i) => `rtb-0${l.repeat(15)}${i + 1}`),
  });
}

/** What the validation plugins (cdk-nag) leave in a cloud assembly. */
export interface ValidationReport {
  readonly pluginReports: Array<{ pluginName: string; violations: unknown[] }>;
}

/** cdk-nag's AwsSolutions pack ran, and no plugin reported a finding that is not acknowledged. */
export function expectNoNagFindings(report: ValidationReport): void {
  expect(report.pluginReports.find((r) => r.pluginName === 'AwsSolutions')).toBeDefined();
  expect(report.pluginReports.flatMap((r) => r.violations)).toEqual([]);
}

/** The resource types of a template, in its order. */
export function resourceTypes(template: Template): string[] {
  return Object.values(template.toJSON().Resources as Record<string, { Type: string }>).map((r) => r.Type);
}

/** `stack`'s template and the report of synthesizing its app with cdk-nag AwsSolutions, as `cdk synth` runs it. */
export function synthWithNag(app: App, stack: Stack): { template: Template; report: ValidationReport } {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const template = Template.fromStack(stack);
  const outdir = app.synth().directory;
  return {
    template,
    report: JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')),
  };
}
