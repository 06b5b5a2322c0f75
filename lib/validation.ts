// How a construct refuses a prop that cannot deploy: one error naming where (the construct's path, or
// `logPipeline` for the context), the prop, the value received and the fix. Each construct module exports the
// checks of its props as a function taking a `Fail`; the constructor runs it with `failIn(this)`, and lib/config.ts
// runs the same function on the context, with a `Fail` that names the context key the prop comes from.
import { Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** A prop value that cannot deploy. The message is `<where>: <prop>: <fix>, got <value>`. */
export class PropsError extends Error {
  override name = 'PropsError';
  constructor(
    readonly where: string,
    readonly prop: string,
    readonly value: unknown,
    fix: string,
    message = `${where}: ${prop}: ${fix}, got ${JSON.stringify(value)}`,
  ) {
    super(message);
  }
}

/** Refuses `value` of `prop` with `fix`. */
export type Fail = (prop: string, value: unknown, fix: string) => never;

/** The `Fail` of a construct's own props: the error names the construct's path. */
export function failIn(scope: IConstruct): Fail {
  return (prop, value, fix) => {
    throw new PropsError(scope.node.path, prop, value, fix);
  };
}

/** An integer from `min` to `max`; a token (known only at deploy time) passes. */
export function checkInteger(fail: Fail, prop: string, value: number, min: number, max: number): void {
  if (typeof value === 'number' && Token.isUnresolved(value)) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(prop, value, `must be an integer between ${min} and ${max}`);
  }
}

/** A string matching `pattern`; a token passes. */
export function checkPattern(fail: Fail, prop: string, value: string, pattern: RegExp, fix: string): void {
  if (typeof value === 'string' && Token.isUnresolved(value)) return;
  if (typeof value !== 'string' || !pattern.test(value)) fail(prop, value, fix);
}

/** One of `allowed`. */
export function checkOneOf<T>(fail: Fail, prop: string, value: T, allowed: readonly T[]): void {
  if (!allowed.includes(value))
    fail(prop, value, `use ${allowed.map((a) => JSON.stringify(a)).join(' or ')}`);
}

/** true or false. */
export function checkBoolean(fail: Fail, prop: string, value: boolean): void {
  if (typeof value !== 'boolean') fail(prop, value, 'must be true or false');
}
