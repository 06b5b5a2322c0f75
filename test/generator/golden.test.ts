// Golden values of the generator: the same seed must give the same events, byte for byte, across versions,
// or a replayed seed would no longer reproduce a run (and its ground truth). The expected bytes are committed
// in test/fixtures/generator-golden.jsonl; a deliberate change of the events regenerates it with `-u`.
import { describe, expect, it } from 'vitest';
import { createEventSource } from '../../generator/events.js';

const GOLDEN = {
  seed: 'golden',
  badRatio: 0.3,
  suspiciousRatio: 0.3,
  accounts: 1_000,
  // A fixed clock: event timestamps are drawn relative to it.
  nowSeconds: 1_764_000_000,
};

/** One line per event: the exact value bytes (base64, since bad events hold invalid UTF-8) and what to expect. */
function goldenLines(count: number): string {
  const source = createEventSource(GOLDEN);
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const e = source.next();
    lines.push(
      JSON.stringify({
        key: e.key,
        value: e.value === null ? null : e.value.toString('base64'),
        expected: e.expected,
        ...(e.badKind === undefined ? {} : { badKind: e.badKind }),
        ...(e.suspiciousKind === undefined ? {} : { suspiciousKind: e.suspiciousKind }),
      }),
    );
  }
  return `${lines.join('\n')}\n`;
}

describe('the generator with a fixed seed', () => {
  it('produces the committed first 200 events byte for byte', async () => {
    await expect(goldenLines(200)).toMatchFileSnapshot('../fixtures/generator-golden.jsonl');
  });

  it('covers every category in the golden events, so the fixture guards all of them', () => {
    const expected = new Set(
      goldenLines(200)
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).expected),
    );
    expect([...expected].sort()).toEqual(['bad', 'good', 'suspicious']);
  });
});
