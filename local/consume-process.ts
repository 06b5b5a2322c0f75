// How `npm run consume` starts the consumer (package.json): the bundled JavaScript of local/consume.ts, through
// local/run-built.mjs. The bench, the soak and the integration tests start it the same way, with node itself as
// the child (no npm in between), so that their signals reach the consumer.
// With the Fargate task's V8 heap settings (core/consumer-heap.ts), so that what runs and is measured here is what
// runs there.
import { consumerNodeOptions } from '../core/consumer-heap.js';

export const RUN_BUILT = 'local/run-built.mjs';
export const CONSUME_SCRIPT = [...consumerNodeOptions(), RUN_BUILT, 'local/consume.ts'] as const;

/** node's arguments for `npm run consume -- <args>`, after any of node's own options (e.g. --import). */
export function consumeArgs(args: readonly string[], nodeOptions: readonly string[] = []): string[] {
  return [...nodeOptions, ...CONSUME_SCRIPT, ...args];
}
