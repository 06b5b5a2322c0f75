import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@opensearch-project/opensearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenSearchClient } from '../../aws/opensearch-client.js';
import {
  applySearchSetup,
  describeDashboardsImport,
  importSavedObjects,
  ismPolicyRequest,
  isRetriableSearchError,
  operatorRoleRequests,
  readerRoleRequests,
  SearchSetupError,
  savedObjectsImportRequest,
} from '../../aws/search-setup.js';
import { savedObjects, savedObjectsNdjson } from '../../core/dashboards.js';
import { ismRetentionPolicy } from '../../core/index-templates.js';
import {
  operatorRole,
  operatorRoleMapping,
  readerRole,
  readerRoleMapping,
  writerRole,
  writerRoleMapping,
} from '../../core/search-security.js';
import { parseSearchSetupProps } from '../../lambdas/search-setup-provider.js';

const roleArn = 'arn:aws:iam::123456789012:role/LogPipelineStack-ConsumerRole-ABC';
const readerArn = 'arn:aws:iam::123456789012:role/LogPipelineStack-DashboardsAuthAuthenticatedRole-XYZ';
const operatorArn = 'arn:aws:iam::123456789012:role/ops';

describe('search setup requests', () => {
  it('creates the ISM policy with a plain PUT', () => {
    const request = ismPolicyRequest(ismRetentionPolicy('logs', 14));

    expect(request).toMatchObject({ method: 'PUT', path: '/_plugins/_ism/policies/logs-retention' });
    expect(request.querystring).toBeUndefined();
  });

  it('updates an existing ISM policy naming the sequence number and primary term it replaces', () => {
    const request = ismPolicyRequest(ismRetentionPolicy('logs', 14), { _seq_no: 7, _primary_term: 2 });

    expect(request.querystring).toEqual({ if_seq_no: '7', if_primary_term: '2' });
  });

  it('posts the NDJSON as a multipart file with the Dashboards CSRF header, overwriting, into the tenant given', () => {
    const request = savedObjectsImportRequest('{"id":"a"}\n', 'logs', 'B');

    expect(request).toMatchObject({
      method: 'POST',
      path: '/_dashboards/api/saved_objects/_import',
      querystring: { overwrite: 'true' },
      headers: {
        'content-type': 'multipart/form-data; boundary=B',
        'osd-xsrf': 'true',
        securitytenant: 'logs',
      },
    });
    expect(savedObjectsImportRequest('{}').headers?.securitytenant).toBe('global');
    expect(request.body).toBe(
      '--B\r\nContent-Disposition: form-data; name="file"; filename="saved-objects.ndjson"\r\n' +
        'Content-Type: application/ndjson\r\n\r\n{"id":"a"}\n\r\n--B--\r\n',
    );
  });
});

describe('writer role', () => {
  it('grants only index creation and writes on the prefix, and the bulk action at cluster level', () => {
    const role = writerRole('logs');

    expect(role.path).toBe('_plugins/_security/api/roles/logs_writer');
    expect(role.body.cluster_permissions).toEqual(['indices:data/write/bulk']);
    const [permission] = role.body.index_permissions as {
      index_patterns: string[];
      allowed_actions: string[];
    }[];
    expect(permission.index_patterns).toEqual(['logs-*']);
    for (const action of permission.allowed_actions) {
      expect(action).not.toMatch(
        /^(\*|all_access|crud|read|indices_all|indices:data\/read.*|indices:admin\/delete)$/,
      );
    }
  });

  it('maps the role to the consumers IAM roles as backend roles', () => {
    const mapping = writerRoleMapping('logs', [roleArn, roleArn]);

    expect(mapping.path).toBe('_plugins/_security/api/rolesmapping/logs_writer');
    expect(mapping.body.backend_roles).toEqual([roleArn]);
  });

  it('refuses a backend role that is not an IAM role ARN', () => {
    expect(() => writerRoleMapping('logs', ['arn:aws:iam::123456789012:user/alice'])).toThrow(/IAM role ARN/);
  });
});

