// Fetches a component's jars from Maven Central with a throw-away pom (`local/maven/<name>/pom.xml`) into
// `.local/cache/<name>-lib`, once: a marker holding the pom's hash makes later starts skip Maven entirely.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { StackError } from './errors.js';
import { libDir, MAVEN_REPO_DIR, PROJECT_ROOT } from './paths.js';
import type { Progress } from './progress.js';

const execFileAsync = promisify(execFile);
const MARKER = '.complete';

export function pomPath(component: 'kafka' | 'opensearch'): string {
  return join(PROJECT_ROOT, 'local', 'maven', component, 'pom.xml');
}

function pomHash(component: 'kafka' | 'opensearch'): string {
  return createHash('sha256')
    .update(readFileSync(pomPath(component)))
    .digest('hex');
}

/** True when the lib folder was filled completely from the current pom. */
export function libsReady(component: 'kafka' | 'opensearch'): boolean {
  const marker = join(libDir(component), MARKER);
  return existsSync(marker) && readFileSync(marker, 'utf8').trim() === pomHash(component);
}

/** Makes sure the component's runtime jars are in its lib folder, downloading them only when missing. */
export async function ensureLibs(component: 'kafka' | 'opensearch', progress: Progress): Promise<string> {
  const dir = libDir(component);
  if (libsReady(component)) {
    progress(component, `jars cached in ${dir}`);
    return dir;
  }
  progress(component, 'fetching jars from Maven Central (mvn dependency:copy-dependencies)');
  // Download into a scratch folder and rename at the end, so an interrupted fetch never looks complete.
  const scratch = `${dir}.partial`;
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(MAVEN_REPO_DIR, { recursive: true });
  try {
    await execFileAsync(
      'mvn',
      [
        '-q',
        '-B',
        '-f',
        pomPath(component),
        `-Dmaven.repo.local=${MAVEN_REPO_DIR}`,
        'dependency:copy-dependencies',
        '-DincludeScope=runtime',
        `-DoutputDirectory=${scratch}`,
      ],
      { cwd: PROJECT_ROOT, maxBuffer: 16 * 1024 * 1024 },
    );
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; code?: string | number };
    if (e.code === 'ENOENT') {
      throw new StackError('mvn is not installed: install Maven (apt-get install -y maven) and retry', {
        cause: error,
      });
    }
    const output = `${e.stdout ?? ''}${e.stderr ?? ''}`.trim().split('\n').slice(-20).join('\n');
    throw new StackError(`mvn failed to fetch the ${component} jars:\n${output}`, { cause: error });
  }
  const jars = readdirSync(scratch).filter((f) => f.endsWith('.jar'));
  if (jars.length === 0) throw new StackError(`mvn fetched no jars for ${component} into ${scratch}`);
  writeFileSync(join(scratch, MARKER), `${pomHash(component)}\n`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(scratch, dir);
  progress(component, `fetched ${jars.length} jars`);
  return dir;
}
