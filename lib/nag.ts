// Acknowledges a reviewed cdk-nag AwsSolutions finding on the one construct it concerns, with the reason it
// is acceptable here. The ids are the ones `cdk synth` prints (`AwsSolutions-IAM5[Resource::...]`).
import { type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

export function acknowledgeNag(construct: IConstruct, rule: string, reason: string): void {
  Validations.of(construct).acknowledge({ id: `AwsSolutions::${rule}`, reason });
}

/** The logical id cdk-nag prints inside finding ids such as `Resource::<LogicalId.Arn>/*`. */
export function logicalIdOf(resource: IConstruct): string {
  const cfn = (resource.node.defaultChild ?? resource) as CfnElement;
  return Stack.of(resource).resolve(cfn.logicalId) as string;
}
