import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../lib/pipeline-function.js';

const run = promisify(execFile);

interface Manifest {
  artifacts: Record<string, { type: string; environment?: string }>;
}

describe('bin/log-pipeline.ts', () => {
  let outdir: string;
  let manifest: Manifest;

  beforeAll(async () => {
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'log-pipeline-app-'));
    // The CLI hands the app its context and output directory through these variables.
    await run(path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), ['bin/log-pipeline.ts'], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        CDK_OUTDIR: outdir,
        CDK_CONTEXT_JSON: JSON.stringify({ account: '123456789012', region: 'eu-west-1' }),
      },
    });
    manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'manifest.json'), 'utf8')) as Manifest;
  }, 180_000);
  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  it('synthesizes LogPipelineStack into the account and region given as context', () => {
    expect(manifest.artifacts.LogPipelineStack).toMatchObject({
      type: 'aws:cloudformation:stack',
      environment: 'aws://123456789012/eu-west-1',
    });
  });

  it('runs the cdk-nag AwsSolutions checks on synth and reports no violation', () => {
    const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: Array<{ pluginName: string; violations: unknown[] }>;
    };
    expect(report.pluginReports.map((r) => r.pluginName)).toContain('AwsSolutions');
    expect(report.pluginReports.flatMap((r) => r.violations)).toEqual([]);
  });
});
