// StrykerJS on the files that carry the pipeline's promise (`npm run test:mutation`, README "Mutation
// testing"): every record one document in its category, its id stable across replays, offsets committed only
// after indexing, outages waited out, permanent errors stopping the consumer, poison records dead-lettered.
// Only the unit tests run (vitest.mutation.config.ts): no stack needed. Survivors and why each one is
// harmless: test/mutation-survivors.md.
//
// Left out of core/, and why:
// - dashboards.ts, visualisation-query.ts, logger.ts, metrics.ts: presentation (saved objects, log lines,
//   metric names); a mutant there changes what a person sees, never which document a record becomes.
// - index-templates.ts, search-security.ts, users-schema.ts, topics.ts, group-offsets.ts, producer.ts,
//   kafka-log.ts, dependencies.ts: set up or probe the real services; only the stack tests can tell a
//   mutant there from the original.
// - countries.ts, errors.ts, env.ts, source-record.ts: data and type declarations, nothing to decide.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  // Log lines and error messages are left out of the score (stryker/message-ignorer.mjs says why).
  plugins: ['@stryker-mutator/*', './stryker/message-ignorer.mjs'],
  ignorers: ['messages'],
  vitest: { configFile: 'vitest.mutation.config.ts' },
  mutate: [
    'core/classify.ts',
    'core/consumer.ts',
    'core/dead-letter.ts',
    'core/documents.ts',
    'core/event.ts',
    'core/indexer.ts',
    'core/iso-time.ts',
    'core/process-batch.ts',
    'core/retry.ts',
    'core/topic-recreation.ts',
    'core/users.ts',
    'aws/rds-users-source.ts',
  ],
  coverageAnalysis: 'perTest',
  // Two cores, shared: one runner per core at most.
  concurrency: 2,
  // A mutant that makes the loop spin is a timeout (detected): no need to wait long for it.
  timeoutMS: 5_000,
  reporters: ['clear-text', 'html', 'json', 'progress'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  // Not copied into the sandbox: the local stack's data, sockets and logs (a running MariaDB's socket cannot be
  // copied at all), build and synth output, reports.
  ignorePatterns: ['.local', 'dist', 'cdk.out', 'cdk.out.*', 'reports', 'test-artifacts', '.venv'],
  cleanTempDir: 'always',
  thresholds: { high: 95, low: 90, break: null },
};
