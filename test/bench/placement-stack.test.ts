// Pinned runs need the stack's pids: without them the bench must say so instead of measuring an unpinned stack.
import { beforeEach, describe, expect, it, vi } from 'vitest';

const pids = vi.hoisted(() => new Map<string, number>());
vi.mock('../../local/components/processes.js', () => ({
  readPid: (component: string) => pids.get(component),
}));

const { cannotPlaceStack } = await import('../../bench/placement.js');

describe('cannotPlaceStack', () => {
  beforeEach(() => pids.clear());

  it('names Kafka and OpenSearch when this checkout did not start them', () => {
    expect(cannotPlaceStack()).toBe(
      "kafka and opensearch not started by this checkout's npm run stack:start (no pid file under .local/run): run the bench in the checkout that started the stack",
    );
    pids.set('kafka', 101);
    expect(cannotPlaceStack()).toMatch(/^opensearch not started/);
  });

  it('places a stack whose Kafka and OpenSearch it knows, with MariaDB external or not', () => {
    pids.set('kafka', 101);
    pids.set('opensearch', 102);
    expect(cannotPlaceStack()).toBeUndefined();
    pids.set('mariadb', 103);
    expect(cannotPlaceStack()).toBeUndefined();
  });
});
