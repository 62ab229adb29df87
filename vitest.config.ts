import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // e2e tests spawn the built CLI and local servers; two cores is all a machine here has.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
