// Shared plumbing of the custom-resource onEvent handlers (CDK `custom_resources.Provider` framework): typed
// access to ResourceProperties, which CloudFormation delivers with every scalar turned into a string.
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';

/** What an onEvent handler returns to the Provider framework. */
export interface OnEventResponse {
  readonly PhysicalResourceId: string;
  readonly Data?: Record<string, string | number>;
}

export type OnEventHandler = (event: CloudFormationCustomResourceEvent) => Promise<OnEventResponse>;

export class PropertyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PropertyError';
  }
}

export type Props = Record<string, unknown>;

export function stringProp(props: Props, key: string): string {
  const value = props[key];
  if (typeof value !== 'string' || value.trim() === '') {
    throw new PropertyError(`property ${key} must be a non-empty string, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Accepts 3 or "3" (CloudFormation stringifies numbers). */
export function intProp(
  props: Props,
  key: string,
  options: { min?: number; fallback?: number } = {},
): number {
  const raw = props[key];
  if ((raw === undefined || raw === '') && options.fallback !== undefined) return options.fallback;
  const value =
    typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*-?\d+\s*$/.test(raw) ? Number(raw) : NaN;
  const min = options.min ?? 0;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new PropertyError(`property ${key} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

export function stringListProp(props: Props, key: string): string[] {
  const value = props[key];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v !== '')) {
    throw new PropertyError(
      `property ${key} must be a list of non-empty strings, got ${JSON.stringify(value)}`,
    );
  }
  return value as string[];
}
