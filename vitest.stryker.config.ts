import { defineConfig } from "vitest/config";

/**
 * The tests StrykerJS runs against each mutant of the pure core (`npm run mutate`): the Node
 * unit tests of routes/, compare/, identity/, accounting/, rollout/, migration/, cost/ and lib/ — fast, no workerd, no I/O
 * but the embedded DynamoDB some of them start.
 */
export default defineConfig({
  test: {
    environment: "node",
    include: ["test/routes/**/*.test.ts", "test/compare/**/*.test.ts", "test/accounting/**/*.test.ts", "test/rollout/**/*.test.ts", "test/identity/**/*.test.ts", "test/migration/**/*.test.ts", "test/cost/**/*.test.ts", "test/lib/**/*.test.ts"],
    exclude: ["test/**/*.workerd.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    testTimeout: 30_000,
  },
});
