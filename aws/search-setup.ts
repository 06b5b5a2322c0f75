// Applies everything an OpenSearch domain needs before the consumers write to it: index templates (and their
// refresh interval to the existing indices), the ISM retention policy, the consumers' FGAC write-only role, the
// Dashboards users' read-only role, the pipeline's Dashboards tenant, the role mappings (the readers also to the
// built-in Dashboards user and read-only roles), the audit log configuration, and the Dashboards saved objects, in
// the pipeline's tenant and in the global tenant.
// Idempotent (every call converges the domain to the desired state), so the custom resource runs it on Create
// and on Update alike. Requests are built by pure functions (unit-tested); the local OpenSearch has no ISM,
// security or Dashboards plugin, so only the template steps can run against it.
//
// What a deploy needs, and what it does not: the templates, the ISM policy, the roles and their mappings and the
// audit configuration must be applied, or the consumers write unmapped, unmanaged or refused documents, and the
// existing indices' refresh interval is the setting the deploy was asked for, so they fail the resource (and the
// deploy). Every request is retried on throttling (429), 5xx and dropped or timed-out connections, with jittered
// backoff, until the deadline the handler derives from its timeout: a domain that has just become active often
// answers 503 while its security index initialises. The Dashboards saved objects
// are a convenience for people: a failed import is logged, reported in the result (and the resource's
// DashboardsImport attribute and the stack output of that name) and left to a re-run, instead of rolling back a
// 30-40 minute create or an unrelated update.
import type { Client } from '@opensearch-project/opensearch';
import { savedObjectsNdjson } from '../core/dashboards.js';
import { indexPattern } from '../core/documents.js';
import {
  applyIndexTemplates,
  DEFAULT_REFRESH_INTERVAL,
  type IndexTemplateOptions,
  indexTemplates,
  ismRetentionPolicy,
} from '../core/index-templates.js';
import { type DeadlineRetryOptions, retryUntilDeadline } from '../core/retry.js';
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

/** How long the setup keeps retrying, and how fast. */
export interface SetupRetryOptions {
  /** Epoch ms after which no request starts again: the last error fails the step. */
  readonly deadline: number;
  /** @default 1_000 */
  readonly baseDelayMs?: number;
  /** @default 20_000 */
  readonly maxDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Called before each wait (the handler logs it). */
  readonly onRetry?: (request: string, error: unknown, attempt: number, delayMs: number) => void;
}

/** Without options: a few attempts within half a minute (tests, and callers that give no deadline). */
const DEFAULT_RETRY_MS = 30_000;

/** opensearch-js error names of a request that never got an answer. */
const CONNECTION_ERRORS = new Set(['ConnectionError', 'TimeoutError', 'NoLivingConnectionsError']);

/** Throttling, a server error, or no answer at all: worth another attempt. A 4xx other than 429 is not. */
export function isRetriableSearchError(error: unknown): boolean {
  const { name, meta } = (error ?? {}) as { name?: string; meta?: { statusCode?: number } };
  if (name !== undefined && CONNECTION_ERRORS.has(name)) return true;
  const status = meta?.statusCode;
  return status === 429 || (status !== undefined && status >= 500);
}

function retryOptions(retry: SetupRetryOptions | undefined, what: string): DeadlineRetryOptions {
  return {
    isRetriable: isRetriableSearchError,
    deadline: retry?.deadline ?? Date.now() + DEFAULT_RETRY_MS,
    baseDelayMs: retry?.baseDelayMs,
    maxDelayMs: retry?.maxDelayMs,
    sleep: retry?.sleep,
    onRetry: (error, attempt, delayMs) => retry?.onRetry?.(what, error, attempt, delayMs),
  };
}

