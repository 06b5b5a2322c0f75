// The index template (explicit mappings, one filtered alias per category) and the ISM retention policy.
// Applied by the local stack, the tests and the AWS search-setup custom resource alike.
import type { Client } from '@opensearch-project/opensearch';
import { CATEGORIES, categoryAlias, indexPattern } from './documents.js';

export interface IndexTemplateOptions {
  /** @default 1 */
  readonly shards?: number;
  /** @default 1; use 0 on a single local node, which would otherwise stay yellow. */
  readonly replicas?: number;
  /** @default DEFAULT_REFRESH_INTERVAL */
  readonly refreshInterval?: string;
}

/**
 * The refresh interval of an AWS deployment unless configured (lib/config.ts `indexRefreshInterval`): bulk
 * throughput over freshness; dashboards don't need sub-second.
 */
export const DEFAULT_REFRESH_INTERVAL = '5s';

/**
 * An index refresh interval as OpenSearch takes it: a whole number of ms, s or m (e.g. '500ms', '1s'). How long a
 * document that was acknowledged may stay unsearchable, against the cost of each refresh (a new segment to merge).
 */
export const REFRESH_INTERVAL = /^[1-9][0-9]*(ms|s|m)$/;

export function isRefreshInterval(text: string): boolean {
  return REFRESH_INTERVAL.test(text);
}

export interface IndexTemplate {
  readonly name: string;
  readonly body: Record<string, unknown>;
}

const keyword = { type: 'keyword', ignore_above: 256 };

export const DOCUMENT_MAPPINGS = {
  // Fields we did not declare are kept in _source but not indexed: a stray field never fails a write.
  dynamic: false,
  properties: {
    category: keyword,
    reasons: {
      properties: { code: keyword, field: keyword, message: { type: 'text' } },
    },
    event_id: keyword,
    account_id: { type: 'long' },
    event_type: keyword,
    device: keyword,
    default_device: keyword,
    location_country: keyword,
    event_time: { type: 'date' },
    raw: { type: 'text', index: false },
    raw_base64: { type: 'binary' },
    raw_bytes: { type: 'long' },
    raw_truncated: { type: 'boolean' },
    source: {
      properties: {
        topic: keyword,
        partition: { type: 'integer' },
        offset: { type: 'long' },
        timestamp_ms: { type: 'long' },
      },
    },
    kafka_time: { type: 'date' },
    ingested_at: { type: 'date' },
  },
} as const;

export function templateName(prefix: string): string {
  return `${prefix}-events`;
}

/** One template for every daily index; each category is a filtered alias, so a document can change category
 * by being overwritten in place. */
export function indexTemplates(prefix: string, options: IndexTemplateOptions = {}): IndexTemplate[] {
  const aliases = Object.fromEntries(
    CATEGORIES.map((category) => [categoryAlias(prefix, category), { filter: { term: { category } } }]),
  );
  return [
    {
      name: templateName(prefix),
      body: {
        index_patterns: [indexPattern(prefix)],
        priority: 100,
        template: {
          settings: {
            number_of_shards: options.shards ?? 1,
            number_of_replicas: options.replicas ?? 1,
            refresh_interval: options.refreshInterval ?? DEFAULT_REFRESH_INTERVAL,
          },
          mappings: DOCUMENT_MAPPINGS,
          aliases,
        },
        _meta: { managed_by: 'log-pipeline' },
      },
    },
  ];
}

export async function applyIndexTemplates(
  client: Client,
  prefix: string,
  options: IndexTemplateOptions = {},
): Promise<void> {
  for (const template of indexTemplates(prefix, options)) {
    await client.indices.putIndexTemplate({ name: template.name, body: template.body });
  }
}

/** An ISM policy deleting a prefix's daily indices once they are older than `retentionDays`. */
export function ismRetentionPolicy(
  prefix: string,
  retentionDays: number,
): { policyId: string; body: object } {
  if (!Number.isInteger(retentionDays) || retentionDays < 1) {
    throw new RangeError(`retentionDays must be a positive integer, got ${retentionDays}`);
  }
  return {
    policyId: `${prefix}-retention`,
    body: {
      policy: {
        description: `Delete ${prefix} indices after ${retentionDays} days`,
        default_state: 'hot',
        states: [
          {
            name: 'hot',
            actions: [],
            transitions: [{ state_name: 'delete', conditions: { min_index_age: `${retentionDays}d` } }],
          },
          { name: 'delete', actions: [{ delete: {} }], transitions: [] },
        ],
        ism_template: [{ index_patterns: [`${prefix}-*`], priority: 100 }],
      },
    },
  };
}
