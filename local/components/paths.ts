// Layout of the git-ignored `.local/` folder that holds the local stack's downloads, data, logs and pids.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export type ComponentName = 'kafka' | 'opensearch' | 'mariadb';
export const COMPONENTS: readonly ComponentName[] = ['kafka', 'opensearch', 'mariadb'];

/** Root of the repository (this file lives in `local/components/`). */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const LOCAL_DIR = join(PROJECT_ROOT, '.local');
export const CACHE_DIR = join(LOCAL_DIR, 'cache');
export const MAVEN_REPO_DIR = join(CACHE_DIR, 'm2');
export const RUN_DIR = join(LOCAL_DIR, 'run');
export const LOGS_DIR = join(LOCAL_DIR, 'logs');
export const DATA_DIR = join(LOCAL_DIR, 'data');

export function libDir(component: 'kafka' | 'opensearch'): string {
  return join(CACHE_DIR, `${component}-lib`);
}

export function dataDir(component: ComponentName): string {
  return join(DATA_DIR, component);
}

export function logFile(component: string): string {
  return join(LOGS_DIR, `${component}.log`);
}

export function pidFile(component: string): string {
  return join(RUN_DIR, `${component}.pid`);
}
