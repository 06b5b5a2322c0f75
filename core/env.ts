// Runtime configuration from the environment, read once at start-up; fails fast naming the variable. The one
// place where every command and service (local CLIs, Fargate, Lambda) reads a variable, so that a value means
// the same everywhere and a bad one is refused everywhere, with an EnvError (the CLIs exit 2 on it).
import { EnvError } from './errors.js';

export function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value.trim() === '') {
    throw new EnvError(`environment variable ${name} is required but not set`);
  }
  return value;
}

export function optionalEnv(name: string, fallback: string): string {
  const value = process.env[name];
  return value === undefined || value.trim() === '' ? fallback : value;
}

/** An integer variable no smaller than `min` (@default 0). */
export function intEnv(name: string, fallback: number, min = 0): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min) {
    throw new EnvError(`environment variable ${name} must be an integer of at least ${min}, got '${raw}'`);
  }
  return value;
}

/** `true` or `false` (case-insensitive), `fallback` when the variable is not set. */
export function boolEnv(name: string, fallback: boolean): boolean {
  const value = enumEnv(name, ['true', 'false'] as const);
  return value === undefined ? fallback : value === 'true';
}

/** One of `allowed` (case-insensitive), or undefined when the variable is not set. */
export function enumEnv<T extends string>(name: string, allowed: readonly T[]): T | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = raw.trim().toLowerCase();
  if (!(allowed as readonly string[]).includes(value)) {
    throw new EnvError(`environment variable ${name} must be one of ${allowed.join(', ')}, got '${raw}'`);
  }
  return value as T;
}

const refusedAtLoad: EnvError[] = [];

/**
 * A variable that a module reads while it loads (a constant such as the local ports): a bad value is not thrown
 * there, where it would be a stack trace before any command runs, but kept for checkEnvAtLoad(), which every
 * command calls first; `fallback` stands in until then.
 */
export function envAtLoad<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof EnvError)) throw error;
    refusedAtLoad.push(error);
    return fallback;
  }
}

/** Throws the first EnvError of a variable read while the modules loaded. */
export function checkEnvAtLoad(): void {
  const [first] = refusedAtLoad;
  if (first !== undefined) throw first;
}
