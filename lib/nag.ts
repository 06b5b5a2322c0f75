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

/**
 * A string as cdk-nag prints it in finding ids: pseudo parameters of an environment-agnostic stack become
 * `<AWS::AccountId>`, concrete values stay literal.
 */
export function nagRendered(scope: IConstruct, value: string): string {
  const resolved = Stack.of(scope).resolve(value) as unknown;
  if (typeof resolved === 'string') return resolved;
  const sub = (resolved as { 'Fn::Sub'?: unknown })['Fn::Sub'];
  if (typeof sub === 'string') return sub.replace(/\$\{([^}]+)\}/g, '<$1>');
  throw new Error(`cannot render ${JSON.stringify(resolved)} as cdk-nag does`);
}
