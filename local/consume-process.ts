// How `npm run consume` starts the consumer (package.json): the bundled JavaScript of local/consume.ts, through
// local/run-built.mjs. The bench, the soak and the integration tests start it the same way, with node itself as
// the child (no npm in between), so that their signals reach the consumer.
export const RUN_BUILT = 'local/run-built.mjs';
export const CONSUME_SCRIPT = [RUN_BUILT, 'local/consume.ts'] as const;

/** node's arguments for `npm run consume -- <args>`, after any of node's own options (e.g. --import). */
export function consumeArgs(args: readonly string[], nodeOptions: readonly string[] = []): string[] {
  return [...nodeOptions, ...CONSUME_SCRIPT, ...args];
}
