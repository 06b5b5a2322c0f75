// What the local stack looks like right now: each component (up/down, port, version, memory), the Kafka
// topics with end offsets, each consumer group's lag and the document count per category. A component
// that is down is reported as such; the sections that need it are left empty.
import { Kafka, logLevel } from 'kafkajs';
import { CATEGORIES, type Category, categoryAlias } from '../../core/documents.js';
import { formatCount } from '../cli.js';
import { DEFAULT_INDEX_PREFIX, localEndpoints } from '../endpoints.js';
import { lagOf } from '../pipeline.js';
import { STACK_COMPONENTS } from './lifecycle.js';
import { type ComponentName, logFile } from './paths.js';
import { isOurProcess, readPid, rssKiB } from './processes.js';

export interface ComponentStatus {
  readonly name: ComponentName;
  readonly up: boolean;
  /** `stack`: started by these scripts (pid file); `external`: up, but not ours; `none`: down. */
  readonly managedBy: 'stack' | 'external' | 'none';
  readonly port: number;
  readonly pid?: number;
  readonly version?: string;
  readonly rssKiB?: number;
  readonly log: string;
}

export interface TopicStatus {
  readonly topic: string;
  readonly partitions: ReadonlyArray<{ partition: number; low: string; high: string }>;
  /** Sum of the partitions' end offsets (high watermarks). */
  readonly endOffsets: string;
}

export interface GroupLag {
  readonly groupId: string;
  readonly topic: string;
  /** Sum over partitions of end offset - committed offset (a partition without a commit counts from its start). */
  readonly lag: string;
}

export interface StackStatus {
  readonly components: readonly ComponentStatus[];
  readonly topics: readonly TopicStatus[];
  readonly groups: readonly GroupLag[];
  readonly indices: { readonly prefix: string; readonly counts: Partial<Record<Category, number>> };
  /** Sections that could not be read, with why. */
  readonly errors: readonly string[];
}

export interface StatusOptions {
  readonly topic?: string;
  readonly indexPrefix?: string;
}

export async function componentStatus(): Promise<ComponentStatus[]> {
  return Promise.all(
    STACK_COMPONENTS.map(async (component): Promise<ComponentStatus> => {
      const up = await component.probe();
      const pid = readPid(component.name);
      const ours = pid !== undefined && isOurProcess(pid);
      return {
        name: component.name,
        up,
        managedBy: ours ? 'stack' : up ? 'external' : 'none',
        port: component.port,
        pid: ours ? pid : undefined,
        version: up ? await component.version() : undefined,
        rssKiB: ours ? rssKiB(pid) : undefined,
        log: logFile(component.name),
      };
    }),
  );
}

async function kafkaStatus(topicFilter: string | undefined): Promise<Pick<StackStatus, 'topics' | 'groups'>> {
  const admin = new Kafka({
    clientId: 'local-stack-status',
    brokers: localEndpoints().brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2_000,
    retry: { retries: 1 },
  }).admin();
  await admin.connect();
  try {
    const names = (await admin.listTopics())
      .filter((t) => (topicFilter ? t === topicFilter : !t.startsWith('__')))
      .sort();
    const topics: TopicStatus[] = [];
    const ends = new Map<string, { partition: number; high: string; low: string }[]>();
    for (const topic of names) {
      const offsets = (await admin.fetchTopicOffsets(topic)).sort((a, b) => a.partition - b.partition);
      ends.set(topic, offsets);
      topics.push({
        topic,
        partitions: offsets.map((o) => ({ partition: o.partition, low: o.low, high: o.high })),
        endOffsets: offsets.reduce((sum, o) => sum + BigInt(o.high), 0n).toString(),
      });
    }
    const groups: GroupLag[] = [];
    const listed = (await admin.listGroups()).groups.map((g) => g.groupId).sort();
    for (const groupId of listed) {
      const committed = await admin.fetchOffsets({ groupId, topics: names });
      for (const { topic, partitions } of committed) {
        const topicEnds = ends.get(topic);
        if (!topicEnds || partitions.every((p) => p.offset === '-1')) continue;
        groups.push({ groupId, topic, lag: lagOf(topicEnds, partitions).toString() });
      }
    }
    return { topics, groups };
  } finally {
    await admin.disconnect();
  }
}

