// Scaling of the Fargate consumer on Kafka consumer lag: step scaling on MSK's MaxOffsetLag for the group and
// topic, bounded by the partition count (extra group members would only sit idle).
import { Duration } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import { Construct } from 'constructs';
import { checkInteger, type Fail, failIn } from '../validation.js';

/**
 * What the scaling needs of an ECS service: a scalable task count. `ecs.FargateService` and `ecs.Ec2Service`
 * have one; an imported service (`fromFargateServiceAttributes`) does not, as in the CDK's own API.
 */
export interface IScalableService {
  /** Registers the service's DesiredCount as a scalable target (`ecs.BaseService.autoScaleTaskCount`). */
  autoScaleTaskCount(props: appscaling.EnableScalingProps): ecs.ScalableTaskCount;
}

export interface ConsumerLagScalingProps {
  /** The consumer group's service: its task count is scaled. */
  readonly service: IScalableService;
  /** The lag metric (records) the steps compare against. */
  readonly lagMetric: cloudwatch.IMetric;
  /** Tasks kept running (1-100). */
  readonly minTasks: number;
  /** Tasks at most (minTasks-100); more than the topic's partitions would sit idle. */
  readonly maxTasks: number;
  /** Lag at or above which one task is added; ten times this adds three. Below a tenth of it, one is removed. */
  readonly scaleOutLag: number;
  /**
   * Time after a scaling activity before the next one.
   * @default Duration.minutes(3)
   */
  readonly cooldown?: Duration;
}

/** Checks the task bounds and the lag step; FargateConsumer and lib/config.ts run it too. */
export function checkConsumerLagScalingProps(
  props: Pick<ConsumerLagScalingProps, 'minTasks' | 'maxTasks' | 'scaleOutLag'>,
  fail: Fail,
): void {
  checkInteger(fail, 'minTasks', props.minTasks, 1, 100);
  checkInteger(fail, 'maxTasks', props.maxTasks, props.minTasks, 100);
  // Ten or more: the scale-in step sits at a tenth of it, which must be a whole record count above 0.
  checkInteger(fail, 'scaleOutLag', props.scaleOutLag, 10, 100_000_000);
}

export class ConsumerLagScaling extends Construct {
  readonly scalableTarget: ecs.ScalableTaskCount;

  constructor(scope: Construct, id: string, props: ConsumerLagScalingProps) {
    super(scope, id);
    checkConsumerLagScalingProps(props, failIn(this));
    this.scalableTarget = props.service.autoScaleTaskCount({
      minCapacity: props.minTasks,
      maxCapacity: props.maxTasks,
    });
    this.scalableTarget.scaleOnMetric('OnLag', {
      metric: props.lagMetric,
      adjustmentType: appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
      scalingSteps: [
        { upper: Math.floor(props.scaleOutLag / 10), change: -1 },
        { lower: props.scaleOutLag, change: +1 },
        { lower: props.scaleOutLag * 10, change: +3 },
      ],
      cooldown: props.cooldown ?? Duration.minutes(3),
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
    });
  }
}
