// Applies everything an OpenSearch domain needs before the consumers write to it: index templates, the ISM
// retention policy, the consumers' FGAC write-only role, the Dashboards users' read-only role, the pipeline's
// Dashboards tenant, the role mappings (the readers also to the built-in Dashboards user and read-only roles), the
// audit log configuration, and the Dashboards saved objects, in the pipeline's tenant and in the global tenant.
// Idempotent (every call converges the domain to the desired state), so the custom resource runs it on Create
// and on Update alike. Requests are built by pure functions (unit-tested); the local OpenSearch has no ISM,
// security or Dashboards plugin, so only the template step can run against it.
import type { Client } from '@opensearch-project/opensearch';
import { savedObjectsNdjson } from '../core/dashboards.js';
import {
  applyIndexTemplates,
  type IndexTemplateOptions,
  indexTemplates,
  ismRetentionPolicy,
} from '../core/index-templates.js';
import {
  auditConfig,
  dashboardsReadOnlyMapping,
  dashboardsUserMapping,
  operatorRole,
  operatorRoleMapping,
  pipelineTenant,
  pipelineTenantName,
  readerRole,
  readerRoleMapping,
  type SecurityResource,
  writerRole,
  writerRoleMapping,
} from '../core/search-security.js';

export class SearchSetupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SearchSetupError';
  }
}

export interface PlannedRequest {
  readonly method: 'GET' | 'PUT' | 'POST';
  readonly path: string;
  readonly querystring?: Record<string, string>;
  readonly headers?: Record<string, string>;
  readonly body?: string | Record<string, unknown> | object;
}

/** What GET _plugins/_ism/policies/<id> returns for an existing policy (the fields we need). */
export interface ExistingIsmPolicy {
  readonly _seq_no: number;
  readonly _primary_term: number;
}

export function ismPolicyPath(policyId: string): string {
  return `/_plugins/_ism/policies/${encodeURIComponent(policyId)}`;
}

/**
 * ISM refuses a plain PUT over an existing policy: an update must name the sequence number and primary term
 * it replaces (optimistic concurrency), so the caller reads the policy first.
 */
export function ismPolicyRequest(
  policy: { policyId: string; body: object },
  existing?: ExistingIsmPolicy,
): PlannedRequest {
  return {
    method: 'PUT',
    path: ismPolicyPath(policy.policyId),
    querystring:
      existing === undefined
        ? undefined
        : { if_seq_no: String(existing._seq_no), if_primary_term: String(existing._primary_term) },
    body: policy.body,
  };
}

export function securityResourceRequest(resource: SecurityResource): PlannedRequest {
  return { method: 'PUT', path: `/${resource.path}`, body: resource.body };
}

export const DASHBOARDS_IMPORT_PATH = '/_dashboards/api/saved_objects/_import';

/**
 * Dashboards' import API takes a multipart upload of an NDJSON file. `osd-xsrf` is its CSRF guard for non-browser
 * clients; `securitytenant` names the tenant the objects go to (`global`: the one every user sees).
 */
export function savedObjectsImportRequest(
  ndjson: string,
  tenant = 'global',
  boundary = 'log-pipeline-saved-objects',
): PlannedRequest {
  const body = [
    `--${boundary}`,
    'Content-Disposition: form-data; name="file"; filename="saved-objects.ndjson"',
    'Content-Type: application/ndjson',
    '',
    ndjson,
    `--${boundary}--`,
    '',
  ].join('\r\n');
  return {
    method: 'POST',
    path: DASHBOARDS_IMPORT_PATH,
    querystring: { overwrite: 'true' },
    headers: {
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'osd-xsrf': 'true',
      securitytenant: tenant,
    },
    body,
  };
}

