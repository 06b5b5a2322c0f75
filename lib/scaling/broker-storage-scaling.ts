// Scaling of MSK broker storage: Application Auto Scaling target tracking on KafkaBrokerStorageUtilization
// grows every broker's EBS volume before it fills. MSK volumes never shrink, so scale-in is disabled.
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import { Construct } from 'constructs';

export interface BrokerStorageScalingProps {
  readonly clusterArn: string;
  /** Current (initial) volume per broker, in GiB. */
  readonly minVolumeGiB: number;
  /** Largest volume per broker auto-scaling may reach, in GiB (MSK allows up to 16384). */
  readonly maxVolumeGiB: number;
  /** Disk utilisation (percent) to stay under. */
  readonly targetUtilizationPercent: number;
}

export class BrokerStorageScaling extends Construct {
  readonly scalableTarget: appscaling.ScalableTarget;

  constructor(scope: Construct, id: string, props: BrokerStorageScalingProps) {
    super(scope, id);
    if (props.maxVolumeGiB < props.minVolumeGiB || props.maxVolumeGiB > 16_384) {
      throw new Error(
        `maxVolumeGiB must be between minVolumeGiB (${props.minVolumeGiB}) and 16384, got ${props.maxVolumeGiB}`,
      );
    }
    this.scalableTarget = new appscaling.ScalableTarget(this, 'Target', {
      serviceNamespace: appscaling.ServiceNamespace.KAFKA,
      scalableDimension: 'kafka:broker-storage:VolumeSize',
      resourceId: props.clusterArn,
      minCapacity: props.minVolumeGiB,
      maxCapacity: props.maxVolumeGiB,
    });
    this.scalableTarget.scaleToTrackMetric('Utilization', {
      predefinedMetric: appscaling.PredefinedMetric.KAFKA_BROKER_STORAGE_UTILIZATION,
      targetValue: props.targetUtilizationPercent,
      disableScaleIn: true,
    });
  }
}
