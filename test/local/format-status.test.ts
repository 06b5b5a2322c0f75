// The human rendering of `stack.ts status` shows down components instead of failing on them.
import { describe, expect, it } from 'vitest';
import { formatStatus, type StackStatus } from '../../local/components/status.js';
import { LOCAL_PORTS } from '../../local/endpoints.js';

const downStack: StackStatus = {
  components: [
    {
      name: 'opensearch',
      up: false,
      managedBy: 'none',
      port: LOCAL_PORTS.opensearch,
      log: '/x/opensearch.log',
    },
    { name: 'kafka', up: false, managedBy: 'none', port: LOCAL_PORTS.kafka, log: '/x/kafka.log' },
    {
      name: 'mariadb',
      up: true,
      managedBy: 'stack',
      port: LOCAL_PORTS.mariadb,
      pid: 42,
      version: '10.11.6-MariaDB',
      rssKiB: 102_400,
      log: '/x/mariadb.log',
    },
  ],
  topics: [],
  groups: [],
  indices: { prefix: 'logs', counts: {} },
  errors: [],
};

describe('formatStatus', () => {
  it('lists down components as down and leaves their sections empty', () => {
    const text = formatStatus(downStack);
    expect(text).toMatch(new RegExp(`opensearch\\s+down\\s+127\\.0\\.0\\.1:${LOCAL_PORTS.opensearch}`));
    expect(text).toMatch(new RegExp(`kafka\\s+down\\s+127\\.0\\.0\\.1:${LOCAL_PORTS.kafka}`));
    expect(text).toMatch(
      new RegExp(
        `mariadb\\s+up\\s+127\\.0\\.0\\.1:${LOCAL_PORTS.mariadb}\\s+version 10\\.11\\.6-MariaDB, pid 42, rss 100 MiB`,
      ),
    );
    expect(text).toMatch(/good\s+-/);
  });

  it('shows each group lag per topic', () => {
    const text = formatStatus({
      ...downStack,
      groups: [{ groupId: 'local-consumer', topic: 'server-logs', lag: '17000' }],
    });
    expect(text).toMatch(/local-consumer\s+server-logs\s+lag 17,000/);
  });
});
