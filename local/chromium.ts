// Debian's Chromium for the dashboard's browser test (test/local/dashboard.test.ts, driven by
// puppeteer-core): installed with apt when missing, as root on Debian, like the stack's MariaDB. No browser
// download of puppeteer's own: the package is the system's. `npm run chromium:install` runs it (CI does, before
// the tests); the test calls it too, so `npm test` works on a fresh machine. Idempotent.
import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { Command, CommanderError } from 'commander';

const execFileAsync = promisify(execFile);

/** Where Debian's package puts it; CHROMIUM_PATH points the test at another Chromium or Chrome. */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.CHROMIUM_PATH ?? '/usr/bin/chromium';
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function apt(args: readonly string[]): Promise<void> {
  try {
    await execFileAsync('apt-get', args, {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    const output = `${e.stdout ?? ''}${e.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
    throw new Error(`apt-get ${args.join(' ')} failed:\n${output}`, { cause: error });
  }
}

/** The path of a runnable Chromium, installing Debian's `chromium` package first when there is none. */
export async function ensureChromium(progress: (line: string) => void = () => {}): Promise<string> {
  const path = chromiumPath();
  if (isExecutable(path)) return path;
  if (process.env.CHROMIUM_PATH !== undefined) {
    throw new Error(`CHROMIUM_PATH=${path} is not an executable: point it at a Chromium or Chrome binary`);
  }
  if (process.getuid?.() !== 0 || !existsSync('/etc/debian_version')) {
    throw new Error(
      `${path} not found: install Chromium (Debian: sudo apt-get install -y chromium) or set CHROMIUM_PATH`,
    );
  }
  progress('chromium not found: apt-get update && apt-get install -y chromium');
  await apt(['update', '-q']);
  await apt(['install', '-y', '-q', 'chromium']);
  if (!isExecutable(path)) throw new Error(`apt-get installed chromium, but ${path} is still missing`);
  return path;
}

async function main(): Promise<number> {
  const cli = new Command()
    .name('npm run chromium:install')
    .description("Installs Debian's chromium (for the dashboard's browser test) unless it is there.")
    .showSuggestionAfterError(false)
    .exitOverride()
    .configureOutput({
      outputError: (text, write) =>
        write(`chromium:install: ${text.replace(/^error: /, '').trim()} (see --help)\n`),
    });
  try {
    cli.parse();
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    throw error;
  }
  const { stdout } = await execFileAsync(await ensureChromium((line) => console.log(line)), ['--version']);
  console.log(`${stdout.trim()} at ${chromiumPath()}`);
  return 0;
}

if (process.argv[1] && pathToFileURL(realpathSync(process.argv[1])).href === import.meta.url) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`chromium:install failed: ${error instanceof Error ? error.message : error}`);
      process.exit(1);
    },
  );
}
