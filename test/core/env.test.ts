// The environment helpers every entry point reads its variables with: a bad value is an EnvError naming it.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { boolEnv, checkEnvAtLoad, enumEnv, envAtLoad, intEnv, requireEnv } from '../../core/env.js';
import { ConfigError, EnvError } from '../../core/errors.js';
import { checkLogEnv, logLevelFromEnv } from '../../core/logger.js';

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('environment helpers', () => {
  it('read integers with a lower bound, and refuse anything else naming the variable', () => {
    vi.stubEnv('N', '');
    expect(intEnv('N', 7, 1)).toBe(7);
    vi.stubEnv('N', '12');
    expect(intEnv('N', 7, 1)).toBe(12);
    for (const bad of ['0', '1.5', 'x', '9007199254740993']) {
      vi.stubEnv('N', bad);
      expect(() => intEnv('N', 7, 1)).toThrow(EnvError);
      expect(() => intEnv('N', 7, 1)).toThrow(
        `environment variable N must be an integer of at least 1, got '${bad}'`,
      );
    }
  });

  it('read one of a set of words, case-insensitive, and booleans', () => {
    vi.stubEnv('W', 'WARN');
    expect(enumEnv('W', ['info', 'warn'])).toBe('warn');
    vi.stubEnv('W', 'loud');
    expect(() => enumEnv('W', ['info', 'warn'])).toThrow(
      "environment variable W must be one of info, warn, got 'loud'",
    );
    vi.stubEnv('B', 'False');
    expect(boolEnv('B', true)).toBe(false);
    vi.stubEnv('B', 'flase');
    expect(() => boolEnv('B', true)).toThrow(/B must be one of true, false/);
    vi.stubEnv('B', '');
    expect(boolEnv('B', true)).toBe(true);
  });

  it('make a missing required variable an EnvError, still a ConfigError', () => {
    vi.stubEnv('R', '');
    expect(() => requireEnv('R')).toThrow(EnvError);
    expect(() => requireEnv('R')).toThrow(ConfigError);
  });

  it('keep a bad value read at module load for the first check, with a stand-in until then', () => {
    expect(() => checkEnvAtLoad()).not.toThrow();
    const value = envAtLoad(() => {
      throw new EnvError('environment variable X must be good');
    }, 42);
    expect(value).toBe(42);
    expect(() => checkEnvAtLoad()).toThrow('environment variable X must be good');
    expect(() =>
      envAtLoad(() => {
        throw new TypeError('a bug');
      }, 0),
    ).toThrow(TypeError);
  });
});

describe('logging settings', () => {
  it('refuses a LOG_LEVEL or LOG_FORMAT it does not know instead of logging at info', () => {
    vi.stubEnv('LOG_LEVEL', 'bogus');
    expect(() => logLevelFromEnv()).toThrow(
      "environment variable LOG_LEVEL must be one of debug, info, warn, error, got 'bogus'",
    );
    vi.stubEnv('LOG_LEVEL', 'Debug');
    expect(logLevelFromEnv()).toBe('debug');
    vi.stubEnv('LOG_LEVEL', '');
    expect(logLevelFromEnv('warn')).toBe('warn');
    vi.stubEnv('LOG_FORMAT', 'xml');
    expect(() => checkLogEnv()).toThrow(/LOG_FORMAT must be one of json, pretty, got 'xml'/);
  });
});
