// The soak's live view: one line every 10 s with what was produced, what is searchable, the group's lag and
// the fault in progress. A component that is down shows as '?' in its column, not as an error.
import type { Client } from '@opensearch-project/opensearch';
import { countIndexed } from '../pipeline.js';
import type { GroupWatch } from './group-watch.js';
import type { Production } from './production.js';

const INTERVAL_MS = 10_000;
const fmt = new Intl.NumberFormat('en-US');

export interface ProgressSources {
  readonly search: Client;
  readonly watch: GroupWatch;
  readonly production: Production;
  readonly indexPrefix: string;
  readonly startedAt: number;
  readonly phase: () => string;
  readonly log: (line: string) => void;
}

export function watchProgress(sources: ProgressSources): { stop(): void } {
  const { search, watch, production, indexPrefix, startedAt, phase, log } = sources;
  let busy = false;
  const tick = async () => {
    // A poll stuck on a component that is down must not pile up behind the next one.
    if (busy) return;
    busy = true;
    try {
      const [indexed, lag] = await Promise.all([
        countIndexed(search, indexPrefix).then(
          (c) => fmt.format(c.good + c.suspicious + c.bad),
          () => '?',
        ),
        watch.lag().then(
          (n) => fmt.format(n),
          () => '?',
        ),
      ]);
      const at = `${Math.round((Date.now() - startedAt) / 1000)}s`.padStart(5);
      log(
        `[${at}] produced ${fmt.format(production.sent())} | indexed ${indexed} | lag ${lag} | fault: ${phase()}`,
      );
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => {
    void tick();
  }, INTERVAL_MS);
  return { stop: () => clearInterval(timer) };
}
