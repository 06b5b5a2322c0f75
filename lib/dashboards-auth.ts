// Amazon Cognito sign-in for OpenSearch Dashboards: a user pool that only administrators add people to (no
// self sign-up, strong passwords, TOTP MFA required), its hosted-UI domain, an identity pool without
// unauthenticated identities, the IAM role signed-in users assume (mapped in OpenSearch security to a
// read-only Dashboards role by the search-setup custom resource), and the role OpenSearch Service uses to
// configure the two pools for the domain.
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as opensearch from 'aws-cdk-lib/aws-opensearchservice';
import { Construct } from 'constructs';
import { acknowledgeNag } from './nag.js';

/** AWS-managed policy that lets OpenSearch Service create the app client and wire the identity pool. */
export const COGNITO_ACCESS_POLICY = 'AmazonOpenSearchServiceCognitoAccess';

/**
 * The hosted-UI domain prefix: the stack name (lower-case, only letters, digits and hyphens, without the
 * words Cognito reserves) followed by the account id, so it is deterministic per stack and unique per
 * account within the region, as Cognito requires of a prefix. `account` may be the `AWS::AccountId` token.
 */
export function userPoolDomainPrefix(stackName: string, account: string): string {
  const base =
    stackName
      .toLowerCase()
      .replace(/aws|amazon|cognito/g, '')
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/-+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 36)
      .replace(/-$/, '') || 'log-pipeline';
  return `${base}-dashboards-${account}`;
}

export class DashboardsAuth extends Construct {
  readonly userPool: cognito.UserPool;
  readonly userPoolDomain: cognito.UserPoolDomain;
  readonly identityPool: cognito.CfnIdentityPool;
  /** The role a signed-in Dashboards user assumes: its ARN is the user's FGAC backend role. */
  readonly authenticatedRole: iam.Role;
  /** The role OpenSearch Service assumes to configure the user and identity pools for the domain. */
  readonly serviceRole: iam.Role;
  readonly roleAttachment: cognito.CfnIdentityPoolRoleAttachment;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.userPool = new cognito.UserPool(this, 'UserPool', {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      autoVerify: { email: true },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      passwordPolicy: {
        minLength: 14,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      // Dashboards shows every log the pipeline indexes: a password alone is not enough. TOTP (an
      // authenticator app) costs nothing and needs no SNS set-up, unlike SMS; the hosted UI enrols it at the
      // first sign-in.
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      featurePlan: cognito.FeaturePlan.ESSENTIALS,
      // The pool only holds Dashboards logins, recreated in minutes; the stack is a dev deployment.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    acknowledgeNag(
      this.userPool,
      'AwsSolutions-COG8',
      'Threat protection needs the Plus feature plan, billed per monthly active user with no free tier; this pool only holds a few administrator-created Dashboards logins with TOTP MFA required',
    );

    const stack = Stack.of(this);
    this.userPoolDomain = this.userPool.addDomain('Domain', {
      cognitoDomain: { domainPrefix: userPoolDomainPrefix(stack.stackName, stack.account) },
    });

    this.identityPool = new cognito.CfnIdentityPool(this, 'IdentityPool', {
      // OpenSearch Service adds the user pool app client it creates as the identity pool's provider.
      allowUnauthenticatedIdentities: false,
    });
    this.authenticatedRole = new iam.Role(this, 'AuthenticatedRole', {
      description: 'OpenSearch Dashboards users signed in through Cognito (read-only FGAC backend role)',
      assumedBy: new iam.FederatedPrincipal(
        'cognito-identity.amazonaws.com',
        {
          StringEquals: { 'cognito-identity.amazonaws.com:aud': this.identityPool.ref },
          'ForAnyValue:StringLike': { 'cognito-identity.amazonaws.com:amr': 'authenticated' },
        },
        'sts:AssumeRoleWithWebIdentity',
      ),
    });
    this.roleAttachment = new cognito.CfnIdentityPoolRoleAttachment(this, 'RoleAttachment', {
      identityPoolId: this.identityPool.ref,
      roles: { authenticated: this.authenticatedRole.roleArn },
    });

    this.serviceRole = new iam.Role(this, 'OpenSearchCognitoRole', {
      description: 'Lets OpenSearch Service configure the Dashboards user pool and identity pool',
      assumedBy: new iam.ServicePrincipal('opensearchservice.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName(COGNITO_ACCESS_POLICY)],
    });
    acknowledgeNag(
      this.serviceRole,
      `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${COGNITO_ACCESS_POLICY}]`,
      'The AWS-maintained policy OpenSearch Service requires to create the Dashboards app client and identity provider; only the service can assume this role',
    );
  }

  /** What `opensearch.Domain` takes as `cognitoDashboardsAuth`. */
  get domainOptions(): opensearch.CognitoOptions {
    return {
      userPoolId: this.userPool.userPoolId,
      identityPoolId: this.identityPool.ref,
      role: this.serviceRole,
    };
  }
}
