import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'local-runtime/**/*.test.ts', 'stubs/**/*.test.ts', 'cli/**/*.test.ts', 'bench/**/*.test.ts'],
    // Builds bin/main.wasm once and picks the engines (Viceroy must be there with CI=true).
    globalSetup: ['test/global-setup.ts'],
    reporters: ['default', './test/engine-count-reporter.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
