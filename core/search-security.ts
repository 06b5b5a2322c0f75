// OpenSearch fine-grained access control definitions: a write-only role on the pipeline's indices for the
// consumers; for the people who sign in through Cognito, a read-only role on the indices and on the
// pipeline's own Dashboards tenant (where the dashboards are imported), plus the built-in Dashboards read-only
// role; each mapped to IAM role ARNs as backend roles. Pure data: the search-setup custom resource sends it
// through the security plugin's REST API.

export interface SecurityResource {
  /** Path under the domain endpoint, e.g. `_plugins/_security/api/roles/logs_writer`. */
  readonly path: string;
  readonly body: Record<string, unknown>;
}

export function writerRoleName(prefix: string): string {
  return `${prefix}_writer`;
}

/**
 * Least privilege for a bulk indexer: create the daily indices (the index templates supply mappings and
 * aliases), write documents, and nothing else: no reads, no deletes of indices, no cluster administration.
 * `indices:data/write/bulk` is the only cluster-level action a `_bulk` request needs.
 */
export function writerRole(prefix: string): SecurityResource {
  return {
    path: `_plugins/_security/api/roles/${encodeURIComponent(writerRoleName(prefix))}`,
    body: {
      description: `log-pipeline consumers: write-only access to ${prefix}-* indices`,
      cluster_permissions: ['indices:data/write/bulk'],
      index_permissions: [
        {
          index_patterns: [`${prefix}-*`],
          allowed_actions: [
            'create_index',
            'indices:data/write/bulk*',
            'indices:data/write/index',
            'indices:admin/mapping/put',
          ],
        },
      ],
      tenant_permissions: [],
    },
  };
}

/** Maps the writer role to IAM role ARNs: FGAC sees a SigV4 caller's role ARN as its backend role. */
export function writerRoleMapping(prefix: string, backendRoleArns: readonly string[]): SecurityResource {
  if (backendRoleArns.length === 0)
    throw new RangeError('writerRoleMapping needs at least one backend role ARN');
  return roleMapping(writerRoleName(prefix), 'IAM roles of the log-pipeline consumers', backendRoleArns);
}

export function readerRoleName(prefix: string): string {
  return `${prefix}_dashboards_reader`;
}

/** Dashboards' own indices (saved objects per tenant), under their legacy and current names. */
const DASHBOARDS_INDICES = ['.kibana', '.kibana_*', '.opensearch_dashboards', '.opensearch_dashboards_*'];

/** The Dashboards tenant that holds the pipeline's saved objects: read-only for its readers. */
export function pipelineTenantName(prefix: string): string {
  return prefix;
}

/**
 * The pipeline's tenant. A tenant its readers may only read is OpenSearch Dashboards' recommended way of
 * read-only access; without one, a first sign-in lands in the private tenant, which holds no dashboards.
 */
export function pipelineTenant(prefix: string): SecurityResource {
  return {
    path: `_plugins/_security/api/tenants/${encodeURIComponent(pipelineTenantName(prefix))}`,
    body: { description: `log-pipeline dashboards (${prefix}-* indices), read-only for their readers` },
  };
}

/**
 * Least privilege for a person in Dashboards: search and read the pipeline's indices (field capabilities and
 * mappings included, which index patterns need), read the saved objects, and read (not write) the pipeline's
 * tenant and the global tenant, where the setup imports the dashboards. No writes to any index, no index or
 * cluster administration.
 */
export function readerRole(prefix: string): SecurityResource {
  return {
    path: `_plugins/_security/api/roles/${encodeURIComponent(readerRoleName(prefix))}`,
    body: {
      description: `log-pipeline Dashboards users: read-only access to ${prefix}-* indices`,
      cluster_permissions: ['cluster_composite_ops_ro'],
      index_permissions: [
        {
          index_patterns: [`${prefix}-*`],
          allowed_actions: ['read', 'indices:admin/mappings/get', 'indices:admin/resolve/index'],
        },
        { index_patterns: DASHBOARDS_INDICES, allowed_actions: ['read'] },
      ],
      tenant_permissions: [
        {
          tenant_patterns: [pipelineTenantName(prefix), 'global_tenant'],
          allowed_actions: ['kibana_all_read'],
        },
      ],
    },
  };
}

export function operatorRoleName(prefix: string): string {
  return `${prefix}_operator_reader`;
}

/**
 * Least privilege for the people who operate the deployment (config `operatorRoleArns`) and for the ops function
 * that answers their commands: search, count and read the pipeline's indices and aliases (with the mappings and
 * alias resolution a search across daily indices needs), nothing else: no writes or deletes, no index or cluster
 * administration, no security settings, no Dashboards tenant. The ops function's writes for the re-drive come
 * from its separate mapping to the writer role.
 */
