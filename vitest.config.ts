import { tmpdir } from 'node:os';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

// Files whose assertions read the wall clock (a ceiling or a rate measured at a local server).
// On two cores shared with the other files, a descheduled process stamps a batch of requests
// together and a healthy gate looks bunched or slow; so these run last, one file at a time, on a
// machine nothing else in the suite is using.
const timing = [
  'test/e2e/rate.e2e.test.ts',
  'test/e2e/store-limits.e2e.test.ts',
  'test/e2e/resume-options.e2e.test.ts',
  'test/e2e/health.e2e.test.ts',
  'test/unit/dispatch/rate-http.test.ts',
  'test/unit/dispatch/rate-gate.test.ts',
  'test/unit/dispatch/dispatcher.test.ts',
  'test/unit/store/shared-limits.test.ts',
  // A million history lines within a time bound.
  'test/unit/history/history.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores is all a machine here has; e2e tests spawn the CLI and local servers.
    maxWorkers: 2,
    // The user-level state directory (history, opt-outs): never the machine user's own.
    env: { CAMPAIGN_HOME: path.join(tmpdir(), `campaign-vitest-home-${process.pid}`) },
    // The JSON report lets .ci/run print one plain "N passed, N failed" line.
    reporters: ['default', ['json', { outputFile: '.test-results/vitest.json' }]],
    projects: [
      { extends: true, test: { name: 'main', include: ['test/**/*.test.ts'], exclude: timing } },
      {
        extends: true,
        test: { name: 'timing', include: timing, fileParallelism: false, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