async function send(
  client: Client,
  request: PlannedRequest,
  ignore: number[] = [],
  retry?: SetupRetryOptions,
) {
  const what = `${request.method} ${request.path}`;
  try {
    return await retryUntilDeadline(
      () =>
        client.transport.request(
          {
            method: request.method,
            path: request.path,
            querystring: request.querystring,
            body: request.body as Record<string, unknown> | string | undefined,
          },
          // Our backoff decides: the client's own retries would resend at once.
          { headers: request.headers, ignore, maxRetries: 0 },
        ),
      retryOptions(retry, what),
    );
  } catch (error) {
    throw new SearchSetupError(`${what} failed: ${(error as Error).message}`, { cause: error });
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

/**
 * An index keeps the refresh interval it was created with: a changed template reaches only the indices created
 * after it (tomorrow's). This gives the prefix's existing daily and undated indices the configured interval now.
 * `<prefix>-events-*` names only the pipeline's own indices, also on a shared domain; on a first deploy it matches
 * none, which the update settings API accepts (allow_no_indices).
 * https://docs.opensearch.org/latest/api-reference/index-apis/update-settings/
 */
export function refreshIntervalRequest(prefix: string, refreshInterval: string): PlannedRequest {
  return {
    method: 'PUT',
    path: `/${encodeURIComponent(indexPattern(prefix))}/_settings`,
    querystring: { allow_no_indices: 'true' },
    body: { index: { refresh_interval: refreshInterval } },
  };
}

export async function putIsmPolicy(
  client: Client,
  prefix: string,
  retentionDays: number,
  retry?: SetupRetryOptions,
): Promise<string> {
  const policy = ismRetentionPolicy(prefix, retentionDays);
  const current = await send(client, { method: 'GET', path: ismPolicyPath(policy.policyId) }, [404], retry);
  const existing = current.statusCode === 404 ? undefined : (current.body as ExistingIsmPolicy);
  await send(client, ismPolicyRequest(policy, existing), [], retry);
  if (existing !== undefined) await send(client, ismChangePolicyRequest(prefix, policy.policyId), [], retry);
  return policy.policyId;
}

export async function putWriterRole(
  client: Client,
  prefix: string,
  backendRoleArns: readonly string[],
  retry?: SetupRetryOptions,
): Promise<void> {
  await send(client, securityResourceRequest(writerRole(prefix)), [], retry);
  await send(client, securityResourceRequest(writerRoleMapping(prefix, backendRoleArns)), [], retry);
}

/**
 * The pipeline's tenant, the read-only Dashboards role and the mappings of the readers to it and to the built-in
 * Dashboards user and read-only Dashboards roles (possibly to nobody: they then converge to no readers). The tenant comes first:
 * the role names it.
 */
export function readerRoleRequests(
  prefix: string,
  backendRoleArns: readonly string[],
  sharedDomain = false,
): PlannedRequest[] {
  return [
    pipelineTenant(prefix),
    readerRole(prefix),
    readerRoleMapping(prefix, backendRoleArns),
    // A PUT replaces a built-in role's whole mapping: on a shared domain it would drop everyone else's.
    ...(sharedDomain
      ? []
      : [dashboardsUserMapping(backendRoleArns), dashboardsReadOnlyMapping(backendRoleArns)]),
  ].map(securityResourceRequest);
}

export async function putReaderRole(
  client: Client,
  prefix: string,
  backendRoleArns: readonly string[],
  retry?: SetupRetryOptions,
  sharedDomain = false,
): Promise<void> {
  for (const request of readerRoleRequests(prefix, backendRoleArns, sharedDomain)) {
    await send(client, request, [], retry);
  }
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
export async function importSavedObjects(
  client: Client,
  ndjson: string,
  tenant = 'global',
  retry?: SetupRetryOptions,
): Promise<number> {
  const response = await send(client, savedObjectsImportRequest(ndjson, tenant), [], retry);
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
  /**
   * The domain is someone else's (lib/existing-search-domain.ts): the setup touches only what the pipeline names
   * after its index prefix. It leaves the domain-wide audit configuration, the mappings of the built-in Dashboards
   * roles and the global tenant alone, each of which a PUT would replace for every user of the domain.
   * @default false
   */
  readonly sharedDomain?: boolean;
  /** @default - a few attempts within 30 s per request */
  readonly retry?: SetupRetryOptions;
}

/** How the Dashboards import went: it never fails the setup (see the header). */
export type DashboardsImportOutcome =
  | { readonly ok: true; readonly tenants: readonly string[] }
  | { readonly ok: false; readonly error: string };

export interface SearchSetupResult {
  readonly templates: number;
  readonly ismPolicyId: string;
  /** Objects imported into each tenant; 0 when the import failed. */
  readonly savedObjects: number;
  readonly dashboardsImport: DashboardsImportOutcome;
}

/** One line for the resource's DashboardsImport attribute: what happened, and on failure how to run it again. */
export function describeDashboardsImport(outcome: DashboardsImportOutcome, savedObjects: number): string {
  return outcome.ok
    ? `imported ${savedObjects} saved objects into tenants ${outcome.tenants.join(', ')}`
    : `FAILED (the pipeline works without it): ${outcome.error}; run the setup again with npx cdk deploy LogPipelineStack -c searchSetupRun=$(date +%s)`;
}

export async function applySearchSetup(
  client: Client,
  options: SearchSetupOptions,
): Promise<SearchSetupResult> {
  const retry = options.retry;
  // Templates first: from here on, an index the consumers auto-create gets the right mappings. Each PUT replaces
  // the template, so the step is retried as a whole.
  try {
    await retryUntilDeadline(
      () => applyIndexTemplates(client, options.indexPrefix, options.templates),
      retryOptions(retry, 'index templates'),
    );
  } catch (error) {
    throw new SearchSetupError(`cannot apply index templates: ${(error as Error).message}`, { cause: error });
  }
  // After the templates: an index created meanwhile has the new interval already, one created before gets it here.
  const refreshInterval = options.templates?.refreshInterval ?? DEFAULT_REFRESH_INTERVAL;
  await send(client, refreshIntervalRequest(options.indexPrefix, refreshInterval), [], retry);
  const ismPolicyId = await putIsmPolicy(client, options.indexPrefix, options.retentionDays, retry);
  await putWriterRole(client, options.indexPrefix, options.writerRoleArns, retry);
  const shared = options.sharedDomain === true;
  await putReaderRole(client, options.indexPrefix, options.readerRoleArns ?? [], retry, shared);
  for (const request of operatorRoleRequests(options.indexPrefix, options.operatorRoleArns ?? [])) {
    await send(client, request, [], retry);
  }
  if (!shared) await send(client, securityResourceRequest(auditConfig()), [], retry);
  const ndjson = savedObjectsNdjson(options.indexPrefix);
  // The readers' tenant, and (on the pipeline's own domain) the global one for everyone else (the master user,
  // other roles).
  const tenants = shared
    ? [pipelineTenantName(options.indexPrefix)]
    : [pipelineTenantName(options.indexPrefix), 'global'];
  let savedObjects = 0;
  let dashboardsImport: DashboardsImportOutcome;
  try {
    for (const tenant of tenants) {
      const imported = await importSavedObjects(client, ndjson, tenant, retry);
      if (tenant === tenants[0]) savedObjects = imported;
    }
    dashboardsImport = { ok: true, tenants };
  } catch (error) {
    savedObjects = 0;
    dashboardsImport = { ok: false, error: (error as Error).message };
  }
  return {
    templates: indexTemplates(options.indexPrefix, options.templates).length,
    ismPolicyId,
    savedObjects,
    dashboardsImport,
  };
}
