// The search side: an OpenSearch domain in the VPC with fine-grained access control deciding every request
// (an open domain access policy, as AWS recommends with FGAC; the setup handler's IAM role is the master user;
// consumers are mapped to a write-only backend role, not all_access), encryption at
// rest and node to node, HTTPS with TLS 1.2+, slow and application logs; Cognito sign-in for Dashboards users
// (mapped to a read-only role); and the custom resource that applies the index templates, the ISM retention
// policy, the role mappings and the Dashboards saved objects on every create AND update. The checks of its props
// (checkSearchProps, which lib/config.ts runs on the context too), and what it shares with ExistingSearchDomain
// (SearchDomainBase: the pipeline's grants, ingress and FGAC mappings; the setup provider and resource).
import { Aws, CustomResource, Lazy, Names, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as opensearch from 'aws-cdk-lib/aws-opensearchservice';
import type * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct, type IConstruct } from 'constructs';
import { DEFAULT_REFRESH_INTERVAL, isRefreshInterval } from '../core/index-templates.js';
import type { DashboardsAuthMode } from './config.js';
import { DashboardsAuth } from './dashboards-auth.js';
import { acknowledgeNag, logicalIdOf } from './nag.js';
import { PipelineProvider } from './pipeline-provider.js';
import {
  OPENSEARCH_GP3_MAX_GIB,
  OPENSEARCH_LIMITS_URL,
  OPENSEARCH_MIN_VOLUME_GIB,
} from './service-limits.js';
import { checkInteger, checkOneOf, checkPattern, type Fail, failIn } from './validation.js';

export const OPENSEARCH_VERSION = opensearch.EngineVersion.OPENSEARCH_2_19;

/**
 * What the rest of the pipeline needs of an OpenSearch domain with fine-grained access control: its endpoint,
 * its metrics, and the network and FGAC access of the pipeline's roles. `Search` creates one.
 */
export interface ISearch extends IConstruct {
  /** The domain, for its metrics. */
  readonly domain: opensearch.IDomain;
  /** `https://<domain endpoint>`, what the runtime clients take. */
  readonly endpointUrl: string;
  /**
   * How the last import of the Dashboards saved objects went: the setup custom resource's `DashboardsImport`
   * attribute (a failed import does not fail the deploy, so this is where it shows).
   */
  readonly dashboardsImport: string;
  /** Lets `client` reach the domain over HTTPS. */
  allowClientsFrom(client: ec2.ISecurityGroup, description: string): void;
  /** Maps `roleArn` to the operators' read-only role on the pipeline's indices. */
  addOperator(roleArn: string): void;
  /** Lets `role`, from `client`, read and search the pipeline's indices. */
  addReader(role: iam.IRole, client: ec2.ISecurityGroup): void;
  /** Lets `role`, from `client`, write the pipeline's documents (`_bulk`) and nothing else. */
  addWriter(role: iam.IRole, client: ec2.ISecurityGroup): void;
}

/**
 * The settings of a new OpenSearch domain and of what the setup puts in it. The defaults are the pipeline's base
 * configuration (lib/config.ts DEFAULT_CONFIG), before any profile.
 */
