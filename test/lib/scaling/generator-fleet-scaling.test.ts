import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { afterAll, describe, it } from 'vitest';
import { GeneratorFleetScaling } from '../../../lib/scaling/generator-fleet-scaling.js';
import { removeScratchOutdirs, testApp } from '../stack-fixture.js';

function group(stack: Stack): autoscaling.AutoScalingGroup {
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2 });
  return new autoscaling.AutoScalingGroup(stack, 'Group', {
    vpc,
    instanceType: new ec2.InstanceType('t4g.small'),
    machineImage: new ec2.GenericLinuxImage({ 'eu-west-1': 'ami-12345678' }),
    minCapacity: 1,
    maxCapacity: 3,
  });
}

describe('GeneratorFleetScaling', () => {
  afterAll(removeScratchOutdirs);

  it('empties the fleet in the evening and restores it on weekday mornings, and never scales on CPU', () => {
    const stack = new Stack(testApp(), 'TestStack', {
      env: { region: 'eu-west-1', account: '123456789012' },
    });
    new GeneratorFleetScaling(stack, 'Scaling', {
      autoScalingGroup: group(stack),
      minInstances: 1,
      maxInstances: 3,
    });
    const template = Template.fromStack(stack);
    // A load generator's CPU is its load: target tracking would add instances no run uses and remove
    // instances in the middle of a run.
    template.resourceCountIs('AWS::AutoScaling::ScalingPolicy', 0);
    template.hasResourceProperties('AWS::AutoScaling::ScheduledAction', {
      Recurrence: '0 20 * * *',
      MinSize: 0,
      DesiredCapacity: 0,
    });
    template.hasResourceProperties('AWS::AutoScaling::ScheduledAction', {
      Recurrence: '0 7 * * MON-FRI',
      MinSize: 1,
      MaxSize: 3,
    });
  });
});
