// One rule for every environment variable a command reads: a bad value is one line naming it and exit 2, for
// every command and even for --help, never a stack trace or a silent default; a good one is honoured, behind
// the flag that overrides it.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createCommand, envDefault, integer, parseCommand, valueOption } from '../../local/cli.js';
import { consumeArgs } from '../../local/consume-process.js';

const execFileAsync = promisify(execFile);

/** node's arguments for each `npm run <command>`, as package.json starts them. */
const COMMANDS: Record<string, string[]> = {
  consume: consumeArgs([]),
  produce: ['--import', 'tsx', 'generator/cli.ts'],
  monitor: ['--import', 'tsx', 'local/monitor.ts'],
  dashboard: ['--import', 'tsx', 'local/dashboard.ts'],
  demo: ['--import', 'tsx', 'local/demo.ts'],
  soak: ['--import', 'tsx', 'local/soak.ts'],
  'stack:start': ['--import', 'tsx', 'local/stack.ts', 'start'],
  'stack:status': ['--import', 'tsx', 'local/stack.ts', 'status'],
  'stack:stop': ['--import', 'tsx', 'local/stack.ts', 'stop'],
  bench: ['--import', 'tsx', 'bench/run.ts'],
};

async function run(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, args, {
      env: { ...process.env, ...env },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('a bad LOCAL_PORT_OFFSET', () => {
  it.each(Object.keys(COMMANDS))('makes `%s --help` one line and exit 2', async (name) => {
    for (const value of ['15', 'abc']) {
      const { code, stdout, stderr } = await run([...(COMMANDS[name] ?? []), '--help'], {
        LOCAL_PORT_OFFSET: value,
      });
      expect(code, stderr).toBe(2);
      expect(stdout).toBe('');
      expect(stderr.trimEnd().split('\n')).toEqual([
        expect.stringMatching(
          new RegExp(
            `^\\S+: environment variable LOCAL_PORT_OFFSET must be a multiple of 10 from 0 to 90, got '${value}'$`,
          ),
        ),
      ]);
    }
  });
});

describe('npm run consume', () => {
  it.each([
    ['CHUNK_SIZE', '0', "CHUNK_SIZE must be an integer of at least 1, got '0'"],
    ['CHUNK_SIZE', 'many', "CHUNK_SIZE must be an integer of at least 1, got 'many'"],
    ['BULK_MAX_BYTES', '12', "BULK_MAX_BYTES must be an integer of at least 1048576, got '12'"],
    ['LOG_LEVEL', 'bogus', "LOG_LEVEL must be one of debug, info, warn, error, got 'bogus'"],
    ['LOG_FORMAT', 'xml', "LOG_FORMAT must be one of json, pretty, got 'xml'"],
    ['STARTUP_TIMEOUT', 'soon', "STARTUP_TIMEOUT must be a duration such as 30s, 2m or 500ms, got 'soon'"],
    ['KAFKA_BROKERS', ',', "KAFKA_BROKERS must be comma-separated host:port pairs, got ','"],
    ['OPENSEARCH_URL', 'localhost:9200', 'OPENSEARCH_URL must be an http:// or https:// URL'],
    ['MYSQL_URL', 'root@localhost', 'MYSQL_URL must be a URL such as mysql://'],
  ])('refuses %s=%s in one line with exit 2, before touching anything', async (name, value, message) => {
    const { code, stderr } = await run(COMMANDS.consume ?? [], { [name]: value });
    expect(code, stderr).toBe(2);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(stderr).toContain(`consume: environment variable ${message}`);
  });

  it.each([
    [
      [...(COMMANDS.consume ?? []), '--refresh-interval', '1'],
      "consume: --refresh-interval must be a whole number of ms, s or m, such as 500ms or 1s, got '1'",
    ],
    [
      [...(COMMANDS.bench ?? []), '--refresh-interval', '0s'],
      "bench: --refresh-interval must be a whole number of ms, s or m, such as 500ms or 1s, got '0s'",
    ],
    [
      [...(COMMANDS.bench ?? []), '--e2e', '--latency-only'],
      'bench: --latency-only needs --e2e and --latency-rate',
    ],
  ])('refuses a bad refresh interval or latency run in one line with exit 2: %j', async (args, message) => {
    const { code, stderr } = await run(args, {});
    expect(code, stderr).toBe(2);
    expect(stderr.trimEnd().split('\n')).toEqual([expect.stringContaining(message)]);
  });

  it('takes --chunk-size and --bulk-max-bytes from CHUNK_SIZE and BULK_MAX_BYTES, and says so in --help', async () => {
    const { code, stdout } = await run([...(COMMANDS.consume ?? []), '--help'], {
      CHUNK_SIZE: '3000',
      BULK_MAX_BYTES: '2097152',
    });
    expect(code).toBe(0);
    const help = stdout.replace(/\s+/g, ' ');
    expect(help).toContain('(default: 3000 from env CHUNK_SIZE; built-in 2000)');
    expect(help).toContain('(default: 2097152 from env BULK_MAX_BYTES; built-in 5242880)');
    const plain = (await run([...(COMMANDS.consume ?? []), '--help'], { CHUNK_SIZE: '' })).stdout;
    expect(plain.replace(/\s+/g, ' ')).toContain('(default: 2000, or env CHUNK_SIZE)');
  });
});

describe('envDefault', () => {
  const parse = (env: Record<string, string | undefined>, ...argv: string[]) => {
    const saved = process.env.TEST_CHUNK;
    process.env.TEST_CHUNK = env.TEST_CHUNK;
    if (env.TEST_CHUNK === undefined) delete process.env.TEST_CHUNK;
    try {
      const command = createCommand('t', 't').addOption(
        envDefault(valueOption('--chunk <n>', 'records', integer()), 'TEST_CHUNK', 2000, 1),
      );
      return parseCommand<{ chunk: number }>(command, argv).options.chunk;
    } finally {
      if (saved === undefined) delete process.env.TEST_CHUNK;
      else process.env.TEST_CHUNK = saved;
    }
  };

  it('uses the flag, else the variable, else the built-in default', () => {
    expect(parse({})).toBe(2000);
    expect(parse({ TEST_CHUNK: '500' })).toBe(500);
    expect(parse({ TEST_CHUNK: '500' }, '--chunk', '7')).toBe(7);
  });
});
