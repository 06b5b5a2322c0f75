// Global set-up of the `stack` test project: starts the local stack when it is not up (so `npm test` works
// on a fresh clone), and stops it afterwards only if it started it here.
import { ensureStackUp, stopStack } from '../local/stack.js';

export default async function setup(): Promise<() => Promise<void>> {
  const { startedHere } = await ensureStackUp({ quiet: false });
  return async () => {
    if (startedHere) await stopStack();
  };
}