describe('Dashboards reader role', () => {
  const writeOrAdmin =
    /^(\*|all_access|crud|write|index|delete|manage|create_index|indices_all|kibana_all_write|indices:data\/write.*|indices:admin\/(create|delete|mapping\/put).*|cluster_all|cluster_composite_ops|cluster:admin.*)$/;

  it('grants reads on the prefix and Dashboards objects, read-only in the pipeline and global tenants, nothing else', () => {
    const role = readerRole('logs');

    expect(role.path).toBe('_plugins/_security/api/roles/logs_dashboards_reader');
    expect(role.body.cluster_permissions).toEqual(['cluster_composite_ops_ro']);
    const permissions = role.body.index_permissions as {
      index_patterns: string[];
      allowed_actions: string[];
    }[];
    expect(permissions[0]?.index_patterns).toEqual(['logs-*']);
    expect(permissions[0]?.allowed_actions).toContain('read');
    expect(permissions.flatMap((p) => p.index_patterns)).not.toContain('*');
    for (const action of permissions.flatMap((p) => p.allowed_actions)) {
      expect(action).not.toMatch(writeOrAdmin);
    }
    expect(role.body.tenant_permissions).toEqual([
      { tenant_patterns: ['logs', 'global_tenant'], allowed_actions: ['kibana_all_read'] },
    ]);
  });

  it('maps the role to the Cognito authenticated role as a backend role', () => {
    const mapping = readerRoleMapping('logs', [readerArn, readerArn]);

    expect(mapping.path).toBe('_plugins/_security/api/rolesmapping/logs_dashboards_reader');
    expect(mapping.body.backend_roles).toEqual([readerArn]);
    expect(mapping.body.users).toEqual([]);
  });

  it('converges to no readers when sign-in is off, and refuses anything but an IAM role ARN', () => {
    expect(readerRoleMapping('logs', []).body.backend_roles).toEqual([]);
    expect(() => readerRoleMapping('logs', ['arn:aws:iam::123456789012:user/bob'])).toThrow(/IAM role ARN/);
  });

  it('plans the tenant, then the role, then the mappings to it and to the read-only Dashboards role, all as PUTs', () => {
    const requests = readerRoleRequests('logs', [readerArn]);
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'PUT /_plugins/_security/api/tenants/logs',
      'PUT /_plugins/_security/api/roles/logs_dashboards_reader',
      'PUT /_plugins/_security/api/rolesmapping/logs_dashboards_reader',
      'PUT /_plugins/_security/api/rolesmapping/opensearch_dashboards_user',
      'PUT /_plugins/_security/api/rolesmapping/opensearch_dashboards_read_only',
    ]);
    // Every Dashboards user needs opensearch_dashboards_user (FGAC documentation), besides the data role.
    expect(requests[3]?.body).toMatchObject({ backend_roles: [readerArn] });
    expect(requests[4]?.body).toMatchObject({ backend_roles: [readerArn] });
  });
});