export interface SearchProps {
  /** The VPC the domain and the setup function are placed in (the domain has no public endpoint). */
  readonly vpc: ec2.IVpc;
  /**
   * Where in `vpc` the domain and the setup function are placed: private subnets, one per zone the domain spans.
   * @default - the VPC's private subnets with egress
   */
  readonly subnets?: ec2.SubnetSelection;
  /**
   * Availability zones the domain may span (2 or 3; zone awareness spans `min(azCount, dataNodes)` of them when
   * there are 2 or more data nodes). At most the VPC's zone count.
   * @default - the VPC's zones, at most 3
   */
  readonly azCount?: number;
  /**
   * Data nodes: 1, or a multiple of the zones they span (zone awareness needs the same count in each zone).
   * @default 2
   */
  readonly dataNodes?: number;
  /**
   * Instance type of the data nodes, as OpenSearch Service names it (`<family>.<size>.search`): a string, like
   * `opensearch.CapacityConfig.dataNodeInstanceType`, which takes the service's own names rather than
   * `ec2.InstanceType`. A type with gp3 EBS storage (lib/service-limits.ts), not T2 (no encryption at rest).
   * @default 't3.medium.search'
   */
  readonly instanceType?: string;
  /**
   * gp3 EBS volume per data node, GiB: 10 up to the type's limit (lib/service-limits.ts OPENSEARCH_GP3_MAX_GIB).
   * @default 20
   */
  readonly volumeGiB?: number;
  /**
   * Dedicated master nodes: 0 (none), 3 or 5, spread over the zones like the data nodes.
   * @default - none: the data nodes elect the cluster manager among themselves
   */
  readonly masterNodes?: number;
  /**
   * Instance type of the dedicated master nodes (a string, as `dataNodeInstanceType` above).
   * @default 'm6g.large.search'
   */
  readonly masterInstanceType?: string;
  /**
   * Prefix of the pipeline's daily indices (`<indexPrefix>-<category>-<yyyy.mm.dd>`), their templates, ISM policy,
   * FGAC roles and Dashboards tenant: lower-case letters, digits, `_` or `-`, starting with a letter.
   * @default 'logs'
   */
  readonly indexPrefix?: string;
  /**
   * Days an index lives before the ISM policy deletes it (1 to 3650).
   * @default 14
   */
  readonly retentionDays?: number;
  /**
   * How often OpenSearch refreshes the pipeline's indices, which makes what was indexed since searchable: a whole
   * number of ms, s or m (`500ms`, `1s`, `5s`, `2m`). Shorter is fresher, longer indexes more cheaply: a
   * refresh takes the resources of the indexing threads and writes a segment that is later merged. Put in the
   * index template and, on every setup run, on the existing `<indexPrefix>-events-*` indices.
   * @default '5s'
   */
  readonly refreshInterval?: string;
  /**
   * Retention of the domain's slow, application and audit log groups and of the setup function's logs.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * How people sign in to Dashboards: 'cognito' (a user pool that administrators add people to, TOTP MFA
   * required) or 'none' (SigV4 clients only).
   * @default 'cognito'
   */
  readonly dashboardsAuth?: DashboardsAuthMode;
  /**
   * Any new value makes CloudFormation run the setup again (an Update), e.g. after a failed Dashboards import:
   * `npx cdk deploy -c searchSetupRun=$(date +%s)`.
   * @default - the setup runs when its other properties change
   */
  readonly setupRun?: string;
}

/** SearchProps' defaults (lib/config.ts DEFAULT_CONFIG holds the same values for the context). */
const SEARCH_DEFAULTS = {
  dataNodes: 2,
  instanceType: 't3.medium.search',
  volumeGiB: 20,
  masterInstanceType: 'm6g.large.search',
  indexPrefix: 'logs',
  retentionDays: 14,
  refreshInterval: DEFAULT_REFRESH_INTERVAL,
  dashboardsAuth: 'cognito',
} as const;

/** What `checkSearchIndexProps` checks: the index settings, the same for a new domain and an existing one. */
export type CheckedSearchIndexProps = Pick<SearchProps, 'indexPrefix' | 'retentionDays' | 'refreshInterval'>;

/** What `checkSearchProps` checks: SearchProps without the placement, with the zones resolved. */
export type CheckedSearchProps = Omit<
  SearchProps,
  'vpc' | 'subnets' | 'logRetention' | 'setupRun' | 'azCount'
> & {
  /** The zones the domain may span. */
  readonly azCount: number;
};

/**
 * The checks of the index settings: a prefix that is a legal start of an index name (and of the role and tenant
 * names the setup derives from it), a retention ISM accepts, and a refresh interval OpenSearch takes that
 * refreshes at all (not `-1`).
 */
export function checkSearchIndexProps(props: CheckedSearchIndexProps, fail: Fail): void {
  checkPattern(
    fail,
    'indexPrefix',
    props.indexPrefix ?? SEARCH_DEFAULTS.indexPrefix,
    /^[a-z][a-z0-9_-]{0,40}$/,
    'use lower-case letters, digits, "_" or "-", starting with a letter',
  );
  checkInteger(fail, 'retentionDays', props.retentionDays ?? SEARCH_DEFAULTS.retentionDays, 1, 3650);
  const refreshInterval = props.refreshInterval ?? SEARCH_DEFAULTS.refreshInterval;
  if (
    !Token.isUnresolved(refreshInterval) &&
    (typeof refreshInterval !== 'string' || !isRefreshInterval(refreshInterval))
  ) {
    fail('refreshInterval', refreshInterval, 'use a whole number of ms, s or m, such as 500ms, 1s or 5s');
  }
}

