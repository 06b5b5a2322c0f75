// LogPipelineStack: the deployable stack of `cdk deploy LogPipelineStack`. It reads the `logPipeline` context
// object (cdk.json or `-c logPipeline='{...}'`) and builds the pipeline in itself, exactly as the LogPipeline
// construct builds it in itself; a user who composes their own stacks adds the LogPipeline construct to theirs instead (lib/index.ts).
import { Fn, Stack, type StackProps, Token } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { configFromContext } from './config.js';
import { buildPipeline, type LogPipelineProps, type PipelineParts } from './log-pipeline.js';

export interface LogPipelineStackProps extends StackProps {
  /**
   * Settings applied over the `logPipeline` context object, which is applied over the profile and the defaults.
   * @default - context, profile and defaults only
   */
  readonly config?: LogPipelineProps;
}

export class LogPipelineStack extends Stack {
  /** The pipeline's constructs, built directly in the stack (lib/log-pipeline.ts buildPipeline says why). */
  readonly pipeline: PipelineParts;
  private azCount = 2;

  constructor(scope: Construct, id: string, props: LogPipelineStackProps = {}) {
    super(scope, id, {
      description: 'Streaming log classification: MSK -> consumer -> OpenSearch, users in RDS MySQL',
      ...props,
    });
    const settings = definedOnly(
      { searchSetupRun: this.node.tryGetContext('searchSetupRun') as string | undefined },
      configFromContext(this.node.tryGetContext('logPipeline')),
      props.config,
    ) as LogPipelineProps;
    // availabilityZones reads the AZ count while the pipeline builds its VPC.
    this.pipeline = buildPipeline(this, settings, (config) => {
      this.azCount = config.azCount;
    });
  }

  /**
   * An environment-agnostic stack gets only two AZs from the CDK (`Fn::GetAZs`, items 0 and 1), whatever `maxAzs`
   * says; `azCount: 3` (the production profile) takes the region's third one the same way.
   */
  override get availabilityZones(): string[] {
    if (this.azCount > 2 && Token.isUnresolved(this.region)) {
      return Array.from({ length: this.azCount }, (_, i) => Fn.select(i, Fn.getAzs()));
    }
    return super.availabilityZones;
  }
}

/** The layers merged left to right, a key left unset (undefined) in a later layer keeping the earlier value. */
function definedOnly(...layers: ReadonlyArray<object | undefined>): Record<string, unknown> {
  const merged: Record<string, unknown> = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer ?? {})) if (value !== undefined) merged[key] = value;
  }
  return merged;
}
