// OpenSearch fine-grained access control definitions for the consumers: a write-only role on the pipeline's
// indices, mapped to the consumers' IAM role ARNs as backend roles. Pure data: the search-setup custom
// resource sends it through the security plugin's REST API.

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
  for (const arn of backendRoleArns) {
    if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/.+/.test(arn)) {
      throw new RangeError(`backend role must be an IAM role ARN, got '${arn}'`);
    }
  }
  return {
    path: `_plugins/_security/api/rolesmapping/${encodeURIComponent(writerRoleName(prefix))}`,
    body: {
      description: 'IAM roles of the log-pipeline consumers',
      backend_roles: [...new Set(backendRoleArns)].sort(),
      hosts: [],
      users: [],
    },
  };
}