/**
 * The checks of a new domain's props: the index settings, data nodes that zone awareness can spread evenly, an
 * instance type with gp3 storage and encryption at rest, a volume within the type's limit, a master node count
 * that keeps a quorum, and the Dashboards sign-in. lib/config.ts runs it on the context; `instanceTypeName` is
 * what the volume's fix calls the instance type (the context key there).
 */
export function checkSearchProps(
  props: CheckedSearchProps,
  fail: Fail,
  instanceTypeName = 'instanceType',
): void {
  checkSearchIndexProps(props, fail);
  const dataNodes = props.dataNodes ?? SEARCH_DEFAULTS.dataNodes;
  checkInteger(fail, 'dataNodes', dataNodes, 1, 20);
  const zones = Math.min(props.azCount, dataNodes);
  if (!Token.isUnresolved(dataNodes) && dataNodes > 1 && dataNodes % zones !== 0) {
    fail(
      'dataNodes',
      dataNodes,
      `must be 1 or a multiple of the zones it spans (${zones}) for zone awareness`,
    );
  }
  const instanceType = props.instanceType ?? SEARCH_DEFAULTS.instanceType;
  checkPattern(
    fail,
    'instanceType',
    instanceType,
    /^[a-z0-9]+\.[a-z0-9]+\.search$/,
    'use an OpenSearch type such as t3.medium.search',
  );
  if (/^t2\./.test(instanceType)) {
    fail('instanceType', instanceType, 'T2 types lack encryption at rest; use t3 or larger');
  }
  if (!Token.isUnresolved(instanceType)) {
    const max = OPENSEARCH_GP3_MAX_GIB[instanceType];
    if (max === undefined) {
      fail(
        'instanceType',
        instanceType,
        `use a type with gp3 EBS storage: ${Object.keys(OPENSEARCH_GP3_MAX_GIB).join(', ')} (${OPENSEARCH_LIMITS_URL})`,
      );
    }
    const volumeGiB = props.volumeGiB ?? SEARCH_DEFAULTS.volumeGiB;
    if (
      !Token.isUnresolved(volumeGiB) &&
      (typeof volumeGiB !== 'number' ||
        !Number.isInteger(volumeGiB) ||
        volumeGiB < OPENSEARCH_MIN_VOLUME_GIB ||
        volumeGiB > max)
    ) {
      fail(
        'volumeGiB',
        volumeGiB,
        `${instanceType} takes a gp3 volume of ${OPENSEARCH_MIN_VOLUME_GIB} to ${max} GiB per data node; use a size in that range or a larger ${instanceTypeName} (${OPENSEARCH_LIMITS_URL})`,
      );
    }
  }
  checkOneOf(fail, 'dashboardsAuth', props.dashboardsAuth ?? SEARCH_DEFAULTS.dashboardsAuth, [
    'cognito',
    'none',
  ]);
  const masterNodes = props.masterNodes ?? 0;
  // An odd count of at least 3 keeps a quorum when one master (or one AZ) is lost.
  if (!Token.isUnresolved(masterNodes) && ![0, 3, 5].includes(masterNodes)) {
    fail('masterNodes', masterNodes, 'use 0 (none), 3 or 5');
  }
  checkPattern(
    fail,
    'masterInstanceType',
    props.masterInstanceType ?? SEARCH_DEFAULTS.masterInstanceType,
    /^[a-z0-9]+\.[a-z0-9]+\.search$/,
    'use an OpenSearch type such as m6g.large.search',
  );
}

/** The setup function, its security group and its custom-resource provider. */
export interface SearchSetupProvider {
  readonly provider: PipelineProvider;
  readonly securityGroup: ec2.SecurityGroup;
  /** The role the setup calls the domain as: the FGAC master user, or a role mapped to all_access and security_manager. */
  readonly role: iam.IRole;
  /** The hash of the handler bundle, which embeds the saved objects, templates and ISM policy. */
  readonly bundleHash: string;
}

