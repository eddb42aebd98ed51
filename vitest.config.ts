import { defineConfig } from 'vitest/config';

// Two projects: unit suites run in parallel; suites that drive the real PC/SC stack
// (`*.pcsc.test.ts`) share pcscd's two vpcd slots and so run one file at a time.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['tests/**/*.test.ts'],
          exclude: ['tests/**/*.pcsc.test.ts', '**/node_modules/**'],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'pcsc',
          include: ['tests/**/*.pcsc.test.ts'],
          fileParallelism: false,
          globalSetup: ['tests/setup/pcscStack.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
