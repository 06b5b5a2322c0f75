// The chaos soak's fault plan: which fault comes when and how long the victim stays down, drawn from the
// generator's seeded PRNG so that a seed replays the same schedule. Pure: the soak runner executes it.
import { createPrng, type Prng } from '../../generator/prng.js';

export const COMPONENT_FAULTS = ['kafka', 'opensearch', 'mariadb'] as const;
export const FAULT_KINDS = [...COMPONENT_FAULTS, 'consumer'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface PlannedFault {
  readonly kind: FaultKind;
  /** When to inject it, from the start of production; a later time if the previous fault is still recovering. */
  readonly atMs: number;
  /** How long the victim stays killed before it is started again. */
  readonly holdMs: number;
}

/** Time for the consumer to join and index before the first fault. */
export const WARMUP_MS = 20_000;
/** No fault starts this close to the end of production: its recovery needs new records to show. */
export const TAIL_MS = 25_000;
/** One fault per slot in a long run: room for a restart (OpenSearch takes the longest) and the consumer's rejoin. */
const SLOT_MS = 75_000;

/**
 * Faults for a production of `durationMs`: a shuffled round-robin of the four kinds (every kind once, in a
 * seeded order, before any repeats), at least one round whatever the duration, so that even the 2-minute CI
 * soak faults Kafka, OpenSearch, MariaDB and the consumer. Each fault is at a seeded moment in the first third
 * of its slot; a run too short for its slots has its faults delayed by the recoveries (the soak then produces
 * until the last one has recovered, see Chaos).
 */
export function planFaults(durationMs: number, seed: number | string): PlannedFault[] {
  const prng = createPrng(`${seed}/faults`);
  const windowMs = Math.max(0, durationMs - WARMUP_MS - TAIL_MS);
  const count = Math.max(FAULT_KINDS.length, Math.floor(windowMs / SLOT_MS));
  const slotMs = windowMs / count;
  const kinds = Array.from({ length: Math.ceil(count / FAULT_KINDS.length) }, () =>
    shuffle<FaultKind>([...FAULT_KINDS], prng),
  )
    .flat()
    .slice(0, count);
  return kinds.map((kind, i) => ({
    kind,
    atMs: Math.round(WARMUP_MS + i * slotMs + prng.float() * (slotMs / 3)),
    // The consumer only has to be down; the components also have to be missed by their clients for a while.
    holdMs: kind === 'consumer' ? prng.int(1_000, 5_000) : prng.int(2_000, 8_000),
  }));
}

function shuffle<T>(items: T[], prng: Prng): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = prng.int(0, i);
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}
