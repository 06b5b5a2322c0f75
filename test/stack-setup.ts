// Global set-up of the `stack` test project: starts the local stack when it is not up (so `npm test` works
// on a fresh clone), and stops it afterwards only if it started it here.
import { checkEnvAtLoad } from '../core/env.js';
import { ensureStackUp, StackStartError, stopStack } from '../local/stack.js';

export default async function setup(): Promise<() => Promise<void>> {
  // A bad LOCAL_PORT_OFFSET (or endpoint variable) stops the run here, as it stops every command: the modules
  // only keep it, and would otherwise talk to another checkout's stack on the default ports.
  checkEnvAtLoad();
  const { startedHere } = await ensureStackUp({ quiet: false }).catch((error: unknown) => {
    // The log lines and the fix, not only the one line (what it had started is stopped again).
    if (error instanceof StackStartError) throw new Error(`${error.message}\n${error.details}`);
    throw error;
  });
  return async () => {
    if (startedHere) await stopStack();
  };
}
