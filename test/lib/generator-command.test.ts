import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
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
  let document: { Name: string; DocumentType: string; UpdateMethod: string; Content: DocumentContent };
  let template: Template;
  const bundleProps = (stack: Stack) => ({
    bundle: new s3assets.Asset(stack, 'Bundle', { path: dir }),
    scriptName: 'generator.mjs',
    clusterArn: 'arn:aws:kafka:eu-west-1:123456789012:cluster/logs/abcd-1',
    defaultTopic: 'server-logs',
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

  it('is the RunLogGenerator Command document, updated in place by new versions', () => {
    expect(document.Name).toBe('RunLogGenerator');
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
      `GeneratorCommand accounts must be an integer from 1 to ${MAX_SEEDED_ACCOUNTS} (the seeded account count), got 0`,
    );
  });

  it('downloads the bundle, resolves the IAM brokers and runs the generator with MSK IAM auth', () => {
    const script = JSON.stringify(document.Content.mainSteps[0]?.inputs.runCommand);
    expect(document.Content.mainSteps[0]?.action).toBe('aws:runShellScript');
    expect(script).toContain('aws s3 cp');
    expect(script).toContain('aws kafka get-bootstrap-brokers');
    expect(script).toContain('BootstrapBrokerStringSaslIam');
    expect(script).toContain('generator.mjs --msk-iam');
    for (const param of ['rate', 'duration', 'badRatio', 'suspiciousRatio', 'topic', 'accounts']) {
      expect(script).toContain(`{{ ${param} }}`);
    }
  });
});