/**
 * Builds the setup function and its provider directly in `scope` (`SetupProviderSecurityGroup`, `SetupProvider`),
 * in the VPC, running as `role` when given.
 */
export function searchSetupProvider(
  scope: Construct,
  props: {
    vpc: ec2.IVpc;
    subnets: ec2.SubnetSelection;
    logRetention: logs.RetentionDays;
    role?: iam.IRole;
  },
): SearchSetupProvider {
  const securityGroup = new ec2.SecurityGroup(scope, 'SetupProviderSecurityGroup', {
    vpc: props.vpc,
    description: 'Search setup custom resource handler of the log pipeline',
    allowAllOutbound: true,
  });
  const provider = new PipelineProvider(scope, 'SetupProvider', {
    entry: 'lambdas/search-setup-provider.ts',
    description: 'Applies index templates, ISM retention and Dashboards saved objects (custom resource)',
    vpc: props.vpc,
    vpcSubnets: props.subnets,
    securityGroups: [securityGroup],
    logRetention: props.logRetention,
    role: props.role,
  });
  const fn = provider.handler.function;
  if (!fn.role) throw new Error('the search setup function has no role');
  return {
    provider,
    securityGroup,
    role: fn.role,
    bundleHash: (fn.node.findChild('Code') as s3assets.Asset).assetHash,
  };
}

/**
 * What Search and ExistingSearchDomain share: the pipeline's roles are granted, admitted and mapped in either
 * domain alike, and the setup custom resource maps them.
 */
export abstract class SearchDomainBase extends Construct implements ISearch {
  abstract readonly domain: opensearch.IDomain;
  abstract readonly endpointUrl: string;
  abstract readonly dashboardsImport: string;
  /** Prefix of the pipeline's indices and of its FGAC roles. */
  abstract readonly indexPrefix: string;
  /** Roles mapped to the write-only FGAC role (core/search-security.ts writerRole). */
  protected readonly writers: iam.IRole[] = [];
  /** Role ARNs mapped to the operators' read-only FGAC role (core/search-security.ts operatorRole). */
  protected readonly operators: string[] = [];

  /** Lets `client` reach the domain over HTTPS. */
  abstract allowClientsFrom(client: ec2.ISecurityGroup, description: string): void;

  /** The domain's ARN as cdk-nag prints it in finding ids; undefined when only known at deploy time. */
  protected abstract nagDomainArn(): string | undefined;

  /**
   * Maps `roleArn` (an operator's role, from config `operatorRoleArns`) to the read-only operator role in
   * fine-grained access control. It grants no IAM permission and no network path: the operator's own IAM
   * permissions are theirs, and the domain stays reachable only inside the VPC (through the ops function).
   */
  addOperator(roleArn: string): void {
    this.operators.push(roleArn);
  }

  /**
   * Lets `role` search the pipeline's indices from `client`: HTTPS to the domain, `GET`/`POST` on the paths under
   * `<indexPrefix>-*` (`_search`, `_count` on the indices and the category aliases), and the mapping to the
   * operators' read-only FGAC role, which limits it to reading those indices.
   */
  addReader(role: iam.IRole, client: ec2.ISecurityGroup): void {
    this.operators.push(role.roleArn);
    this.allowClientsFrom(client, 'operator reads (ops function)');
    iam.Grant.addToPrincipal({
      grantee: role,
      actions: ['es:ESHttpGet', 'es:ESHttpPost'],
      resourceArns: [`${this.domain.domainArn}/${this.indexPrefix}-*`],
    });
    const arn = this.nagDomainArn();
    if (arn !== undefined) {
      acknowledgeNag(
        role.node.tryFindChild('DefaultPolicy') ?? role,
        `AwsSolutions-IAM5[Resource::${arn}/${this.indexPrefix}-*]`,
        `Searches on the pipeline's daily indices and category aliases (${this.indexPrefix}-*: their names change every day); fine-grained access control maps this role to read-only on them`,
      );
    }
  }

