import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/unit/**/*.test.ts', 'tests/integration/**/*.test.ts'],
    globalSetup: ['tests/support/global-setup.ts'],
    // Integration tests start real host workers; two cores do not gain from running many files at once.
    fileParallelism: true,
    maxWorkers: 2,
    testTimeout: 30_000,
  },
});
