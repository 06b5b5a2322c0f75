// Two projects: `unit` (no services, parallel) and `stack` (real Kafka, MariaDB and OpenSearch; one file
// at a time, after test/stack-setup.ts has made sure the local stack is up). `npm test` runs both.
// A test belongs to the stack project by its place (test/integration/), its name (*.stack.test.ts) or, for
// test/local/, by being listed here: the other tests of test/local/ (CLI parsing, endpoints, the soak's
// schedule, fake components) need no service and run with the unit tests. A new test/local/ file that needs the
// stack, spawns the consumer or stops the stack goes in this list.
import { defineConfig } from 'vitest/config';

export const stackTests = [
  'test/integration/**/*.test.ts',
  // consume-status and environment spawn the bundled consumer (built into dist/ on demand, one build at a time);
  // stack-start-failure stops and restarts the stack itself.
  'test/local/{components,consume-status,dashboard,environment,event-source-mapping,stack-start-failure,status}.test.ts',
  'test/**/*.stack.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 180_000,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: stackTests },
      },
      {
        extends: true,
        test: {
          name: 'stack',
          include: stackTests,
          globalSetup: ['test/stack-setup.ts'],
          fileParallelism: false,
          testTimeout: 300_000,
        },
      },
    ],
  },
});
