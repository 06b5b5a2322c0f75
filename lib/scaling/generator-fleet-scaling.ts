// Scaling of the generator fleet: CPU target tracking while it runs, and a schedule that empties the fleet in
// the evening and restores it on weekday mornings, so an idle dev deployment does not pay for load generators.
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import { Construct } from 'constructs';

export interface GeneratorFleetScalingProps {
  readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  readonly cpuTargetPercent: number;
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
    if (props.cpuTargetPercent < 10 || props.cpuTargetPercent > 90) {
      throw new Error(`cpuTargetPercent must be between 10 and 90, got ${props.cpuTargetPercent}`);
    }
    const asg = props.autoScalingGroup;
    asg.scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: props.cpuTargetPercent });
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