  /**
   * Grants `role` the one request the consumers send, `POST /_bulk` (core/indexer.ts; the index of each document
   * is in the body), and maps it, through the setup custom resource, to the write-only FGAC backend role, which
   * limits those writes to the pipeline's indices.
   */
  addWriter(role: iam.IRole, client: ec2.ISecurityGroup): void {
    this.writers.push(role);
    this.allowClientsFrom(client, 'bulk indexing');
    iam.Grant.addToPrincipal({
      grantee: role,
      actions: ['es:ESHttpPost'],
      resourceArns: [`${this.domain.domainArn}/_bulk`],
    });
  }

  /** For roles that call many REST paths (setup APIs, Dashboards searches): FGAC is what scopes them per role. */
  protected acknowledgeDomainPaths(policyHolder: IConstruct, who: string): void {
    const arn = this.nagDomainArn();
    if (arn === undefined) return;
    acknowledgeNag(
      policyHolder,
      `AwsSolutions-IAM5[Resource::${arn}/*]`,
      `${who}; HTTP methods on the domain's paths, further restricted by fine-grained access control`,
    );
  }

  /**
   * The setup custom resource, `Setup` in this construct: templates, ISM, the FGAC roles and their mappings to
   * the writers, readers and operators added by then (read at synthesis), and the Dashboards saved objects.
   */
  protected setupResource(props: {
    serviceToken: string;
    retentionDays: number;
    refreshInterval: string;
    readerRoleArns?: string[];
    replicas?: number;
    bundleHash: string;
    setupRun?: string;
    sharedDomain?: boolean;
  }): CustomResource {
    return new CustomResource(this, 'Setup', {
      serviceToken: props.serviceToken,
      resourceType: 'Custom::SearchSetup',
      properties: {
        Endpoint: this.endpointUrl,
        IndexPrefix: this.indexPrefix,
        RetentionDays: props.retentionDays,
        RefreshInterval: props.refreshInterval,
        WriterRoleArns: Lazy.list({ produce: () => this.writers.map((role) => role.roleArn) }),
        ReaderRoleArns: props.readerRoleArns,
        OperatorRoleArns: Lazy.list({ produce: () => [...this.operators] }, { omitEmpty: true }),
        Replicas: props.replicas,
        // The saved objects, templates and ISM policy are compiled into the handler bundle: a new bundle hash
        // changes this property, so CloudFormation sends an UPDATE and the handler re-applies them.
        SavedObjectsHash: props.bundleHash,
        SetupRun: props.setupRun,
        SharedDomain: props.sharedDomain ? 'true' : undefined,
      },
    });
  }
}

/**
 * A new OpenSearch domain for the pipeline, in the VPC, with fine-grained access control (the setup function's
 * role is its master user), Cognito sign-in for Dashboards unless turned off, and the setup custom resource.
 */
export class Search extends SearchDomainBase {
  readonly domain: opensearch.Domain;
  /** `https://<domain endpoint>`, what the runtime clients take. */
  readonly endpointUrl: string;
  readonly securityGroup: ec2.SecurityGroup;
  /** The FGAC master user: the role the setup custom resource runs as. */
  readonly masterRole: iam.IRole;
  /** Cognito sign-in for Dashboards, unless `dashboardsAuth` is 'none'. */
  readonly dashboardsAuth?: DashboardsAuth;
  /** The setup custom resource; its DashboardsImport attribute says how the saved objects import went. */
  readonly setup: CustomResource;
  readonly dashboardsImport: string;
  readonly indexPrefix: string;