describe('operator read role', () => {
  const writeOrAdmin =
    /^(\*|all_access|crud|write|index|delete|manage|create_index|indices_all|kibana_all_write|kibana_all_read|indices:data\/write.*|indices:admin\/(create|delete|mapping\/put).*|cluster_all|cluster_composite_ops|cluster:admin.*|security.*|restapi:admin.*)$/;

  it('grants search and reads on the pipeline indices only: no writes, no administration, no tenant, no security settings', () => {
    const role = operatorRole('logs');

    expect(role.path).toBe('_plugins/_security/api/roles/logs_operator_reader');
    expect(role.body.cluster_permissions).toEqual(['cluster_composite_ops_ro']);
    expect(role.body.index_permissions).toEqual([
      {
        index_patterns: ['logs-*'],
        allowed_actions: ['read', 'indices:admin/mappings/get', 'indices:admin/resolve/index'],
      },
    ]);
    for (const action of (role.body.index_permissions as { allowed_actions: string[] }[]).flatMap(
      (p) => p.allowed_actions,
    )) {
      expect(action).not.toMatch(writeOrAdmin);
    }
    expect(role.body.tenant_permissions).toEqual([]);
  });

  it('maps the operators and the ops function, each once, and converges to nobody when there are none', () => {
    const requests = operatorRoleRequests('logs', [operatorArn, roleArn, operatorArn]);
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'PUT /_plugins/_security/api/roles/logs_operator_reader',
      'PUT /_plugins/_security/api/rolesmapping/logs_operator_reader',
    ]);
    expect(requests[1]?.body).toMatchObject({ backend_roles: [operatorArn, roleArn].sort(), users: [] });
    expect(operatorRoleMapping('logs', []).body.backend_roles).toEqual([]);
    expect(() => operatorRoleMapping('logs', ['arn:aws:sts::123456789012:assumed-role/ops/me'])).toThrow(
      /IAM role ARN/,
    );
  });
});

describe('parseSearchSetupProps', () => {
  it('reads the custom resource properties, numbers as strings included', () => {
    expect(
      parseSearchSetupProps({
        Endpoint: 'vpc-x.eu-west-1.es.amazonaws.com',
        IndexPrefix: 'logs',
        RetentionDays: '30',
        WriterRoleArns: [roleArn],
        ReaderRoleArns: [readerArn],
        OperatorRoleArns: [operatorArn],
        SavedObjectsHash: 'abc',
        Replicas: '2',
        RefreshInterval: '1s',
      }),
    ).toEqual({
      endpoint: 'vpc-x.eu-west-1.es.amazonaws.com',
      indexPrefix: 'logs',
      retentionDays: 30,
      writerRoleArns: [roleArn],
      readerRoleArns: [readerArn],
      operatorRoleArns: [operatorArn],
      sharedDomain: false,
      templates: { shards: 1, replicas: 2, refreshInterval: '1s' },
    });
  });

  it('refuses a RefreshInterval OpenSearch would not take or that never refreshes, naming the property', () => {
    const props = { Endpoint: 'vpc-x', IndexPrefix: 'logs', RetentionDays: 14, WriterRoleArns: [roleArn] };
    for (const value of ['1.5s', '-1', '5', 'soon', '']) {
      expect(() => parseSearchSetupProps({ ...props, RefreshInterval: value })).toThrow(
        /property RefreshInterval/,
      );
    }
    expect(() => parseSearchSetupProps({ ...props, RefreshInterval: '1.5s' })).toThrow(
      'property RefreshInterval must be a whole number of ms, s or m, such as 500ms or 5s, got "1.5s"',
    );
  });

  it("reads SharedDomain 'true' (a domain the pipeline did not create) as a shared domain", () => {
    const props = { Endpoint: 'vpc-x', IndexPrefix: 'logs', RetentionDays: 14, WriterRoleArns: [roleArn] };
    expect(parseSearchSetupProps({ ...props, SharedDomain: 'true' }).sharedDomain).toBe(true);
    expect(parseSearchSetupProps({ ...props, SharedDomain: 'false' }).sharedDomain).toBe(false);
  });

  it('reads an absent ReaderRoleArns (no Dashboards sign-in) as no readers', () => {
    const props = parseSearchSetupProps({
      Endpoint: 'vpc-x.eu-west-1.es.amazonaws.com',
      IndexPrefix: 'logs',
      RetentionDays: 14,
      WriterRoleArns: [roleArn],
    });

    expect(props.readerRoleArns).toEqual([]);
    // A stack deployed before the ops function: no operators.
    expect(props.operatorRoleArns).toEqual([]);
    // A stack deployed before the refresh interval was a setting: the interval its indices were created with.
    expect(props.templates?.refreshInterval).toBe('5s');
  });
});

