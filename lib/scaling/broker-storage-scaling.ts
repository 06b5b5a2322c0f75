// Scaling of MSK broker storage: Application Auto Scaling target tracking on KafkaBrokerStorageUtilization
// grows every broker's EBS volume before it fills. MSK volumes never shrink, so scale-in is disabled.
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import { Construct } from 'constructs';
import { MSK_MAX_VOLUME_GIB, MSK_MIN_VOLUME_GIB } from '../service-limits.js';
import { checkInteger, type Fail, failIn } from '../validation.js';

export interface BrokerStorageScalingProps {
  /** The ARN of the MSK provisioned cluster whose broker volumes grow. */
  readonly clusterArn: string;
  /** Current (initial) volume per broker, in GiB: the scalable target's minimum. */
  readonly minVolumeGiB: number;
  /** Largest volume per broker auto-scaling may reach, in GiB (MSK allows up to 16384). */
  readonly maxVolumeGiB: number;
  /**
   * Disk utilisation (percent, 10 to 80) to stay under: the room above it takes the writes until the volumes
   * have grown.
   * @default 60
   */
  readonly targetUtilizationPercent?: number;
}

/** The checks of the props (lib/config.ts runs them on the context too). */
export function checkBrokerStorageScalingProps(
  props: Omit<BrokerStorageScalingProps, 'clusterArn'>,
  fail: Fail,
): void {
  checkInteger(fail, 'minVolumeGiB', props.minVolumeGiB, MSK_MIN_VOLUME_GIB, MSK_MAX_VOLUME_GIB);
  checkInteger(fail, 'maxVolumeGiB', props.maxVolumeGiB, props.minVolumeGiB, MSK_MAX_VOLUME_GIB);
  checkInteger(fail, 'targetUtilizationPercent', props.targetUtilizationPercent ?? 60, 10, 80);
}

/**
 * Grows the broker volumes of an MSK provisioned cluster (https://docs.aws.amazon.com/msk/latest/developerguide/msk-autoexpand.html).
 */
export class BrokerStorageScaling extends Construct {
  readonly scalableTarget: appscaling.ScalableTarget;

  constructor(scope: Construct, id: string, props: BrokerStorageScalingProps) {
    super(scope, id);
    checkBrokerStorageScalingProps(props, failIn(this));
    this.scalableTarget = new appscaling.ScalableTarget(this, 'Target', {
      serviceNamespace: appscaling.ServiceNamespace.KAFKA,
      scalableDimension: 'kafka:broker-storage:VolumeSize',
      resourceId: props.clusterArn,
      minCapacity: props.minVolumeGiB,
      maxCapacity: props.maxVolumeGiB,
    });
    this.scalableTarget.scaleToTrackMetric('Utilization', {
      predefinedMetric: appscaling.PredefinedMetric.KAFKA_BROKER_STORAGE_UTILIZATION,
      targetValue: props.targetUtilizationPercent ?? 60,
      disableScaleIn: true,
    });
  }
}