export function operatorRole(prefix: string): SecurityResource {
  return {
    path: `_plugins/_security/api/roles/${encodeURIComponent(operatorRoleName(prefix))}`,
    body: {
      description: `log-pipeline operators: read-only access to ${prefix}-* indices`,
      cluster_permissions: ['cluster_composite_ops_ro'],
      index_permissions: [
        {
          index_patterns: [`${prefix}-*`],
          allowed_actions: ['read', 'indices:admin/mappings/get', 'indices:admin/resolve/index'],
        },
      ],
      tenant_permissions: [],
    },
  };
}

/** Maps the operator read role to the operators' IAM roles and the ops function's (possibly none). */
export function operatorRoleMapping(prefix: string, backendRoleArns: readonly string[]): SecurityResource {
  return roleMapping(
    operatorRoleName(prefix),
    'IAM roles of the log-pipeline operators and of the ops function',
    backendRoleArns,
  );
}

/**
 * The security plugin's built-in role that puts Dashboards in read-only mode for its members (only Dashboards
 * and Visualize, no editing controls). It grants nothing by itself: the reader role above does.
 */
export const DASHBOARDS_READ_ONLY_ROLE = 'opensearch_dashboards_read_only';

/** Maps the built-in read-only Dashboards role to the Dashboards users' IAM roles (possibly none). */
export function dashboardsReadOnlyMapping(backendRoleArns: readonly string[]): SecurityResource {
  return roleMapping(
    DASHBOARDS_READ_ONLY_ROLE,
    'IAM roles of the log-pipeline Dashboards users (read-only Dashboards)',
    backendRoleArns,
  );
}

/**
 * The security plugin's built-in role that lets its members use OpenSearch Dashboards at all (its own index,
 * tenants): the fine-grained access control documentation says every Dashboards user needs it, besides the
 * roles that grant the data.
 */
export const DASHBOARDS_USER_ROLE = 'opensearch_dashboards_user';

/** Maps the built-in Dashboards user role to the Dashboards users' IAM roles (possibly none). */
export function dashboardsUserMapping(backendRoleArns: readonly string[]): SecurityResource {
  return roleMapping(
    DASHBOARDS_USER_ROLE,
    'IAM roles of the log-pipeline Dashboards users (use of Dashboards)',
    backendRoleArns,
  );
}

/**
 * Maps the reader role to the IAM roles Dashboards users assume (with Cognito sign-in, the identity pool's
 * authenticated role). An empty list is valid: it converges the mapping to nobody when sign-in is turned off.
 */
export function readerRoleMapping(prefix: string, backendRoleArns: readonly string[]): SecurityResource {
  return roleMapping(
    readerRoleName(prefix),
    'IAM roles of the log-pipeline Dashboards users',
    backendRoleArns,
  );
}

function roleMapping(
  roleName: string,
  description: string,
  backendRoleArns: readonly string[],
): SecurityResource {
  for (const arn of backendRoleArns) {
    if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/.+/.test(arn)) {
      throw new RangeError(`backend role must be an IAM role ARN, got '${arn}'`);
    }
  }
  return {
    path: `_plugins/_security/api/rolesmapping/${encodeURIComponent(roleName)}`,
    body: {
      description,
      backend_roles: [...new Set(backendRoleArns)].sort(),
      hosts: [],
      users: [],
    },
  };
}

/**
 * The security plugin's audit configuration. Publishing audit logs to CloudWatch (the domain's log option) records
 * nothing until this is set (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/audit-logs.html,
 * "Enabling audit logging using the configuration API"). Logged: failed logins, missing privileges, bad headers,
 * TLS errors and attempts on the security index on both layers, and every change to the security configuration
 * (compliance, internal config). Not logged: the requests that succeed (AUTHENTICATED, GRANTED_PRIVILEGES), which
 * would be one line per consumer `_bulk` and searching, nor request bodies (events are users' data).
 */
export function auditConfig(): SecurityResource {
  const quiet = ['AUTHENTICATED', 'GRANTED_PRIVILEGES'];
  return {
    path: '_plugins/_security/api/audit/config',
    body: {
      enabled: true,
      audit: {
        enable_rest: true,
        disabled_rest_categories: quiet,
        enable_transport: true,
        disabled_transport_categories: quiet,
        resolve_bulk_requests: false,
        log_request_body: false,
        resolve_indices: true,
        exclude_sensitive_headers: true,
        ignore_users: [],
        ignore_requests: [],
      },
      compliance: {
        enabled: true,
        internal_config: true,
        external_config: false,
        read_metadata_only: true,
        read_watched_fields: {},
        read_ignore_users: [],
        write_metadata_only: true,
        write_log_diffs: false,
        write_watched_indices: [],
        write_ignore_users: [],
      },
    },
  };
}
