import { describe, expect, it } from 'vitest';
import {
  createCommand,
  decimal,
  durationMs,
  HelpShown,
  integer,
  parseCommand,
  ratio,
  UsageError,
  valueOption,
} from '../../local/cli.js';
import { LOCAL_PORTS } from '../../local/endpoints.js';
import { startupTimeoutOption } from '../../local/startup.js';

const command = () =>
  createCommand('test', 'a test command')
    .addOption(valueOption('--events <n>', 'events', integer(), 10))
    .addOption(valueOption('--ratio <r>', 'share', ratio, 0.5))
    .option('--quiet', 'no output');

const parse = (...argv: string[]) => parseCommand<Record<string, unknown>>(command(), argv).options;

describe('parseCommand', () => {
  it('parses known options, typed, with their defaults', () => {
    expect(parse('--quiet')).toEqual({ events: 10, ratio: 0.5, quiet: true });
    expect(parse('--events', '7', '--ratio=0.25')).toEqual({ events: 7, ratio: 0.25 });
  });

  it.each([
    [['--bogus'], "unknown option '--bogus'"],
    [['--event', '5'], "unknown option '--event' (Did you mean --events?)"],
    [['--events'], "option '--events <n>' argument missing"],
    [['--events', 'ten'], "--events must be an integer >= 1, got 'ten'"],
    [['--ratio', '2'], "--ratio must be a number between 0 and 1, got '2'"],
    [['stray'], 'too many arguments'],
  ])('turns %j into a one-line UsageError', (argv, message) => {
    expect(() => parse(...argv)).toThrow(UsageError);
    expect(() => parse(...argv)).toThrow(message);
    try {
      parse(...argv);
    } catch (error) {
      expect((error as Error).message).not.toContain('\n');
    }
  });

  it('throws HelpShown after printing the help, whatever else is on the line', () => {
    expect(() => parse('--help', '--events', 'nope')).toThrow(HelpShown);
  });

  it('shows the defaults the code uses in the help', () => {
    const help = command().helpInformation();
    expect(help).toMatch(/--events <n>\s+events \(default: 10\)/);
    expect(help).toMatch(/--ratio <r>\s+share \(default: 0\.5\)/);
  });
});

describe('value parsers', () => {
  it('accept values in range', () => {
    expect(integer()('--events', '5')).toBe(5);
    expect(integer({ min: 0 })('--rate', '0')).toBe(0);
    expect(decimal({ min: 0.1 })('--interval', '0.25')).toBe(0.25);
  });

  it.each([
    ['0', "--events must be an integer >= 1, got '0'"],
    ['1.5', "--events must be an integer >= 1, got '1.5'"],
    ['', "--events must be an integer >= 1, got ''"],
  ])('reject %j naming the option and the value', (raw, message) => {
    expect(() => integer()('--events', raw)).toThrow(message);
  });

  it('reads durations in ms, s and m, a bare number being seconds', () => {
    expect(durationMs('--startup-timeout', '90')).toBe(90_000);
    expect(durationMs('--startup-timeout', '30s')).toBe(30_000);
    expect(durationMs('--startup-timeout', '2m')).toBe(120_000);
    expect(durationMs('--startup-timeout', '500ms')).toBe(500);
    expect(() => durationMs('--startup-timeout', '5x')).toThrow(
      "--startup-timeout must be a duration such as 30s, 2m or 500ms, got '5x'",
    );
    expect(() => durationMs('STARTUP_TIMEOUT', '0')).toThrow(UsageError);
  });
});

describe('startupTimeoutOption', () => {
  it('defaults to STARTUP_TIMEOUT when set, else 30 s', () => {
    const timeout = (env: NodeJS.ProcessEnv, ...argv: string[]) =>
      parseCommand<{ startupTimeout: number }>(
        createCommand('t', 't').addOption(startupTimeoutOption(env)),
        argv,
      ).options.startupTimeout;
    expect(timeout({})).toBe(30_000);
    expect(timeout({ STARTUP_TIMEOUT: '2m' })).toBe(120_000);
    expect(timeout({ STARTUP_TIMEOUT: '2m' }, '--startup-timeout', '5s')).toBe(5_000);
    expect(() => timeout({ STARTUP_TIMEOUT: 'soon' })).toThrow(/STARTUP_TIMEOUT must be a duration/);
  });
});

describe('help texts', () => {
  it('show the ports of LOCAL_PORTS, not literals', async () => {
    const { endpointsHelp } = await import('../../local/endpoints.js');
    const help = endpointsHelp({});
    expect(help).toContain(`127.0.0.1:${LOCAL_PORTS.kafka}`);
    expect(help).toContain(`127.0.0.1:${LOCAL_PORTS.opensearch}`);
    expect(help).toContain(`127.0.0.1:${LOCAL_PORTS.mariadb}`);
  });
});
