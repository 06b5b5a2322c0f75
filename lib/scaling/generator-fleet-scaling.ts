// Scaling of the generator fleet: a schedule that empties the fleet in the evening and restores it on weekday
// mornings, so an idle dev deployment does not pay for load generators. Nothing scales on load: the load IS
// the fleet (rate x instances), so CPU target tracking would add instances no running command uses and remove
// ones in the middle of a run. An instance that is running a generator protects itself from scale-in for the
// run (the SSM document), so the evening schedule waits for the run to end.
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import { Construct } from 'constructs';
import { checkInteger, type Fail, failIn } from '../validation.js';

export interface GeneratorFleetScalingProps {
  /** The fleet's group: any `IAutoScalingGroup`, also one imported with `fromAutoScalingGroupName`. */
  readonly autoScalingGroup: autoscaling.IAutoScalingGroup;
  /** Capacity restored by the morning schedule (0-100). */
  readonly minInstances: number;
  /** The group's maximum, kept by both schedules (minInstances-100, and at least 1). */
  readonly maxInstances: number;
  /**
   * When the fleet is restored to minInstances.
   * @default - 07:00 UTC, Monday to Friday
   */
  readonly startSchedule?: autoscaling.Schedule;
  /**
   * When the fleet is emptied (an instance running a generator waits for its run to end).
   * @default - 20:00 UTC every day
   */
  readonly stopSchedule?: autoscaling.Schedule;
}

/** Checks the capacities; lib/config.ts runs it on the context too. */
export function checkGeneratorFleetScalingProps(
  props: Pick<GeneratorFleetScalingProps, 'minInstances' | 'maxInstances'>,
  fail: Fail,
): void {
  checkInteger(fail, 'minInstances', props.minInstances, 0, 100);
  checkInteger(fail, 'maxInstances', props.maxInstances, Math.max(1, props.minInstances), 100);
}

export class GeneratorFleetScaling extends Construct {
  constructor(scope: Construct, id: string, props: GeneratorFleetScalingProps) {
    super(scope, id);
    checkGeneratorFleetScalingProps(props, failIn(this));
    const asg = props.autoScalingGroup;
    asg.scaleOnSchedule('StopEvenings', {
      schedule: props.stopSchedule ?? autoscaling.Schedule.cron({ hour: '20', minute: '0' }),
      minCapacity: 0,
      maxCapacity: props.maxInstances,
      desiredCapacity: 0,
    });
    asg.scaleOnSchedule('StartWeekdayMornings', {
      schedule:
        props.startSchedule ?? autoscaling.Schedule.cron({ hour: '7', minute: '0', weekDay: 'MON-FRI' }),
      minCapacity: props.minInstances,
      maxCapacity: props.maxInstances,
    });
  }
}
