// The unit tests StrykerJS runs against each mutant (`npm run test:mutation`): the unit project's settings,
// limited to the tests of the mutated files (the CDK tests take most of the unit run and test none of them).
import { defineConfig } from 'vitest/config';
import { stackTests } from './vitest.config.js';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    include: ['test/core/**/*.test.ts', 'test/aws/**/*.test.ts', 'test/lambdas/msk-consumer.test.ts'],
    exclude: stackTests,
  },
});
