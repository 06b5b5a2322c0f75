// One progress line per step of the local stack scripts, stamped with the seconds since the command began.

export type Progress = (component: string, message: string) => void;

export function createProgress(quiet = false, out: (line: string) => void = (l) => console.log(l)): Progress {
  const started = Date.now();
  return (component, message) => {
    if (quiet) return;
    const elapsed = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
    out(`[${elapsed}s] ${component.padEnd(10)} ${message}`);
  };
}