  constructor(scope: Construct, id: string, props: SearchProps) {
    super(scope, id);
    const fail = failIn(this);
    const vpcZones = props.vpc.availabilityZones.length;
    const azCount = props.azCount ?? Math.min(3, vpcZones);
    const dataNodes = props.dataNodes ?? SEARCH_DEFAULTS.dataNodes;
    if (dataNodes > 1) {
      // Zone awareness spans 2 or 3 zones (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/managedomains-multiaz.html).
      checkInteger(fail, 'azCount', azCount, 2, Math.min(3, vpcZones));
    }
    checkSearchProps({ ...props, azCount }, fail);
    const subnets = props.subnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    const volumeGiB = props.volumeGiB ?? SEARCH_DEFAULTS.volumeGiB;
    const retentionDays = props.retentionDays ?? SEARCH_DEFAULTS.retentionDays;
    this.indexPrefix = props.indexPrefix ?? SEARCH_DEFAULTS.indexPrefix;
    this.securityGroup = new ec2.SecurityGroup(this, 'DomainSecurityGroup', {
      vpc: props.vpc,
      description: 'OpenSearch domain of the log pipeline (HTTPS only)',
      allowAllOutbound: false,
    });
    const setup = searchSetupProvider(this, { vpc: props.vpc, subnets, logRetention });
    this.masterRole = setup.role;

    const logGroup = (name: string) =>
      new logs.LogGroup(this, name, { retention: logRetention, removalPolicy: RemovalPolicy.DESTROY });
    const slowSearchLogs = logGroup('SlowSearchLogs');
    const slowIndexLogs = logGroup('SlowIndexLogs');
    const appLogs = logGroup('AppLogs');
    // Audit logs record what the security plugin is told to (the setup sets it: core/search-security.ts auditConfig):
    // failed logins, missing privileges and every change to the security configuration.
    const auditLogs = logGroup('AuditLogs');
    // Our own resource policy instead of the construct's default one, which deploys an extra SDK-call Lambda.
    const logsPolicy = new logs.CfnResourcePolicy(this, 'LogsResourcePolicy', {
      policyName: `${this.node.addr}-opensearch-logs`,
      policyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'es.amazonaws.com' },
            Action: ['logs:PutLogEvents', 'logs:CreateLogStream'],
            Resource: [slowSearchLogs, slowIndexLogs, appLogs, auditLogs].map((g) => g.logGroupArn),
          },
        ],
      }),
    });

    if ((props.dashboardsAuth ?? SEARCH_DEFAULTS.dashboardsAuth) === 'cognito') {
      this.dashboardsAuth = new DashboardsAuth(this, 'DashboardsAuth');
    }

    const zoneAware = dataNodes >= 2;
    const azs = props.vpc.availabilityZones.slice(0, zoneAware ? Math.min(azCount, dataNodes) : 1);
    // Unique per stack and construct path, like the MSK cluster's: the access policy below can name the domain
    // without referring to the domain resource itself (a circular reference CloudFormation refuses).
    const domainName = Names.uniqueResourceName(this, { maxLength: 28, separator: '-' }).toLowerCase();
    this.domain = new opensearch.Domain(this, 'Domain', {
      domainName,
      version: OPENSEARCH_VERSION,
      vpc: props.vpc,
      vpcSubnets: [{ ...subnets, availabilityZones: azs }],
      securityGroups: [this.securityGroup],
      capacity: {
        dataNodes,
        dataNodeInstanceType: props.instanceType ?? SEARCH_DEFAULTS.instanceType,
        ...(props.masterNodes
          ? {
              masterNodes: props.masterNodes,
              masterNodeInstanceType: props.masterInstanceType ?? SEARCH_DEFAULTS.masterInstanceType,
            }
          : {}),
        multiAzWithStandbyEnabled: false,
      },
      zoneAwareness: zoneAware ? { enabled: true, availabilityZoneCount: azs.length } : { enabled: false },
      ebs: { volumeSize: volumeGiB, volumeType: ec2.EbsDeviceVolumeType.GP3 },
      encryptionAtRest: { enabled: true },
      nodeToNodeEncryption: true,
      enforceHttps: true,
      tlsSecurityPolicy: opensearch.TLSSecurityPolicy.TLS_1_2_PFS,
      fineGrainedAccessControl: { masterUserArn: this.masterRole.roleArn },
      cognitoDashboardsAuth: this.dashboardsAuth?.domainOptions,
      logging: {
        slowSearchLogEnabled: true,
        slowSearchLogGroup: slowSearchLogs,
        slowIndexLogEnabled: true,
        slowIndexLogGroup: slowIndexLogs,
        appLogEnabled: true,
        appLogGroup: appLogs,
        auditLogEnabled: true,
        auditLogGroup: auditLogs,
      },
      suppressLogsResourcePolicy: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.domain.node.addDependency(logsPolicy);
    // FGAC's recommended domain access policy: open, so that fine-grained access control decides each request
    // (with the IAM master user and no internal users, an unsigned or unmapped request is refused there); the
    // domain has no public endpoint and its security group admits only the pipeline's clients. Set on the
    // resource itself: the construct's accessPolicies deploy an extra SDK-call Lambda to apply it afterwards.
    (this.domain.node.defaultChild as opensearch.CfnDomain).accessPolicies = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: '*' },
          Action: 'es:ESHttp*',
          Resource: `arn:${Aws.PARTITION}:es:${Aws.REGION}:${Aws.ACCOUNT_ID}:domain/${domainName}/*`,
        },
      ],
    };
    if (this.dashboardsAuth) {
      // OpenSearch refuses a user pool without a hosted-UI domain, and signs users in with the attached role.
      this.domain.node.addDependency(this.dashboardsAuth.userPoolDomain, this.dashboardsAuth.roleAttachment);
      // Dashboards pages and their API calls: HTTP reads (searches are POSTs); FGAC keeps them read-only.
      iam.Grant.addToPrincipal({
        grantee: this.dashboardsAuth.authenticatedRole,
        actions: ['es:ESHttpGet', 'es:ESHttpHead', 'es:ESHttpPost'],
        resourceArns: [`${this.domain.domainArn}/*`],
      });
    }
    acknowledgeNag(
      this.domain,
      'AwsSolutions-OS3',
      "The domain has no public endpoint: it lives in private subnets and its security group admits only the pipeline roles' security groups",
    );
    if (!props.masterNodes) {
      acknowledgeNag(
        this.domain,
        'AwsSolutions-OS4',
        'Small dev domain: dedicated master nodes would triple its cost; the production profile adds three',
      );
    }
    if (!zoneAware) {
      acknowledgeNag(
        this.domain,
        'AwsSolutions-OS7',
        'One data node (the dev profile): zone awareness needs two; a lost node means an outage the consumers wait out (they retry without limit), and the production profile spreads three nodes over three zones',
      );
    }
    acknowledgeNag(
      this.domain,
      'AwsSolutions-OS5',
      'The open access policy is the one AWS recommends with fine-grained access control: FGAC (IAM master user, no internal users, no anonymous access) refuses unsigned or unmapped requests, and the domain is reachable only inside the VPC through its security group',
    );
    this.endpointUrl = `https://${this.domain.domainEndpoint}`;

    this.allowClientsFrom(setup.securityGroup, 'search setup custom resource');
    this.domain.grantReadWrite(setup.role);
    if (this.dashboardsAuth) {
      this.acknowledgeDomainPaths(
        this.dashboardsAuth.authenticatedRole.node.tryFindChild('DefaultPolicy') ??
          this.dashboardsAuth.authenticatedRole,
        'Dashboards users signed in through Cognito: read-only backend role',
      );
    }
    this.acknowledgeDomainPaths(
      this.masterRole.node.tryFindChild('DefaultPolicy') ?? this.masterRole,
      'FGAC master (setup custom resource): manages templates, ISM and saved objects',
    );
    this.setup = this.setupResource({
      serviceToken: setup.provider.serviceToken,
      retentionDays,
      refreshInterval: props.refreshInterval ?? SEARCH_DEFAULTS.refreshInterval,
      readerRoleArns: this.dashboardsAuth ? [this.dashboardsAuth.authenticatedRole.roleArn] : undefined,
      // A replica needs a second node: on one node it would stay unassigned and the cluster yellow.
      replicas: dataNodes === 1 ? 0 : undefined,
      bundleHash: setup.bundleHash,
      setupRun: props.setupRun,
    });
    this.dashboardsImport = this.setup.getAttString('DashboardsImport');
    // The handler connects at once: wait for the domain's ingress rules, not only for the domain.
    this.setup.node.addDependency(this.securityGroup);
  }

  /** Lets `client` reach the domain over HTTPS. */
  allowClientsFrom(client: ec2.ISecurityGroup, description: string): void {
    this.securityGroup.addIngressRule(client, ec2.Port.tcp(443), description);
  }

  protected nagDomainArn(): string {
    return `<${logicalIdOf(this.domain)}.Arn>`;
  }
}
