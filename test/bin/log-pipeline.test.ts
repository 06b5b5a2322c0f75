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
        // No esbuild: these tests are about the app, its environment and its checks, not the bundles.
        CDK_CONTEXT_JSON: JSON.stringify({
          account: '123456789012',
          region: 'eu-west-1',
          'aws:cdk:bundling-stacks': [],
        }),
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

describe('bin/log-pipeline.ts with a configuration mistake', () => {
  /** Runs the app the way `cdk synth` does, with `logPipeline` given as context; never throws. */
  async function synthWith(logPipeline: unknown) {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'log-pipeline-bad-'));
    try {
      await run(path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), ['bin/log-pipeline.ts'], {
        cwd: REPO_ROOT,
        env: { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify({ logPipeline }) },
      });
      return { code: 0, stderr: '', outdir: fs.readdirSync(outdir) };
    } catch (error) {
      const failed = error as { code: number; stderr: string };
      return { code: failed.code, stderr: failed.stderr, outdir: fs.readdirSync(outdir) };
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  }

  it('prints one line naming the key, the value and the fix, exits 1, and synthesizes nothing', async () => {
    const result = await synthWith({ searchInstanceType: 't3.medium.search', searchVolumeGiB: 500 });

    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'logPipeline.searchVolumeGiB: t3.medium.search takes a gp3 volume of 10 to 200 GiB per data node; use a size in that range or a larger searchInstanceType (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/limits.html#ebsresource), got 500\n',
    );
    expect(result.outdir).toEqual([]);
  }, 120_000);

  it('names an unknown key and a context that is not JSON the same way, without a stack trace', async () => {
    const unknown = await synthWith({ brokerCont: 2 });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(
      /^logPipeline\.brokerCont: unknown key; use one of .*brokerCount.*, got 2\n$/,
    );

    const notJson = await synthWith('{brokerCount: 2');
    expect(notJson.code).toBe(1);
    expect(notJson.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(notJson.stderr).toMatch(
      /^logPipeline\.\(context\): pass the logPipeline context as a JSON object/,
    );
    expect(notJson.stderr).not.toMatch(/\n\s+at /);
  }, 120_000);
});