/** A stand-in for an Amazon OpenSearch domain's plugin APIs, which the local plain node does not have. */
function fakeDomain() {
  const requests: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];
  let ismPolicy: { seqNo: number } | undefined;
  let importSucceeds = true;
  /** Scripted faults: the next requests whose path starts with the key get these answers, in order. */
  const faults = new Map<string, Array<number | 'reset'>>();
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const reply = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(payload));
      };
      const path = (req.url ?? '').split('?')[0] ?? '';
      for (const [prefix, answers] of faults) {
        if (!path.startsWith(prefix) || answers.length === 0) continue;
        const fault = answers.shift();
        // A connection the domain drops without answering, as an ENI being replaced does.
        if (fault === 'reset') return req.socket.destroy();
        return reply(fault as number, { error: { type: `fault_${fault}` }, status: fault });
      }
      if (path.startsWith('/_plugins/_ism/policies/') && req.method === 'GET') {
        if (ismPolicy === undefined) return reply(404, { error: { type: 'status_exception' }, status: 404 });
        return reply(200, { _id: 'logs-retention', _seq_no: ismPolicy.seqNo, _primary_term: 1, policy: {} });
      }
      if (path.startsWith('/_plugins/_ism/policies/') && req.method === 'PUT') {
        ismPolicy = { seqNo: (ismPolicy?.seqNo ?? -1) + 1 };
        return reply(201, { _id: 'logs-retention', _seq_no: ismPolicy.seqNo });
      }
      if (path === '/_dashboards/api/saved_objects/_import') {
        return importSucceeds
          ? reply(200, { success: true, successCount: savedObjects('logs').length })
          : reply(200, {
              success: false,
              errors: [{ id: 'x', type: 'visualization', error: { type: 'missing_references' } }],
            });
      }
      return reply(200, { acknowledged: true });
    });
  });
  return {
    requests,
    server,
    acceptImports: () => {
      importSucceeds = true;
    },
    failImports: () => {
      importSucceeds = false;
    },
    /** Answers the next requests under `pathPrefix` with these statuses (or dropped connections). */
    fail: (pathPrefix: string, ...answers: Array<number | 'reset'>) => {
      faults.set(pathPrefix, answers);
    },
    /** Answers every request under `pathPrefix` with `status`. */
    failAlways: (pathPrefix: string, status: number) => {
      faults.set(
        pathPrefix,
        Array.from({ length: 10_000 }, () => status),
      );
    },
    clearFaults: () => faults.clear(),
  };
}

/** Fast retries for the tests: the same logic, millisecond waits. */
const quickRetry = (budgetMs = 5_000) => ({ deadline: Date.now() + budgetMs, baseDelayMs: 1, maxDelayMs: 5 });

