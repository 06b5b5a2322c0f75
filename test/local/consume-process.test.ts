// The bench, the soak and the tests start the consumer the way `npm run consume` does.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONSUME_SCRIPT } from '../../local/consume-process.js';

describe('CONSUME_SCRIPT', () => {
  it("is what package.json's consume script runs", () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.consume).toBe(`node ${CONSUME_SCRIPT.join(' ')}`);
  });
});
