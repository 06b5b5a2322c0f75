// The README's CDK examples, compiled and synthesized exactly as printed: each ```ts block whose first line is
// `// example: <name>` is written, unchanged, inside the package (its 'log-pipeline' import is the package's own),
// type-checked with the repository's compiler options, and run as the CDK CLI runs an app (tsx, CDK_OUTDIR, the
// cdk.json context). The example registers cdk-nag itself, as a user's app should; the test fails on any
// unacknowledged cdk-nag finding or CloudFormation validation finding. The cloud assemblies stay in
// cdk.out.examples/<name>/, where CI runs cfn-lint and checkov.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../lib/pipeline-function.js';
import { readmeExamples } from '../support/readme-examples.js';
import { cdkJsonContext } from './stack-fixture.js';

const run = promisify(execFile);
const EXAMPLES_OUT = path.join(REPO_ROOT, 'cdk.out.examples');
/**
 * What the CLI would hand the examples: cdk.json's context, plus the AZ lookup that `cdk synth` with credentials
 * caches in cdk.context.json for the examples' account and region (offline, the CDK would use dummy AZ names).
 */
const EXAMPLE_CONTEXT = {
  ...cdkJsonContext(),
  // No esbuild: the checks are on the templates, which only name the assets. This is the context through which the
  // CLI bundles only the stacks it works on; an empty list bundles none.
  'aws:cdk:bundling-stacks': [],
  'availability-zones:account=123456789012:region=eu-west-1': ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
};
/** Each one must stay in the README: a bring-your-own example that disappeared would otherwise pass unseen. */
const REQUIRED = ['own-stack', 'existing-msk', 'existing-opensearch', 'existing-mysql'];

interface ValidationReport {
  pluginReports: Array<{ pluginName: string; violations: unknown[] }>;
}

const examples = readmeExamples(fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8'));

/** Synthesizes one example as the CLI would and reads its validation report. */
async function synthesize(dir: string, name: string): Promise<ValidationReport> {
  const outdir = path.join(EXAMPLES_OUT, name);
  fs.rmSync(outdir, { recursive: true, force: true });
  await run(path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), [path.join(dir, `${name}.ts`)], {
    cwd: REPO_ROOT,
    env: { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify(EXAMPLE_CONTEXT) },
  });
  return JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
}

describe('README examples', () => {
  let dir: string;
  /** Every example synthesizes at once, in processes of its own: together they take a fraction of one after another. */
  const synths = new Map<string, Promise<ValidationReport>>();

  beforeAll(async () => {
    // Inside the repository, so that the examples resolve aws-cdk-lib and cdk-nag as a user's app would.
    dir = fs.mkdtempSync(path.join(REPO_ROOT, 'test', 'lib', '.examples-'));
    // Byte for byte: 'log-pipeline' resolves to lib/index.ts through the package's own `exports`.
    for (const example of examples) fs.writeFileSync(path.join(dir, `${example.name}.ts`), example.code);
    fs.writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({ extends: '../../../tsconfig.json', include: ['*.ts'] }),
    );
    for (const example of examples) {
      const synth = synthesize(dir, example.name);
      synth.catch(() => undefined); // awaited, and its failure reported, by the example's own beforeAll
      synths.set(example.name, synth);
    }
  }, 60_000);
  // After every synth settled: the files they run are in `dir`.
  afterAll(async () => {
    await Promise.allSettled(synths.values());
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('holds every required example, each name once', () => {
    const names = examples.map((e) => e.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining(REQUIRED));
  });

  it('type-checks every example under the strict compiler options of the repository', async () => {
    const tsc = path.join(REPO_ROOT, 'node_modules', '.bin', 'tsc');
    await expect(run(tsc, ['--noEmit', '-p', dir], { cwd: REPO_ROOT })).resolves.toBeDefined();
  }, 180_000);

  describe.each(examples)('$name', (example) => {
    const outdir = path.join(EXAMPLES_OUT, example.name);
    let report: ValidationReport;

    beforeAll(async () => {
      report = await (synths.get(example.name) as Promise<ValidationReport>);
    }, 180_000);

    it('registers cdk-nag and synthesizes with no unacknowledged finding and no validation finding', () => {
      expect(report.pluginReports.map((r) => r.pluginName)).toContain('AwsSolutions');
      for (const plugin of report.pluginReports) {
        expect({ plugin: plugin.pluginName, violations: plugin.violations }).toEqual({
          plugin: plugin.pluginName,
          violations: [],
        });
      }
    });

    it('writes exactly one stack template for the IaC checkers', () => {
      const templates = fs.readdirSync(outdir).filter((f) => f.endsWith('.template.json'));
      expect(templates).toHaveLength(1);
    });
  });
});
