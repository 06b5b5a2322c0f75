import { describe, expect, it } from 'vitest';
import { numberOption, parseCliArgs, UsageError } from '../../local/cli.js';

describe('parseCliArgs', () => {
  const options = {
    events: { type: 'string', default: '10' },
    quiet: { type: 'boolean', default: false },
  } as const;

  it('parses known options with their defaults', () => {
    expect(parseCliArgs(options, ['--quiet'])).toEqual({ events: '10', quiet: true });
  });

  it('turns an unknown option into a one-line UsageError', () => {
    expect(() => parseCliArgs(options, ['--bogus'])).toThrow(new UsageError("Unknown option '--bogus'"));
  });

  it('turns a missing value into a UsageError', () => {
    expect(() => parseCliArgs(options, ['--events'])).toThrow(UsageError);
  });
});

describe('numberOption', () => {
  it('accepts values in range', () => {
    expect(numberOption('events', '5')).toBe(5);
    expect(numberOption('rate', '0', { min: 0 })).toBe(0);
    expect(numberOption('ratio', '0.25', { integer: false, min: 0 })).toBe(0.25);
  });

  it.each([
    ['0', "--events must be an integer >= 1, got '0'"],
    ['1.5', "--events must be an integer >= 1, got '1.5'"],
    ['ten', "--events must be an integer >= 1, got 'ten'"],
  ])('rejects %s naming the option and the value', (raw, message) => {
    expect(() => numberOption('events', raw)).toThrow(message);
  });
});
