// Scaling of the Lambda consumer's MSK event source mapping: provisioned mode with a floor and a ceiling of
// event pollers. Provisioned mode is also what makes Kafka mappings honour bounded retries, bisect on error
// and the on-failure destination, so the consumer always applies it.
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

export interface EsmPollerScalingProps {
  readonly eventSourceMapping: lambda.EventSourceMapping;
  /** Pollers kept warm (1-200); each handles up to about 5 MB/s. */
  readonly minimumPollers: number;
  /** Pollers Lambda may scale out to on consumer lag (1-2000); bounds Lambda concurrency and cost. */
  readonly maximumPollers: number;
}

export class EsmPollerScaling extends Construct {
  constructor(scope: Construct, id: string, props: EsmPollerScalingProps) {
    super(scope, id);
    const { minimumPollers, maximumPollers } = props;
    if (!Number.isInteger(minimumPollers) || minimumPollers < 1 || minimumPollers > 200) {
      throw new Error(`minimumPollers must be an integer between 1 and 200, got ${minimumPollers}`);
    }
    if (!Number.isInteger(maximumPollers) || maximumPollers < minimumPollers || maximumPollers > 2000) {
      throw new Error(
        `maximumPollers must be an integer between minimumPollers and 2000, got ${maximumPollers}`,
      );
    }
    const cfn = props.eventSourceMapping.node.defaultChild as lambda.CfnEventSourceMapping;
    cfn.provisionedPollerConfig = { minimumPollers, maximumPollers };
  }
}
