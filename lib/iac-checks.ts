// Acknowledges a reviewed finding of the template checkers that CI runs on the synthesized template
// (`npm run iac:check`: checkov and cfn-lint), in the metadata of the one resource it concerns, with the reason
// it is acceptable here. checkov reads `Metadata.checkov.skip` ({ id, comment }); cfn-lint reads
// `Metadata.cfn-lint.config.ignore_checks`, which has no place for a reason, so that reason lives at the call.
import { CfnResource } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

interface CheckovSkip {
  readonly id: string;
  readonly comment: string;
}

/** The CloudFormation resource behind a construct: itself, or an L2's default child. */
export function cfnResourceOf(construct: IConstruct): CfnResource {
  const candidate = CfnResource.isCfnResource(construct) ? construct : construct.node.defaultChild;
  if (candidate === undefined || !CfnResource.isCfnResource(candidate)) {
    throw new Error(
      `${construct.node.path} is not a CloudFormation resource and has no default child that is`,
    );
  }
  return candidate;
}

export function acknowledgeCheckov(construct: IConstruct, id: string, reason: string): void {
  if (!/^CKV2?_AWS_\d+$/.test(id)) throw new Error(`not a checkov AWS check id: '${id}'`);
  if (reason.trim() === '') throw new Error(`acknowledging ${id} needs a reason`);
  const resource = cfnResourceOf(construct);
  const existing = (resource.getMetadata('checkov') as { skip?: CheckovSkip[] } | undefined)?.skip ?? [];
  if (existing.some((skip) => skip.id === id)) return;
  resource.addMetadata('checkov', { skip: [...existing, { id, comment: reason }] });
}

export function acknowledgeCfnLint(construct: IConstruct, rule: string, reason: string): void {
  if (!/^[EWI]\d{4}$/.test(rule)) throw new Error(`not a cfn-lint rule id: '${rule}'`);
  if (reason.trim() === '') throw new Error(`acknowledging ${rule} needs a reason`);
  const resource = cfnResourceOf(construct);
  const existing =
    (resource.getMetadata('cfn-lint') as { config?: { ignore_checks?: string[] } } | undefined)?.config
      ?.ignore_checks ?? [];
  if (existing.includes(rule)) return;
  resource.addMetadata('cfn-lint', { config: { ignore_checks: [...existing, rule] } });
}