describe('applySearchSetup against a fake domain', () => {
  const domain = fakeDomain();
  let client: Client;

  beforeAll(async () => {
    await new Promise<void>((resolve) => domain.server.listen(0, '127.0.0.1', resolve));
    const { port } = domain.server.address() as AddressInfo;
    client = new Client({ node: `http://127.0.0.1:${port}` });
  });

  afterAll(async () => {
    await client.close();
    await new Promise((resolve) => domain.server.close(resolve));
  });

  const options = {
    indexPrefix: 'logs',
    retentionDays: 14,
    writerRoleArns: [roleArn],
    readerRoleArns: [readerArn],
    operatorRoleArns: [operatorArn],
  };

  it('applies templates, ISM, the roles and their mappings, then imports the saved objects', async () => {
    const result = await applySearchSetup(client, options);

    expect(result).toEqual({
      templates: 1,
      ismPolicyId: 'logs-retention',
      savedObjects: savedObjects('logs').length,
      dashboardsImport: { ok: true, tenants: ['logs', 'global'] },
    });
    expect(domain.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'POST /_index_template/logs-events',
      'PUT /logs-events-*/_settings?allow_no_indices=true',
      'GET /_plugins/_ism/policies/logs-retention',
      'PUT /_plugins/_ism/policies/logs-retention',
      'PUT /_plugins/_security/api/roles/logs_writer',
      'PUT /_plugins/_security/api/rolesmapping/logs_writer',
      'PUT /_plugins/_security/api/tenants/logs',
      'PUT /_plugins/_security/api/roles/logs_dashboards_reader',
      'PUT /_plugins/_security/api/rolesmapping/logs_dashboards_reader',
      'PUT /_plugins/_security/api/rolesmapping/opensearch_dashboards_user',
      'PUT /_plugins/_security/api/rolesmapping/opensearch_dashboards_read_only',
      'PUT /_plugins/_security/api/roles/logs_operator_reader',
      'PUT /_plugins/_security/api/rolesmapping/logs_operator_reader',
      'PUT /_plugins/_security/api/audit/config',
      'POST /_dashboards/api/saved_objects/_import?overwrite=true',
      'POST /_dashboards/api/saved_objects/_import?overwrite=true',
    ]);
    // The existing indices refresh as the template's new ones do: every 5 s unless configured.
    expect(JSON.parse(domain.requests[1]?.body ?? '{}')).toEqual({ index: { refresh_interval: '5s' } });
    // The audit log records failed logins, missing privileges and security changes, not every request.
    expect(JSON.parse(domain.requests[12]?.body ?? '{}').backend_roles).toEqual([operatorArn]);
    expect(JSON.parse(domain.requests[13]?.body ?? '{}')).toMatchObject({
      enabled: true,
      audit: {
        enable_rest: true,
        disabled_rest_categories: ['AUTHENTICATED', 'GRANTED_PRIVILEGES'],
        enable_transport: true,
        log_request_body: false,
      },
      compliance: { enabled: true, internal_config: true },
    });
    expect(JSON.parse(domain.requests[8]?.body ?? '{}').backend_roles).toEqual([readerArn]);
    expect(JSON.parse(domain.requests[9]?.body ?? '{}').backend_roles).toEqual([readerArn]);
    expect(JSON.parse(domain.requests[10]?.body ?? '{}').backend_roles).toEqual([readerArn]);
    // The readers' own tenant first, then the global one.
    expect([
      domain.requests[14]?.headers.securitytenant,
      domain.requests[15]?.headers.securitytenant,
    ]).toEqual(['logs', 'global']);
    const upload = domain.requests[14];
    expect(upload.headers['osd-xsrf']).toBe('true');
    expect(upload.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(upload.body).toContain(savedObjectsNdjson('logs'));
  });

  it('on Update, replaces the existing ISM policy with optimistic concurrency and moves the indices to it', async () => {
    domain.requests.length = 0;

    await applySearchSetup(client, { ...options, retentionDays: 30 });

    const sent = domain.requests.map((r) => `${r.method} ${r.url}`);
    const put = sent.indexOf('PUT /_plugins/_ism/policies/logs-retention?if_seq_no=0&if_primary_term=1');
    const change = sent.indexOf('POST /_plugins/_ism/change_policy/logs-*');
    expect(put).toBeGreaterThan(-1);
    // Managed indices keep the policy version they started with until change_policy moves them.
    expect(change).toBe(put + 1);
    expect(JSON.parse(domain.requests[put]?.body ?? '{}').policy.states[0].transitions[0].conditions).toEqual(
      {
        min_index_age: '30d',
      },
    );
    expect(JSON.parse(domain.requests[change]?.body ?? '{}')).toEqual({
      policy_id: 'logs-retention',
      include: [{ state: 'hot' }],
    });
  });

  it("applies the resource's RefreshInterval to the template and, now, to the prefix's existing indices only", async () => {
    domain.requests.length = 0;
    const props = parseSearchSetupProps({
      Endpoint: 'vpc-x.eu-west-1.es.amazonaws.com',
      IndexPrefix: 'applogs',
      RetentionDays: '14',
      WriterRoleArns: [roleArn],
      RefreshInterval: '1s',
      SharedDomain: 'true',
    });

    await applySearchSetup(client, props);

    const sent = domain.requests.map((r) => `${r.method} ${r.url}`);
    const template = sent.indexOf('POST /_index_template/applogs-events');
    expect(JSON.parse(domain.requests[template]?.body ?? '{}').template.settings.refresh_interval).toBe('1s');
    // A template reaches only the indices created after it: the existing ones are given the interval too, right
    // after the template so that none created meanwhile is missed; on a shared domain, no other prefix's index.
    expect(sent.filter((r) => r.includes('/_settings'))).toEqual([
      'PUT /applogs-events-*/_settings?allow_no_indices=true',
    ]);
    expect(sent[template + 1]).toBe('PUT /applogs-events-*/_settings?allow_no_indices=true');
    expect(JSON.parse(domain.requests[template + 1]?.body ?? '{}')).toEqual({
      index: { refresh_interval: '1s' },
    });
  });

  it('retries throttling, 5xx and dropped connections with backoff, then applies everything', async () => {
    domain.requests.length = 0;
    domain.fail('/_plugins/_security/api/rolesmapping/logs_writer', 429, 503, 'reset');
    domain.fail('/_index_template/', 429);
    const retried: string[] = [];

    const result = await applySearchSetup(client, {
      ...options,
      retry: { ...quickRetry(), onRetry: (request) => retried.push(request) },
    });

    expect(result.dashboardsImport.ok).toBe(true);
    expect(retried).toEqual([
      'index templates',
      'PUT /_plugins/_security/api/rolesmapping/logs_writer',
      'PUT /_plugins/_security/api/rolesmapping/logs_writer',
      'PUT /_plugins/_security/api/rolesmapping/logs_writer',
    ]);
    const sent = domain.requests.map((r) => `${r.method} ${r.url}`);
    expect(sent.filter((r) => r === 'PUT /_plugins/_security/api/rolesmapping/logs_writer')).toHaveLength(4);
    expect(sent.filter((r) => r === 'POST /_index_template/logs-events')).toHaveLength(2);
  });

  it('fails at once on a refusal retrying cannot fix, naming the request', async () => {
    domain.requests.length = 0;
    domain.fail('/_plugins/_security/api/roles/logs_writer', 403);

    await expect(applySearchSetup(client, { ...options, retry: quickRetry() })).rejects.toThrow(
      /^PUT \/_plugins\/_security\/api\/roles\/logs_writer failed: .*fault_403/,
    );
    expect(domain.requests.filter((r) => r.url === '/_plugins/_security/api/roles/logs_writer')).toHaveLength(
      1,
    );
    expect(domain.requests.some((r) => r.url.startsWith('/_dashboards'))).toBe(false);
  });

  it('fails the setup when a required step still fails at the deadline, with the attempts made', async () => {
    domain.failAlways('/_plugins/_security/api/audit/config', 503);
    try {
      await expect(applySearchSetup(client, { ...options, retry: quickRetry(300) })).rejects.toThrow(
        /PUT \/_plugins\/_security\/api\/audit\/config failed: still failing after \d+ attempts: .*fault_503/,
      );
    } finally {
      domain.clearFaults();
    }
  });

  it('retries a throttled Dashboards import, then imports into both tenants', async () => {
    domain.requests.length = 0;
    domain.fail('/_dashboards/', 429);

    const result = await applySearchSetup(client, { ...options, retry: quickRetry() });

    expect(result.dashboardsImport).toEqual({ ok: true, tenants: ['logs', 'global'] });
    expect(domain.requests.filter((r) => r.url.startsWith('/_dashboards/'))).toHaveLength(3);
  });

  it('reports a failed Dashboards import without failing the setup, with how to run it again', async () => {
    domain.requests.length = 0;
    domain.failImports();

    const result = await applySearchSetup(client, { ...options, retry: quickRetry() });

    // Everything the consumers need was applied; only the saved objects are missing.
    expect(domain.requests.map((r) => r.url)).toContain('/_plugins/_security/api/audit/config');
    expect(result.savedObjects).toBe(0);
    expect(result.dashboardsImport).toEqual({
      ok: false,
      error: expect.stringMatching(/visualization\/x: missing_references/),
    });
    expect(describeDashboardsImport(result.dashboardsImport, 0)).toMatch(
      /^FAILED \(the pipeline works without it\): saved objects import failed: .*; run the setup again with npx cdk deploy LogPipelineStack -c searchSetupRun=\$\(date \+%s\)$/,
    );
    expect(describeDashboardsImport({ ok: true, tenants: ['logs', 'global'] }, 5)).toBe(
      'imported 5 saved objects into tenants logs, global',
    );
  });

  it('reports a Dashboards endpoint that keeps failing as a failed import, after retrying it', async () => {
    domain.failAlways('/_dashboards/', 503);
    try {
      const result = await applySearchSetup(client, { ...options, retry: quickRetry(300) });
      expect(result.dashboardsImport.ok).toBe(false);
      expect(result.dashboardsImport).toMatchObject({ error: expect.stringMatching(/still failing after/) });
    } finally {
      domain.clearFaults();
    }
  });

  it("on a shared domain, leaves the audit configuration, the built-in roles' mappings and the global tenant alone", async () => {
    domain.acceptImports();
    const before = domain.requests.length;
    const result = await applySearchSetup(client, { ...options, sharedDomain: true });

    const sent = domain.requests.slice(before).map((r) => `${r.method} ${r.url.split('?')[0]}`);
    expect(sent).toContain('PUT /_plugins/_security/api/rolesmapping/logs_dashboards_reader');
    expect(sent).toContain('PUT /_plugins/_security/api/rolesmapping/logs_writer');
    expect(sent.filter((r) => /audit|opensearch_dashboards_(user|read_only)/.test(r))).toEqual([]);
    const imports = domain.requests.slice(before).filter((r) => r.url.startsWith('/_dashboards/'));
    expect(imports.map((r) => r.headers.securitytenant)).toEqual(['logs']);
    expect(result.dashboardsImport).toEqual({ ok: true, tenants: ['logs'] });
  });

  it('tells retriable answers from permanent ones', () => {
    expect(isRetriableSearchError({ name: 'ConnectionError' })).toBe(true);
    expect(isRetriableSearchError({ name: 'TimeoutError' })).toBe(true);
    expect(isRetriableSearchError({ name: 'ResponseError', meta: { statusCode: 429 } })).toBe(true);
    expect(isRetriableSearchError({ name: 'ResponseError', meta: { statusCode: 500 } })).toBe(true);
    expect(isRetriableSearchError({ name: 'ResponseError', meta: { statusCode: 403 } })).toBe(false);
    expect(isRetriableSearchError({ name: 'ResponseError', meta: { statusCode: 400 } })).toBe(false);
    expect(new SearchSetupError('x').name).toBe('SearchSetupError');
  });
});

describe('SigV4 signing of the Dashboards import', () => {
  const domain = fakeDomain();
  let client: Client;

  beforeAll(async () => {
    await new Promise<void>((resolve) => domain.server.listen(0, '127.0.0.1', resolve));
    const { port } = domain.server.address() as AddressInfo;
    client = createOpenSearchClient({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'eu-west-1',
      credentials: async () => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }),
    });
  });

  afterAll(async () => {
    await client.close();
    await new Promise((resolve) => domain.server.close(resolve));
  });

  it('signs the multipart upload for service es, over the exact bytes sent', async () => {
    await importSavedObjects(client, savedObjectsNdjson('logs'));

    const [upload] = domain.requests;
    expect(upload.url).toBe('/_dashboards/api/saved_objects/_import?overwrite=true');
    expect(upload.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/es\/aws4_request, SignedHeaders=[^,]*osd-xsrf/,
    );
    expect(upload.headers['x-amz-content-sha256']).toBe(
      createHash('sha256').update(upload.body).digest('hex'),
    );
  });
});
