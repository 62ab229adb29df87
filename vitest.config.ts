import { tmpdir } from 'node:os';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores is all a machine here has; e2e tests spawn the CLI and local servers.
    maxWorkers: 2,
    // The user-level state directory (history, opt-outs): never the machine user's own.
    env: { CAMPAIGN_HOME: path.join(tmpdir(), `campaign-vitest-home-${process.pid}`) },
    // The JSON report lets .ci/run print one plain "N passed, N failed" line.
    reporters: ['default', ['json', { outputFile: '.test-results/vitest.json' }]],
  },
});
