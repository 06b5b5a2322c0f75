// Deletion protection for the users database that cannot wedge a first create. With DeletionProtection on the
// instance from the start, a first create that fails anywhere (the search setup, a quota, a throttled API) rolls
// back into an instance CloudFormation may not delete: the stack ends in ROLLBACK_FAILED. So the template leaves
// the instance's DeletionProtection unset (its DeletionPolicy and UpdateReplacePolicy stay Snapshot), and this
// custom resource, ordered after every other resource of the stack (`orderLast`), switches the protection on
// only once the rest of the create has succeeded. CloudFormation's RDS handler sends DeletionProtection to RDS
// only when the template's value changes, so later updates of the instance leave the switched-on protection
// alone (aws-cloudformation-resource-providers-rds, DBInstance Translator: `diff(previous, desired)`).
import { CfnResource, CustomResource, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as rds from 'aws-cdk-lib/aws-rds';
import { Construct, type IConstruct } from 'constructs';
import { PipelineProvider } from './pipeline-provider.js';
import { checkBoolean, type Fail, failIn } from './validation.js';

export interface DatabaseProtectionProps {
  /** The instance whose deletion protection the custom resource sets (its identifier and ARN are used). */
  readonly instance: rds.IDatabaseInstance;
  /**
   * Switch the protection on (true) or off (false: the way to let a stack delete remove the instance, after a
   * deploy that switched it off).
   * @default true
   */
  readonly enabled?: boolean;
  /** The VPC the custom resource's function runs in. */
  readonly vpc: ec2.IVpc;
  /**
   * Subnets of `vpc` for the function: private, with a route to the RDS API.
   * @default - the VPC's private subnets with egress
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * Retention of the custom resource's function logs.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/** The checks of DatabaseProtection's props, run by its constructor. */
export function checkDatabaseProtectionProps(
  props: Pick<DatabaseProtectionProps, 'enabled'>,
  fail: Fail,
): void {
  // The custom resource's handler reads Enabled as a boolean: a string "false" must not arrive there.
  if (props.enabled !== undefined) checkBoolean(fail, 'enabled', props.enabled);
}

export class DatabaseProtection extends Construct {
  /** The custom resource that sets the protection: everything else in the stack comes before it. */
  readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: DatabaseProtectionProps) {
    super(scope, id);
    checkDatabaseProtectionProps(props, failIn(this));
    const securityGroup = new ec2.SecurityGroup(this, 'ProviderSecurityGroup', {
      vpc: props.vpc,
      description: 'Database deletion protection custom resource handler of the log pipeline (RDS API only)',
      allowAllOutbound: true,
    });
    const provider = new PipelineProvider(this, 'Provider', {
      entry: 'lambdas/database-protection-provider.ts',
      description:
        "Switches the users database's deletion protection on once the stack is created (custom resource)",
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [securityGroup],
      logRetention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    });
    iam.Grant.addToPrincipal({
      grantee: provider.handler.function,
      actions: ['rds:ModifyDBInstance', 'rds:DescribeDBInstances'],
      resourceArns: [props.instance.instanceArn],
    });
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::DatabaseDeletionProtection',
      properties: {
        DBInstanceIdentifier: props.instance.instanceIdentifier,
        Enabled: props.enabled ?? true,
      },
    });
  }

  /**
   * Makes the protection the last resource of `scope`'s stack to be created: it depends on every other
   * CloudFormation resource there, except its own (which it depends on already) and those its properties
   * reference (an explicit DependsOn on them would be redundant: cfn-lint W3005). Call it once the stack holds
   * everything.
   */
  orderLast(scope: IConstruct): void {
    const own = new Set(this.node.findAll());
    const cfn = this.resource.node.defaultChild as CfnResource;
    const referenced = JSON.stringify(Stack.of(this).resolve(cfn._toCloudFormation()));
    for (const construct of Stack.of(scope).node.findAll()) {
      if (own.has(construct) || !CfnResource.isCfnResource(construct)) continue;
      const logicalId = Stack.of(construct).getLogicalId(construct);
      if (referenced.includes(`"${logicalId}"`)) continue;
      cfn.node.addDependency(construct);
    }
  }
}
