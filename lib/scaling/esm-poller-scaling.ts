// Scaling of the Lambda consumer's MSK event source mapping: provisioned mode with a floor and a ceiling of
// event pollers. Provisioned mode is also what makes Kafka mappings honour bounded retries, bisect on error
// and the on-failure destination, so the consumer always applies it.
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { checkInteger, type Fail, failIn } from '../validation.js';

export interface EsmPollerScalingProps {
  /**
   * A Kafka (MSK or self-managed) event source mapping defined in this app: the pollers are a property of its
   * CfnEventSourceMapping, so an imported mapping (`EventSourceMapping.fromEventSourceMappingId`) cannot take them.
   */
  readonly eventSourceMapping: lambda.IEventSourceMapping;
  /** Pollers kept warm (1-200); each handles up to about 5 MB/s. */
  readonly minimumPollers: number;
  /** Pollers Lambda may scale out to on consumer lag (minimumPollers-2000); bounds Lambda concurrency and cost. */
  readonly maximumPollers: number;
}

/**
 * Checks the poller bounds (https://docs.aws.amazon.com/lambda/latest/dg/kafka-scaling-modes.html: 1-200 minimum,
 * 1-2000 maximum); LambdaConsumer and lib/config.ts run it too.
 */
export function checkEsmPollerScalingProps(
  props: Pick<EsmPollerScalingProps, 'minimumPollers' | 'maximumPollers'>,
  fail: Fail,
): void {
  checkInteger(fail, 'minimumPollers', props.minimumPollers, 1, 200);
  checkInteger(fail, 'maximumPollers', props.maximumPollers, props.minimumPollers, 2000);
}

export class EsmPollerScaling extends Construct {
  constructor(scope: Construct, id: string, props: EsmPollerScalingProps) {
    super(scope, id);
    const fail: Fail = failIn(this);
    checkEsmPollerScalingProps(props, fail);
    const cfn = props.eventSourceMapping.node.defaultChild;
    if (!(cfn instanceof lambda.CfnEventSourceMapping)) {
      fail(
        'eventSourceMapping',
        props.eventSourceMapping.node.path,
        'use an event source mapping defined in this app (an imported one has no CfnEventSourceMapping to configure)',
      );
    }
    cfn.provisionedPollerConfig = {
      minimumPollers: props.minimumPollers,
      maximumPollers: props.maximumPollers,
    };
  }
}