async function indexCounts(prefix: string): Promise<Partial<Record<Category, number>>> {
  const { opensearchUrl } = localEndpoints();
  const counts: Partial<Record<Category, number>> = {};
  for (const category of CATEGORIES) {
    // The filtered alias of the category: what Dashboards and users query.
    const alias = categoryAlias(prefix, category);
    const response = await fetch(
      `${opensearchUrl}/${alias}/_count?ignore_unavailable=true&allow_no_indices=true`,
      {
        signal: AbortSignal.timeout(5_000),
      },
    );
    if (response.status === 404) counts[category] = 0;
    else if (!response.ok) throw new Error(`_count on ${alias}: HTTP ${response.status}`);
    else counts[category] = ((await response.json()) as { count: number }).count;
  }
  return counts;
}

/** Reads the state of the whole stack; never throws for a component that is down. */
export async function stackStatus(options: StatusOptions = {}): Promise<StackStatus> {
  const prefix = options.indexPrefix ?? DEFAULT_INDEX_PREFIX;
  const components = await componentStatus();
  const isUp = (name: ComponentName) => components.find((c) => c.name === name)?.up ?? false;
  const errors: string[] = [];
  let kafkaPart: Pick<StackStatus, 'topics' | 'groups'> = { topics: [], groups: [] };
  let counts: Partial<Record<Category, number>> = {};
  if (isUp('kafka')) {
    try {
      kafkaPart = await kafkaStatus(options.topic);
    } catch (error) {
      errors.push(`kafka: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (isUp('opensearch')) {
    try {
      counts = await indexCounts(prefix);
    } catch (error) {
      errors.push(`opensearch: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return { components, ...kafkaPart, indices: { prefix, counts }, errors };
}

/** Plain-text rendering of a StackStatus for people. */
export function formatStatus(status: StackStatus): string {
  const lines: string[] = ['Components'];
  for (const c of status.components) {
    const state = c.up ? 'up  ' : 'down';
    const extra = [
      c.version ? `version ${c.version}` : undefined,
      c.pid !== undefined ? `pid ${c.pid}` : undefined,
      c.rssKiB !== undefined ? `rss ${Math.round(c.rssKiB / 1024)} MiB` : undefined,
      c.managedBy === 'external' ? 'not started by this stack' : undefined,
    ].filter(Boolean);
    lines.push(`  ${c.name.padEnd(11)} ${state} 127.0.0.1:${c.port}  ${extra.join(', ')}`);
  }
  lines.push('', 'Kafka topics (partition: end offset)');
  if (status.topics.length === 0) lines.push('  (none)');
  for (const t of status.topics) {
    const parts = t.partitions.map((p) => `${p.partition}:${p.high}`).join(' ');
    lines.push(
      `  ${t.topic.padEnd(30)} ${String(t.partitions.length).padStart(2)} partitions, ${formatCount(BigInt(t.endOffsets))} records  [${parts}]`,
    );
  }
  lines.push('', 'Consumer groups (lag = end offset - committed)');
  if (status.groups.length === 0) lines.push('  (none)');
  for (const g of status.groups)
    lines.push(`  ${g.groupId.padEnd(30)} ${g.topic.padEnd(30)} lag ${formatCount(BigInt(g.lag))}`);
  lines.push('', `Documents (${status.indices.prefix}-<category>-*)`);
  for (const category of CATEGORIES) {
    const count = status.indices.counts[category];
    lines.push(`  ${category.padEnd(11)} ${count === undefined ? '-' : formatCount(count)}`);
  }
  if (status.errors.length > 0) lines.push('', 'Errors', ...status.errors.map((e) => `  ${e}`));
  return lines.join('\n');
}
