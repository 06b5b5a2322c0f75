import { readFileSync } from 'node:fs';
import type { CloudFormationCustomResourceDeleteEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { intProp, PropertyError, stringListProp, stringProp } from '../../lambdas/custom-resource.js';
import { databaseProtectionHandler } from '../../lambdas/database-protection-provider.js';
import { handler as searchSetup } from '../../lambdas/search-setup-provider.js';
import { handler as topics } from '../../lambdas/topics-provider.js';
import { handler as usersSchema } from '../../lambdas/users-schema-provider.js';

const fixture = readFileSync(new URL('../fixtures/cfn-delete-event.json', import.meta.url), 'utf8');
const deleteEvent = (): CloudFormationCustomResourceDeleteEvent => JSON.parse(fixture);

describe('custom resource handlers on Delete', () => {
  it.each([
    ['topics', topics],
    ['users schema', usersSchema],
    ['search setup', searchSetup],
    ['database deletion protection', databaseProtectionHandler()],
  ])('the %s handler keeps the data and its physical id, without calling AWS', async (_name, handler) => {
    // No properties, no region, no credentials: any AWS call would throw.
    const context = { getRemainingTimeInMillis: () => 300_000 };
    await expect(handler(deleteEvent(), context)).resolves.toEqual({
      PhysicalResourceId: 'existing-physical-id',
    });
  });
});

describe('property readers', () => {
  it('accepts numbers as CloudFormation sends them, as strings', () => {
    expect(intProp({ N: '12' }, 'N')).toBe(12);
    expect(intProp({ N: 12 }, 'N')).toBe(12);
    expect(intProp({}, 'N', { fallback: 3 })).toBe(3);
  });

  it('names the property, the value and the expectation', () => {
    expect(() => intProp({ N: '1.5' }, 'N', { min: 1 })).toThrow(
      'property N must be an integer >= 1, got "1.5"',
    );
    expect(() => stringProp({}, 'Endpoint')).toThrow(
      'property Endpoint must be a non-empty string, got undefined',
    );
    expect(() => stringListProp({ L: 'a' }, 'L')).toThrow(PropertyError);
  });
});
