// The search side: an OpenSearch domain in the VPC with fine-grained access control deciding every request
// (an open domain access policy, as AWS recommends with FGAC; the setup handler's IAM role is the master user;
// consumers are mapped to a write-only backend role, not all_access), encryption at
// rest and node to node, HTTPS with TLS 1.2+, slow and application logs; Cognito sign-in for Dashboards users
// (mapped to a read-only role); and the custom resource that applies the index templates, the ISM retention
// policy, the role mappings and the Dashboards saved objects on every create AND update.
import { Aws, CustomResource, Lazy, Names, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as opensearch from 'aws-cdk-lib/aws-opensearchservice';
import type * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct, type IConstruct } from 'constructs';
import type { DashboardsAuthMode } from './config.js';
import { DashboardsAuth } from './dashboards-auth.js';
import { acknowledgeNag, logicalIdOf } from './nag.js';
import { PipelineProvider } from './pipeline-provider.js';

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

export interface SearchProps {
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  /** Availability zones available to the domain (zone awareness spans them when there are 2+ nodes). */
  readonly azCount: number;
  readonly dataNodes: number;
  readonly instanceType: string;
  readonly volumeGiB: number;
  /**
   * Dedicated master nodes (3 or 5), spread over the zones like the data nodes.
   * @default - none: the data nodes elect the cluster manager among themselves
   */
  readonly masterNodes?: number;
  /** @default 'm6g.large.search' */
  readonly masterInstanceType?: string;
  readonly indexPrefix: string;
  readonly retentionDays: number;
  readonly logRetention: logs.RetentionDays;
  /**
   * How people sign in to Dashboards.
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

export class Search extends Construct implements ISearch {
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
  private readonly writers: iam.IRole[] = [];
  /** Role ARNs mapped to the operators' read-only FGAC role (core/search-security.ts operatorRole). */
  private readonly operators: string[] = [];
  private readonly indexPrefix: string;

  constructor(scope: Construct, id: string, props: SearchProps) {
    super(scope, id);
    this.indexPrefix = props.indexPrefix;
    this.securityGroup = new ec2.SecurityGroup(this, 'DomainSecurityGroup', {
      vpc: props.vpc,
      description: 'OpenSearch domain of the log pipeline (HTTPS only)',
      allowAllOutbound: false,
    });
    const setupSecurityGroup = new ec2.SecurityGroup(this, 'SetupProviderSecurityGroup', {
      vpc: props.vpc,
      description: 'Search setup custom resource handler of the log pipeline',
      allowAllOutbound: true,
    });
    const setup = new PipelineProvider(this, 'SetupProvider', {
      entry: 'lambdas/search-setup-provider.ts',
      description: 'Applies index templates, ISM retention and Dashboards saved objects (custom resource)',
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      securityGroups: [setupSecurityGroup],
      logRetention: props.logRetention,
    });
    const setupFunction = setup.handler.function;
    if (!setupFunction.role) throw new Error('the search setup function has no role');
    this.masterRole = setupFunction.role;

    const logGroup = (name: string) =>
      new logs.LogGroup(this, name, { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
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

    if ((props.dashboardsAuth ?? 'cognito') === 'cognito') {
      this.dashboardsAuth = new DashboardsAuth(this, 'DashboardsAuth');
    }

    const zoneAware = props.dataNodes >= 2;
    const azs = props.vpc.availabilityZones.slice(
      0,
      zoneAware ? Math.min(props.azCount, props.dataNodes) : 1,
    );
    // Unique per stack and construct path, like the MSK cluster's: the access policy below can name the domain
    // without referring to the domain resource itself (a circular reference CloudFormation refuses).
    const domainName = Names.uniqueResourceName(this, { maxLength: 28, separator: '-' }).toLowerCase();
    this.domain = new opensearch.Domain(this, 'Domain', {
      domainName,
      version: OPENSEARCH_VERSION,
      vpc: props.vpc,
      vpcSubnets: [{ ...props.subnets, availabilityZones: azs }],
      securityGroups: [this.securityGroup],
      capacity: {
        dataNodes: props.dataNodes,
        dataNodeInstanceType: props.instanceType,
        ...(props.masterNodes
          ? {
              masterNodes: props.masterNodes,
              masterNodeInstanceType: props.masterInstanceType ?? 'm6g.large.search',
            }
          : {}),
        multiAzWithStandbyEnabled: false,
      },
      zoneAwareness: zoneAware ? { enabled: true, availabilityZoneCount: azs.length } : { enabled: false },
      ebs: { volumeSize: props.volumeGiB, volumeType: ec2.EbsDeviceVolumeType.GP3 },
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

    this.allowClientsFrom(setupSecurityGroup, 'search setup custom resource');
    this.domain.grantReadWrite(setupFunction);
    if (this.dashboardsAuth) {
      this.acknowledgeDomainPaths(
        this.dashboardsAuth.authenticatedRole,
        'Dashboards users signed in through Cognito: read-only backend role',
      );
    }
    this.acknowledgeDomainPaths(
      this.masterRole,
      'FGAC master (setup custom resource): manages templates, ISM and saved objects',
    );
    const setupResource = new CustomResource(this, 'Setup', {
      serviceToken: setup.serviceToken,
      resourceType: 'Custom::SearchSetup',
      properties: {
        Endpoint: this.endpointUrl,
        IndexPrefix: props.indexPrefix,
        RetentionDays: props.retentionDays,
        WriterRoleArns: Lazy.list({ produce: () => this.writers.map((role) => role.roleArn) }),
        ReaderRoleArns: this.dashboardsAuth ? [this.dashboardsAuth.authenticatedRole.roleArn] : undefined,
        OperatorRoleArns: Lazy.list({ produce: () => [...this.operators] }, { omitEmpty: true }),
        // A replica needs a second node: on one node it would stay unassigned and the cluster yellow.
        Replicas: props.dataNodes === 1 ? 0 : undefined,
        // The saved objects, templates and ISM policy are compiled into the handler bundle: a new bundle hash
        // changes this property, so CloudFormation sends an UPDATE and the handler re-applies them.
        SavedObjectsHash: (setupFunction.node.findChild('Code') as s3assets.Asset).assetHash,
        SetupRun: props.setupRun,
      },
    });
    this.setup = setupResource;
    this.dashboardsImport = setupResource.getAttString('DashboardsImport');
    // The handler connects at once: wait for the domain's ingress rules, not only for the domain.
    setupResource.node.addDependency(this.securityGroup);
  }

  /** Lets `client` reach the domain over HTTPS. */
  allowClientsFrom(client: ec2.ISecurityGroup, description: string): void {
    this.securityGroup.addIngressRule(client, ec2.Port.tcp(443), description);
  }

  /** For roles that call many REST paths (setup APIs, Dashboards searches): FGAC is what scopes them per role. */
  private acknowledgeDomainPaths(role: iam.IRole, who: string): void {
    acknowledgeNag(
      role.node.tryFindChild('DefaultPolicy') ?? role,
      `AwsSolutions-IAM5[Resource::<${logicalIdOf(this.domain)}.Arn>/*]`,
      `${who}; HTTP methods on the domain's paths, further restricted by fine-grained access control`,
    );
  }

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
    acknowledgeNag(
      role.node.tryFindChild('DefaultPolicy') ?? role,
      `AwsSolutions-IAM5[Resource::<${logicalIdOf(this.domain)}.Arn>/${this.indexPrefix}-*]`,
      `Searches on the pipeline's daily indices and category aliases (${this.indexPrefix}-*: their names change every day); fine-grained access control maps this role to read-only on them`,
    );
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
}
