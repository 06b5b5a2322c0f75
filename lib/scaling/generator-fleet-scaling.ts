// Scaling of the generator fleet: a schedule that empties the fleet in the evening and restores it on weekday
// mornings, so an idle dev deployment does not pay for load generators. Nothing scales on load: the load IS
// the fleet (rate x instances), so CPU target tracking would add instances no running command uses and remove
// ones in the middle of a run. An instance that is running a generator protects itself from scale-in for the
// run (the SSM document), so the evening schedule waits for the run to end.
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import { Construct } from 'constructs';

export interface GeneratorFleetScalingProps {
  readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  /** Capacity restored by the morning schedule. */
  readonly minInstances: number;
  readonly maxInstances: number;
  /** @default - 07:00 UTC, Monday to Friday */
  readonly startSchedule?: autoscaling.Schedule;
  /** @default - 20:00 UTC every day */
  readonly stopSchedule?: autoscaling.Schedule;
}

export class GeneratorFleetScaling extends Construct {
  constructor(scope: Construct, id: string, props: GeneratorFleetScalingProps) {
    super(scope, id);
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