async function send(client: Client, request: PlannedRequest, ignore: number[] = []) {
  try {
    return await client.transport.request(
      {
        method: request.method,
        path: request.path,
        querystring: request.querystring,
        body: request.body as Record<string, unknown> | string | undefined,
      },
      { headers: request.headers, ignore },
    );
  } catch (error) {
    throw new SearchSetupError(`${request.method} ${request.path} failed: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/**
 * An index managed by ISM keeps the policy version it started with: an updated policy (a new retention) reaches
 * the existing indices only through change_policy. Only indices still in `hot` change: one in `delete` is going.
 * https://opensearch.org/docs/latest/im-plugin/ism/api/#update-managed-index-policy
 */
export function ismChangePolicyRequest(prefix: string, policyId: string): PlannedRequest {
  return {
    method: 'POST',
    path: `/_plugins/_ism/change_policy/${encodeURIComponent(`${prefix}-*`)}`,
    body: { policy_id: policyId, include: [{ state: 'hot' }] },
  };
}

export async function putIsmPolicy(client: Client, prefix: string, retentionDays: number): Promise<string> {
  const policy = ismRetentionPolicy(prefix, retentionDays);
  const current = await send(client, { method: 'GET', path: ismPolicyPath(policy.policyId) }, [404]);
  const existing = current.statusCode === 404 ? undefined : (current.body as ExistingIsmPolicy);
  await send(client, ismPolicyRequest(policy, existing));
  if (existing !== undefined) await send(client, ismChangePolicyRequest(prefix, policy.policyId));
  return policy.policyId;
}

export async function putWriterRole(
  client: Client,
  prefix: string,
  backendRoleArns: readonly string[],
): Promise<void> {
  await send(client, securityResourceRequest(writerRole(prefix)));
  await send(client, securityResourceRequest(writerRoleMapping(prefix, backendRoleArns)));
}

/**
 * The pipeline's tenant, the read-only Dashboards role and the mappings of the readers to it and to the built-in
 * Dashboards user and read-only Dashboards roles (possibly to nobody: they then converge to no readers). The tenant comes first:
 * the role names it.
 */
export function readerRoleRequests(prefix: string, backendRoleArns: readonly string[]): PlannedRequest[] {
  return [
    pipelineTenant(prefix),
    readerRole(prefix),
    readerRoleMapping(prefix, backendRoleArns),
    dashboardsUserMapping(backendRoleArns),
    dashboardsReadOnlyMapping(backendRoleArns),
  ].map(securityResourceRequest);
}

export async function putReaderRole(
  client: Client,
  prefix: string,
  backendRoleArns: readonly string[],
): Promise<void> {
  for (const request of readerRoleRequests(prefix, backendRoleArns)) await send(client, request);
}

/** The operators' read-only role and its mapping (to nobody when there are none: it then converges to that). */
export function operatorRoleRequests(prefix: string, backendRoleArns: readonly string[]): PlannedRequest[] {
  return [operatorRole(prefix), operatorRoleMapping(prefix, backendRoleArns)].map(securityResourceRequest);
}

interface ImportResponse {
  success?: boolean;
  successCount?: number;
  errors?: { id: string; type: string; error?: { type?: string } }[];
}

/** Imports (overwriting) the saved objects; fails when Dashboards reports any object as not imported. */
export async function importSavedObjects(client: Client, ndjson: string, tenant = 'global'): Promise<number> {
  const response = await send(client, savedObjectsImportRequest(ndjson, tenant));
  const body = response.body as ImportResponse;
  if (body.success !== true) {
    const errors = (body.errors ?? [])
      .map((e) => `${e.type}/${e.id}: ${e.error?.type ?? 'unknown'}`)
      .join(', ');
    throw new SearchSetupError(`saved objects import failed: ${errors || JSON.stringify(body)}`);
  }
  return body.successCount ?? 0;
}

export interface SearchSetupOptions {
  readonly indexPrefix: string;
  readonly retentionDays: number;
  readonly writerRoleArns: readonly string[];
  /** IAM roles of the people who sign in to Dashboards (the Cognito authenticated role); may be empty. */
  readonly readerRoleArns?: readonly string[];
  /** IAM roles of the operators and of the ops function: read-only on the indices; may be empty. */
  readonly operatorRoleArns?: readonly string[];
  readonly templates?: IndexTemplateOptions;
}

export interface SearchSetupResult {
  readonly templates: number;
  readonly ismPolicyId: string;
  readonly savedObjects: number;
}

export async function applySearchSetup(
  client: Client,
  options: SearchSetupOptions,
): Promise<SearchSetupResult> {
  // Templates first: from here on, an index the consumers auto-create gets the right mappings.
  try {
    await applyIndexTemplates(client, options.indexPrefix, options.templates);
  } catch (error) {
    throw new SearchSetupError(`cannot apply index templates: ${(error as Error).message}`, { cause: error });
  }
  const ismPolicyId = await putIsmPolicy(client, options.indexPrefix, options.retentionDays);
  await putWriterRole(client, options.indexPrefix, options.writerRoleArns);
  await putReaderRole(client, options.indexPrefix, options.readerRoleArns ?? []);
  for (const request of operatorRoleRequests(options.indexPrefix, options.operatorRoleArns ?? [])) {
    await send(client, request);
  }
  await send(client, securityResourceRequest(auditConfig()));
  const ndjson = savedObjectsNdjson(options.indexPrefix);
  // The readers' tenant, and the global one for everyone else (the master user, other roles).
  const savedObjects = await importSavedObjects(client, ndjson, pipelineTenantName(options.indexPrefix));
  await importSavedObjects(client, ndjson, 'global');
  return {
    templates: indexTemplates(options.indexPrefix, options.templates).length,
    ismPolicyId,
    savedObjects,
  };
}
