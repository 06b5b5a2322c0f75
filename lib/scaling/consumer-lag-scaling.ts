// Scaling of the Fargate consumer on Kafka consumer lag: step scaling on MSK's MaxOffsetLag for the group and
// topic, bounded by the partition count (extra group members would only sit idle).
import { Duration } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import { Construct } from 'constructs';

export interface ConsumerLagScalingProps {
  readonly service: ecs.FargateService;
  /** The lag metric (records) the steps compare against. */
  readonly lagMetric: cloudwatch.IMetric;
  readonly minTasks: number;
  readonly maxTasks: number;
  /** Lag at or above which one task is added; ten times this adds three. Below a tenth of it, one is removed. */
  readonly scaleOutLag: number;
  /** @default Duration.minutes(3) */
  readonly cooldown?: Duration;
}

export class ConsumerLagScaling extends Construct {
  readonly scalableTarget: ecs.ScalableTaskCount;

  constructor(scope: Construct, id: string, props: ConsumerLagScalingProps) {
    super(scope, id);
    if (props.minTasks < 1 || props.maxTasks < props.minTasks) {
      throw new Error(
        `task bounds must satisfy 1 <= minTasks <= maxTasks, got ${props.minTasks}..${props.maxTasks}`,
      );
    }
    if (props.scaleOutLag < 10)
      throw new Error(`scaleOutLag must be at least 10 records, got ${props.scaleOutLag}`);
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
