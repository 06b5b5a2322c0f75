import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_SEEDED_ACCOUNTS } from '../../core/users-schema.js';
import { GeneratorCommand } from '../../lib/generator-command.js';
import { removeScratchOutdirs, testApp } from './stack-fixture.js';

interface DocumentContent {
  parameters: Record<string, { allowedPattern: string; default: string }>;
  mainSteps: Array<{ action: string; inputs: { runCommand: unknown[]; timeoutSeconds: string } }>;
}

describe('GeneratorCommand', () => {
  let dir: string;
  let document: { Name?: string; DocumentType: string; UpdateMethod: string; Content: DocumentContent };
  let template: Template;
  const bundleProps = (stack: Stack) => ({
    bundleObjectUrl: `s3://cdk-assets-bucket/${stack.stackName}/generator.zip`,
    scriptName: 'generator.mjs',
    clusterArn: 'arn:aws:kafka:eu-west-1:123456789012:cluster/logs/abcd-1',
    defaultTopic: 'server-logs',
    autoScalingGroupName: 'fleet-group',
    readyMarker: '/var/lib/log-generator/installed',
  });

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'generator-bundle-'));
    fs.writeFileSync(path.join(dir, 'generator.mjs'), '// placeholder bundle\n');
    const stack = new Stack(testApp(), 'TestStack');
    new GeneratorCommand(stack, 'Command', { ...bundleProps(stack), accounts: 20_000 });
    template = Template.fromStack(stack);
    const found = template.findResources('AWS::SSM::Document');
    document = (Object.values(found)[0] as { Properties: typeof document }).Properties;
  });
  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    removeScratchOutdirs();
  });

  it('is a Command document named by CloudFormation (a second stack can share the region), updated by new versions', () => {
    expect(document.Name).toBeUndefined();
    expect(document.DocumentType).toBe('Command');
    expect(document.UpdateMethod).toBe('NewVersion');
  });

  it('takes rate, duration, ratios and topic, each checked against a pattern', () => {
    const params = document.Content.parameters;
    expect(Object.keys(params).sort()).toEqual(
      ['accounts', 'badRatio', 'duration', 'executionTimeout', 'rate', 'suspiciousRatio', 'topic'].sort(),
    );
    const accepts = (name: string, value: string) =>
      new RegExp(params[name]?.allowedPattern ?? '^$').test(value);
    expect(accepts('rate', '1000')).toBe(true);
    expect(accepts('rate', '10; rm -rf /')).toBe(false);
    expect(accepts('duration', '0')).toBe(false);
    expect(accepts('badRatio', '0.05')).toBe(true);
    expect(accepts('badRatio', '1.5')).toBe(false);
    expect(accepts('suspiciousRatio', '1')).toBe(true);
    expect(accepts('topic', 'server-logs')).toBe(true);
    expect(accepts('topic', "x' && curl evil")).toBe(false);
    expect(params.topic?.default).toBe('server-logs');
  });

  it('caps executionTimeout where AWS-RunShellScript does: 10 s to 48 h', () => {
    const accepts = (value: string) =>
      new RegExp(document.Content.parameters.executionTimeout?.allowedPattern ?? '^$').test(value);
    for (const value of ['10', '99999', '100800', '169999', '171999', '172799', '172800']) {
      expect(accepts(value), value).toBe(true);
    }
    for (const value of ['9', '0', '172801', '172900', '180000', '999999', '1728000', '100800; reboot']) {
      expect(accepts(value), value).toBe(false);
    }
    expect(accepts(document.Content.parameters.executionTimeout?.default ?? '')).toBe(true);
  });

  it('passes the seeded account count to the fleet generator, defaulting to the configured count', () => {
    template.hasResourceProperties('AWS::SSM::Document', {
      Content: Match.objectLike({
        parameters: Match.objectLike({
          accounts: Match.objectLike({ type: 'String', default: '20000' }),
        }),
      }),
    });
    const script = JSON.stringify(document.Content.mainSteps[0]?.inputs.runCommand);
    expect(script).toContain('--accounts {{ accounts }}');
    const accepts = (value: string) =>
      new RegExp(document.Content.parameters.accounts?.allowedPattern ?? '^$').test(value);
    expect(accepts('1')).toBe(true);
    expect(accepts(String(MAX_SEEDED_ACCOUNTS))).toBe(true);
    expect(accepts(String(MAX_SEEDED_ACCOUNTS + 1))).toBe(false);
    expect(accepts('0')).toBe(false);
    expect(accepts('10000; reboot')).toBe(false);
  });

  it('fails if accounts is not a positive integer within the seed limit', () => {
    const stack = new Stack(testApp(), 'BadAccounts');
    expect(() => new GeneratorCommand(stack, 'Command', { ...bundleProps(stack), accounts: 0 })).toThrow(
      `BadAccounts/Command: accounts: must be an integer between 1 and ${MAX_SEEDED_ACCOUNTS}, got 0`,
    );
  });

  it('waits for the boot-time install, then keeps its instance from scale-in until the run ends', () => {
    const lines = (document.Content.mainSteps[0]?.inputs.runCommand ?? []).map((line) =>
      JSON.stringify(line),
    );
    const at = (text: string) => lines.findIndex((line) => line.includes(text));
    const waits = at('[ -f /var/lib/log-generator/installed ] && break');
    const givesUp = at('[ -f /var/lib/log-generator/installed ] ||');
    const protects = at('--protected-from-scale-in');
    const lifts = at('--no-protected-from-scale-in');
    const runs = at('generator.mjs --msk-iam');
    expect(waits).toBeGreaterThan(-1);
    expect(lines[givesUp]).toContain('exit 1');
    expect(givesUp).toBeGreaterThan(waits);
    expect(protects).toBeGreaterThan(givesUp);
    expect(lines[protects]).toContain('--auto-scaling-group-name fleet-group');
    expect(lines[lifts]).toMatch(/^"trap '.*' EXIT"$/);
    expect(runs).toBeGreaterThan(lifts);
    // exec would replace the shell that lifts the protection.
    expect(lines[runs]).not.toMatch(/^"exec /);
  });

  it('downloads the bundle, resolves the IAM brokers and runs the generator with MSK IAM auth', () => {
    const script = JSON.stringify(document.Content.mainSteps[0]?.inputs.runCommand);
    expect(document.Content.mainSteps[0]?.action).toBe('aws:runShellScript');
    expect(script).toContain(
      'aws s3 cp --only-show-errors s3://cdk-assets-bucket/TestStack/generator.zip bundle.zip',
    );
    expect(script).toContain('aws kafka get-bootstrap-brokers');
    expect(script).toContain('BootstrapBrokerStringSaslIam');
    expect(script).toContain('generator.mjs --msk-iam');
    for (const param of ['rate', 'duration', 'badRatio', 'suspiciousRatio', 'topic', 'accounts']) {
      expect(script).toContain(`{{ ${param} }}`);
    }
  });
});
