// The search side of the pipeline in an OpenSearch domain that someone else runs (a platform team's shared
// domain): no domain, log groups, Cognito pools or Dashboards hop are created. The pipeline adds only what it
// owns: HTTPS ingress from its clients on the domain's security group, identity-based grants to its roles on the
// domain's ARN, and the setup custom resource, which puts the pipeline's index templates, ISM retention policy,
// FGAC roles and mappings (all named after the index prefix) and Dashboards saved objects (in the pipeline's own
// tenant) into the domain, and leaves the domain-wide settings alone (aws/search-setup.ts `sharedDomain`).
//
// What the domain's owner grants, because a stack cannot change a domain it did not create:
// - fine-grained access control enabled, with the setup role mapped as a backend role to `all_access` and
//   `security_manager`: the setup calls the security plugin's REST API (roles, role mappings, a tenant), which
//   Amazon OpenSearch Service opens to those two roles only
//   (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/fgac.html#fgac-more-masters), and a
//   security manager can grant itself everything anyway, so no narrower role protects the domain more;
// - a domain access policy that allows the pipeline's roles `es:ESHttp*` on `<domain ARN>/*` (FGAC's recommended
//   open policy does; so does one naming the account or these roles);
// - a VPC domain whose security group the pipeline may add ingress rules to (or that already admits them).
import { Arn, ArnFormat, type CustomResource, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as opensearch from 'aws-cdk-lib/aws-opensearchservice';
import type { Construct } from 'constructs';
import { DEFAULT_REFRESH_INTERVAL } from '../core/index-templates.js';
import { checkSearchIndexProps, SearchDomainBase, searchSetupProvider } from './search.js';
import { checkInteger, type Fail, failIn } from './validation.js';

/** The existing domain and what the pipeline's setup needs in it: what a LogPipeline user gives. */
export interface ExistingSearchDomainAttributes {
  /**
   * The domain, from `opensearch.Domain.fromDomainAttributes` (its ARN and its VPC endpoint, without `https://`):
   * OpenSearch 2.x (the setup uses composable index templates, ISM and the security plugin's `_plugins` APIs;
   * tested with 2.19), in the same account and region as the stack, in a VPC the pipeline reaches, with
   * fine-grained access control, encryption at rest and node-to-node encryption.
   */
  readonly domain: opensearch.IDomain;
  /**
   * The security group of the domain's VPC endpoint. The pipeline adds ingress on 443 from each of its clients
   * (the consumers, the ops function, the setup function). Imported with `mutable: false`, it gets no rules: its
   * owner then admits the pipeline's security groups.
   */
  readonly securityGroup: ec2.ISecurityGroup;
  /**
   * The role the setup function runs as, which the domain's owner has mapped (before the first deploy) as a backend
   * role to `all_access` and `security_manager`. It must trust lambda.amazonaws.com and hold what
   * AWSLambdaBasicExecutionRole and AWSLambdaVPCAccessExecutionRole grant. Imported mutable (the default of
   * `iam.Role.fromRoleArn`), it gets `es:ESHttp*` on the domain from the pipeline; imported with `mutable: false`,
   * its owner grants that.
   */
  readonly setupRole: iam.IRole;
  /**
   * Roles of the people who read the pipeline's dashboards in the domain's own Dashboards (e.g. the owner's Cognito
   * authenticated role, or a SAML role): mapped to the pipeline's read-only role and given its tenant. They need
   * the built-in `opensearch_dashboards_user` role too, which the owner maps (the pipeline leaves the built-in
   * roles' mappings alone on a shared domain).
   * @default - none: only the operators (`operatorRoleArns`) and the ops function read the pipeline's indices
   */
  readonly dashboardsReaders?: iam.IRole[];
  /**
   * Replicas of each of the pipeline's index shards: at most the domain's data nodes minus one.
   * @default 1
   */
  readonly replicas?: number;
}

/** The props of ExistingSearchDomain: the domain's attributes, where the setup runs, and the index settings. */
export interface ExistingSearchDomainProps extends ExistingSearchDomainAttributes {
  /** The VPC the setup function runs in: the domain's, or one routed to it. */
  readonly vpc: ec2.IVpc;
  /**
   * Where in `vpc` the setup function runs.
   * @default - the VPC's private subnets with egress
   */
  readonly subnets?: ec2.SubnetSelection;
  /**
   * Prefix of the pipeline's indices and of everything the setup creates in the domain (templates, ISM policy,
   * FGAC roles, tenant): one the domain's other users do not use.
   * @default 'logs'
   */
  readonly indexPrefix?: string;
  /**
   * Days an index lives before the pipeline's ISM policy deletes it (1 to 3650).
   * @default 14
   */
  readonly retentionDays?: number;
  /**
   * How often OpenSearch refreshes the pipeline's indices, which makes what was indexed since searchable: a whole
   * number of ms, s or m (`500ms`, `1s`, `5s`, `2m`). Shorter is fresher, longer indexes more cheaply (see
   * `SearchProps.refreshInterval`). Put in the pipeline's index template and, on every setup run, on its existing
   * `<indexPrefix>-events-*` indices, none of the domain's other indices.
   * @default '5s'
   */
  readonly refreshInterval?: string;
  /**
   * Retention of the setup function's logs.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Any new value makes CloudFormation run the setup again (an Update), e.g. after a failed Dashboards import.
   * @default - the setup runs when its other properties change
   */
  readonly setupRun?: string;
}

/**
 * The checks of an existing domain's props: the index settings, the replicas, and a domain the pipeline can reach
 * and grant on (its VPC endpoint, in the stack's account and region) where these are known at synth.
 */
export function checkExistingSearchDomainProps(
  props: ExistingSearchDomainProps,
  stack: Stack,
  fail: Fail,
): void {
  checkSearchIndexProps(props, fail);
  checkInteger(fail, 'replicas', props.replicas ?? 1, 0, 5);
  const endpoint = props.domain.domainEndpoint;
  if (
    !Token.isUnresolved(endpoint) &&
    !/^vpc-[a-z0-9-]+\.[a-z0-9-]+\.es\.amazonaws\.com(\.cn)?$/.test(endpoint)
  ) {
    fail(
      'domain',
      endpoint,
      "give the domain's VPC endpoint (vpc-<name>-<id>.<region>.es.amazonaws.com): the pipeline reaches the domain from its VPC only",
    );
  }
  const arn = props.domain.domainArn;
  if (!Token.isUnresolved(arn)) {
    const { account, region } = Arn.split(arn, ArnFormat.SLASH_RESOURCE_NAME);
    const same = (mine: string, theirs: string | undefined) => Token.isUnresolved(mine) || mine === theirs;
    if (!same(stack.account, account) || !same(stack.region, region)) {
      fail(
        'domain',
        arn,
        `use a domain in the stack's account and region (${stack.account}, ${stack.region}): the pipeline grants its roles on the domain and admits them in its security group`,
      );
    }
  }
}

/**
 * An existing OpenSearch domain with fine-grained access control, used as the pipeline's search side. See the
 * module header for what its owner must grant.
 */
export class ExistingSearchDomain extends SearchDomainBase {
  readonly domain: opensearch.IDomain;
  /** `https://<domain endpoint>`, what the runtime clients take. */
  readonly endpointUrl: string;
  readonly indexPrefix: string;
  /** The security group of the domain's VPC endpoint. */
  readonly securityGroup: ec2.ISecurityGroup;
  /** The role the setup runs as (`setupRole`). */
  readonly setupRole: iam.IRole;
  /** The setup custom resource; its DashboardsImport attribute says how the saved objects import went. */
  readonly setup: CustomResource;
  readonly dashboardsImport: string;

  constructor(scope: Construct, id: string, props: ExistingSearchDomainProps) {
    super(scope, id);
    checkExistingSearchDomainProps(props, Stack.of(this), failIn(this));
    this.domain = props.domain;
    this.securityGroup = props.securityGroup;
    this.setupRole = props.setupRole;
    this.indexPrefix = props.indexPrefix ?? 'logs';
    this.endpointUrl = `https://${props.domain.domainEndpoint}`;

    const setup = searchSetupProvider(this, {
      vpc: props.vpc,
      subnets: props.subnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      logRetention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      role: props.setupRole,
    });
    this.allowClientsFrom(setup.securityGroup, 'log pipeline search setup custom resource');
    props.domain.grantReadWrite(props.setupRole);
    this.acknowledgeDomainPaths(
      props.setupRole.node.tryFindChild('Policy') ?? props.setupRole,
      'Search setup custom resource, mapped to all_access and security_manager by the domain owner: manages the pipeline templates, ISM policy, roles and saved objects',
    );
    this.setup = this.setupResource({
      serviceToken: setup.provider.serviceToken,
      retentionDays: props.retentionDays ?? 14,
      refreshInterval: props.refreshInterval ?? DEFAULT_REFRESH_INTERVAL,
      readerRoleArns: props.dashboardsReaders?.map((role) => role.roleArn),
      replicas: props.replicas,
      bundleHash: setup.bundleHash,
      setupRun: props.setupRun,
      sharedDomain: true,
    });
    this.dashboardsImport = this.setup.getAttString('DashboardsImport');
    // The handler connects at once: wait for the ingress rules on the domain's security group, and for the
    // setup role's grant on the domain.
    this.setup.node.addDependency(props.securityGroup, props.setupRole);
  }

  /** Lets `client` reach the domain over HTTPS: an ingress rule on the domain's security group. */
  allowClientsFrom(client: ec2.ISecurityGroup, description: string): void {
    this.securityGroup.addIngressRule(client, ec2.Port.tcp(443), description);
  }

  protected nagDomainArn(): string | undefined {
    const arn = this.domain.domainArn;
    return Token.isUnresolved(arn) ? undefined : arn;
  }
}
