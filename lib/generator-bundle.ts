// The generator CLI (generator/cli.ts and what it imports) bundled by esbuild at synth time, locally and
// without Docker, into one `generator.mjs` uploaded as an S3 asset for the EC2 fleet to download.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import { buildSync } from 'esbuild';
import { REPO_ROOT } from './pipeline-function.js';
import { type Fail, failIn } from './validation.js';

/** Same trick as the Lambda bundles: CJS dependencies (kafkajs) need `require` inside an ESM bundle. */
const REQUIRE_BANNER =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

export interface GeneratorBundleProps {
  /**
   * The generator CLI's entry file, relative to the repository root; esbuild bundles it with what it imports.
   * @default 'generator/cli.ts'
   */
  readonly entry?: string;
}

/** Checks the props of `GeneratorBundle`: the entry must exist, or esbuild fails later with less to go on. */
export function checkGeneratorBundleProps(props: GeneratorBundleProps, fail: Fail): void {
  if (props.entry !== undefined && !fs.existsSync(path.join(REPO_ROOT, props.entry))) {
    fail('entry', props.entry, `name a file under the repository root (${REPO_ROOT})`);
  }
}

export class GeneratorBundle extends Construct {
  readonly asset: s3assets.Asset;
  /** Name of the script inside the asset's zip archive. */
  readonly scriptName = 'generator.mjs';

  constructor(scope: Construct, id: string, props: GeneratorBundleProps = {}) {
    super(scope, id);
    checkGeneratorBundleProps(props, failIn(this));
    const entry = path.join(REPO_ROOT, props.entry ?? path.join('generator', 'cli.ts'));
    const scriptName = this.scriptName;
    this.asset = new s3assets.Asset(this, 'Asset', {
      path: path.dirname(entry),
      // Hash what runs, not the sources: the bundle also pulls in core/ and aws/.
      assetHashType: AssetHashType.OUTPUT,
      bundling: {
        // Never pulled: local bundling below always succeeds or throws.
        image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:22-alpine'),
        local: {
          tryBundle(outputDir: string): boolean {
            buildSync({
              entryPoints: [entry],
              outfile: path.join(outputDir, scriptName),
              bundle: true,
              platform: 'node',
              format: 'esm',
              target: 'node20',
              mainFields: ['module', 'main'],
              banner: { js: REQUIRE_BANNER },
              minify: true,
              sourcemap: false,
              legalComments: 'none',
              logLevel: 'error',
            });
            return true;
          },
        },
      },
    });
  }
}
