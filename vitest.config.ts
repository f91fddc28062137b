import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['protocol/src/**/*.test.ts', 'server/src/**/*.test.ts', 'client/src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
  },
});
