// A private MariaDB instance from the system package (own datadir, socket and port under `.local/`), or
// any MySQL given by `MYSQL_URL`, which is then only checked.
import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type ConnectionOptions, createConnection } from 'mysql2/promise';
import { DEFAULT_MYSQL_URL, LOCAL_DATABASE, LOCAL_HOST, LOCAL_PORTS, localEndpoints } from '../endpoints.js';
import type { Component } from './component.js';
import { StackError } from './errors.js';
import { dataDir, logFile, RUN_DIR } from './paths.js';
import { spawnDetached } from './processes.js';
import type { Progress } from './progress.js';

const execFileAsync = promisify(execFile);

const datadir = () => dataDir('mariadb');
export const MARIADB_SOCKET = join(RUN_DIR, 'mariadb.sock');
const serverPidFile = join(RUN_DIR, 'mariadbd.pid');

const SEARCH_PATH = ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin', '/sbin', '/bin'];

function findExecutable(names: readonly string[]): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), ...SEARCH_PATH];
  for (const name of names) {
    for (const dir of dirs) {
      const candidate = join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not in this folder: keep looking
      }
    }
  }
  return undefined;
}

const findServer = () => findExecutable(['mariadbd', 'mysqld']);

async function queryOk(options: ConnectionOptions | string): Promise<boolean> {
  try {
    const connection = await createConnection(
      typeof options === 'string'
        ? { uri: options, connectTimeout: 2_000 }
        : { connectTimeout: 2_000, ...options },
    );
    try {
      await connection.query('SELECT 1');
      return true;
    } finally {
      await connection.end();
    }
  } catch {
    return false;
  }
}

async function run(command: string, args: readonly string[], env?: NodeJS.ProcessEnv): Promise<void> {
  try {
    await execFileAsync(command, args, { env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    const output = `${e.stdout ?? ''}${e.stderr ?? ''}`.trim().split('\n').slice(-20).join('\n');
    throw new StackError(`${command} ${args.join(' ')} failed:\n${output}`, { cause: error });
  }
}

/** Installs Debian's mariadb-server without letting its maintainer scripts start the system service. */
async function installServer(progress: Progress): Promise<void> {
  if (process.getuid?.() !== 0 || !existsSync('/etc/debian_version')) {
    throw new StackError(
      'mariadbd/mysqld not found: install the MariaDB server (Debian: apt-get install -y mariadb-server) ' +
        'or point MYSQL_URL at a MySQL you have',
    );
  }
  progress('mariadb', 'mariadbd not found: apt-get update && apt-get install -y mariadb-server');
  // policy-rc.d exit 101 = "action forbidden": the package installs but starts no system-wide server on
  // 3306; this stack runs its own instance. Only ours is removed afterwards.
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !existsSync(policy);
  if (ownPolicy) writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    const env = { DEBIAN_FRONTEND: 'noninteractive' };
    await run('apt-get', ['update', '-q'], env);
    await run('apt-get', ['install', '-y', '-q', '--no-install-recommends', 'mariadb-server'], env);
  } finally {
    if (ownPolicy) rmSync(policy, { force: true });
  }
  if (!findServer()) throw new StackError('mariadb-server installed but mariadbd is still not on the PATH');
  progress('mariadb', 'installed mariadb-server');
}

async function initDatadir(progress: Progress): Promise<void> {
  if (existsSync(join(datadir(), 'mysql'))) return;
  const installDb = findExecutable(['mariadb-install-db', 'mysql_install_db']);
  if (!installDb) throw new StackError('mariadb-install-db not found next to mariadbd');
  progress('mariadb', `initialising datadir ${datadir()}`);
  mkdirSync(datadir(), { recursive: true });
  try {
    await run(installDb, [
      '--no-defaults',
      `--datadir=${datadir()}`,
      '--user=root',
      // root@localhost (socket) gets mysql_native_password with no password instead of unix_socket.
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
      '--skip-name-resolve',
    ]);
  } catch (error) {
    // A half-initialised datadir would be taken as done next time: start from scratch instead.
    rmSync(datadir(), { recursive: true, force: true });
    throw error;
  }
}

export const mariadb: Component = {
  name: 'mariadb',
  port: LOCAL_PORTS.mariadb,
  healthTimeoutMs: 60_000,
  isExternal: () => process.env.MYSQL_URL !== undefined,

  /** The way the pipeline connects: the URL (TCP, root@127.0.0.1, database logpipeline). */
  probe: () => queryOk(localEndpoints().mysqlUrl),

  /** Before the TCP account and the database exist, root is only known through the socket. */
  startupProbe: () => queryOk({ socketPath: MARIADB_SOCKET, user: 'root' }),

  async prepare(progress) {
    if (!findServer()) await installServer(progress);
    mkdirSync(RUN_DIR, { recursive: true });
    await initDatadir(progress);
  },

  launch() {
    const server = findServer();
    if (!server) throw new StackError('mariadbd not found');
    return spawnDetached(
      server,
      [
        // Ignore /etc/mysql: this instance is private and fully described here.
        '--no-defaults',
        `--datadir=${datadir()}`,
        `--socket=${MARIADB_SOCKET}`,
        `--pid-file=${serverPidFile}`,
        `--port=${LOCAL_PORTS.mariadb}`,
        `--bind-address=${LOCAL_HOST}`,
        '--user=root',
        '--skip-name-resolve',
        '--innodb-buffer-pool-size=128M',
        '--character-set-server=utf8mb4',
        '--collation-server=utf8mb4_unicode_ci',
        '--max-connections=200',
      ],
      { logPath: logFile('mariadb') },
    );
  },

  async afterHealthy(progress) {
    const connection = await createConnection({ socketPath: MARIADB_SOCKET, user: 'root' });
    try {
      // --skip-name-resolve: TCP clients from 127.0.0.1 match only root@'127.0.0.1', never root@localhost.
      await connection.query("CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY ''");
      await connection.query("GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION");
      await connection.query(`CREATE DATABASE IF NOT EXISTS \`${LOCAL_DATABASE}\``);
    } finally {
      await connection.end();
    }
    if (!(await queryOk(DEFAULT_MYSQL_URL))) {
      throw new StackError(`MariaDB answers on its socket but not at ${DEFAULT_MYSQL_URL}`);
    }
    progress('mariadb', `root@127.0.0.1 and database ${LOCAL_DATABASE} ready`);
  },

  async version() {
    try {
      const connection = await createConnection({ uri: localEndpoints().mysqlUrl, connectTimeout: 2_000 });
      try {
        const [rows] = await connection.query('SELECT VERSION() AS version');
        return (rows as Array<{ version: string }>)[0]?.version;
      } finally {
        await connection.end();
      }
    } catch {
      return undefined;
    }
  },
};
