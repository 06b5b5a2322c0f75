import { describe, expect, it } from 'vitest';
import {
  type Dependency,
  mysqlDependency,
  opensearchDependency,
  redactUrl,
  waitForDependencies,
} from '../../core/dependencies.js';
import { ConfigError, UnreachableError } from '../../core/errors.js';

const fix = () => 'start it';

function flaky(component: string, failures: number, error = new Error('connect ECONNREFUSED')) {
  let calls = 0;
  const dependency: Dependency & { calls: () => number } = {
    component,
    url: `${component.toLowerCase()}://here`,
    calls: () => calls,
    async check() {
      calls++;
      if (calls <= failures) throw error;
    },
  };
  return dependency;
}

describe('waitForDependencies', () => {
  it('waits for a dependency that answers after a few tries', async () => {
    const kafka = flaky('Kafka', 2);
    await waitForDependencies([kafka], { timeoutMs: 60_000, pollMs: 1, fix });
    expect(kafka.calls()).toBe(3);
  });

  it('names the component, its URL, the reason and the fix when it never answers', async () => {
    const wait = waitForDependencies([flaky('Kafka', 0), flaky('MySQL', Number.POSITIVE_INFINITY)], {
      timeoutMs: 0,
      pollMs: 1,
      fix: (never) => `start ${never.map((d) => d.component).join(' and ')}`,
    });
    await expect(wait).rejects.toThrow(UnreachableError);
    await expect(wait).rejects.toThrow(
      'cannot reach MySQL at mysql://here (connect ECONNREFUSED): start MySQL',
    );
  });

  it('names every dependency that never answered in the one message', async () => {
    const down = (name: string) => flaky(name, Number.POSITIVE_INFINITY);
    const wait = waitForDependencies([down('Kafka'), down('MySQL')], {
      timeoutMs: 0,
      pollMs: 1,
      fix: (never) => `start ${never.map((d) => d.component).join(' and ')}`,
    });
    await expect(wait).rejects.toThrow(
      'cannot reach Kafka at kafka://here (connect ECONNREFUSED), MySQL at mysql://here (connect ECONNREFUSED): start Kafka and MySQL',
    );
  });

  it('gives up at once on a refusal that waiting cannot change', async () => {
    const refused = flaky(
      'MySQL',
      Number.POSITIVE_INFINITY,
      new ConfigError('MySQL refused us: bad password'),
    );
    await expect(waitForDependencies([refused], { timeoutMs: 60_000, pollMs: 1, fix })).rejects.toThrow(
      'MySQL refused us: bad password',
    );
    expect(refused.calls()).toBe(1);
  });
});

describe('the dependency checks', () => {
  it('refuse a URL that is not one, without waiting', async () => {
    await expect(mysqlDependency('127.0.0.1:3306').check()).rejects.toThrow(ConfigError);
    await expect(opensearchDependency('ftp://x').check()).rejects.toThrow(
      /must start with http:\/\/ or https:\/\//,
    );
  });

  it('never show a password', () => {
    expect(redactUrl('mysql://app:s3cret@db:3306/x')).toBe('mysql://app:***@db:3306/x');
    expect(mysqlDependency('mysql://app:s3cret@db:3306/x').url).not.toContain('s3cret');
  });
});
