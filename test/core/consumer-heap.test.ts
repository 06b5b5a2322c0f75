// The consumer's V8 heap: sized from the memory it is given, leaving room outside the old generation.
import { describe, expect, it } from 'vitest';
import { CONSUMER_MEMORY_MIB, consumerNodeOptions } from '../../core/consumer-heap.js';

describe('consumerNodeOptions', () => {
  it('gives the old generation the memory less 256 MiB, and 32 MiB semi-spaces', () => {
    expect(CONSUMER_MEMORY_MIB).toBe(1024);
    expect(consumerNodeOptions()).toEqual(['--max-old-space-size=768', '--max-semi-space-size=32']);
    expect(consumerNodeOptions(2048)).toEqual(['--max-old-space-size=1792', '--max-semi-space-size=32']);
  });
});
