// OpenSearch client for an Amazon OpenSearch Service domain: every request SigV4-signed (service 'es') with
// credentials from the default provider chain, refreshed by the signer before they expire.
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { Client } from '@opensearch-project/opensearch';
import { AwsSigv4Signer } from '@opensearch-project/opensearch/aws';

export type CredentialsProvider = ReturnType<typeof defaultProvider>;

export interface OpenSearchClientOptions {
  /** Domain endpoint, with or without scheme (CloudFormation's DomainEndpoint has none). */
  readonly endpoint: string;
  readonly region: string;
  /** @default 30_000 */
  readonly requestTimeoutMs?: number;
  /** @default - the default provider chain (Lambda/ECS/EC2 role, env, profile) */
  readonly credentials?: CredentialsProvider;
}

/** `vpc-xyz.eu-west-1.es.amazonaws.com` -> `https://vpc-xyz.eu-west-1.es.amazonaws.com`. */
export function normaliseEndpoint(endpoint: string): string {
  const trimmed = endpoint.trim().replace(/\/+$/, '');
  return /^https?:\/\//.test(trimmed) ? trimmed : `https://${trimmed}`;
}

export function createOpenSearchClient(options: OpenSearchClientOptions): Client {
  const credentials = options.credentials ?? defaultProvider();
  return new Client({
    ...AwsSigv4Signer({ region: options.region, service: 'es', getCredentials: () => credentials() }),
    node: normaliseEndpoint(options.endpoint),
    requestTimeout: options.requestTimeoutMs ?? 30_000,
  });
}
