import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

process.env.WRANGLER_SEND_METRICS = "false";
process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";

/**
 * test/ mirrors the source tree; the runtime is chosen by file name: `*.workerd.test.ts` runs
 * inside workerd (@cloudflare/vitest-plugin), every other `*.test.ts` in Node, and test/e2e/
 * drives real processes over real sockets.
 */
const WORKERD = "test/**/*.workerd.test.ts";
const E2E = "test/e2e/**/*.test.ts";

export default defineConfig({
  test: {
    // Expected failures log structured lines; show output only for tests that fail.
    silent: "passed-only",
    projects: [
      {
        test: {
          name: "unit",
          environment: "node",
          include: ["test/**/*.test.ts"],
          exclude: [WORKERD, E2E],
          globalSetup: ["test/support/global-setup.ts"],
          testTimeout: 30_000,
        },
      },
      {
        plugins: [cloudflareTest({ wrangler: { configPath: "./wrangler.toml" } })],
        test: {
          name: "workerd",
          include: [WORKERD],
          globalSetup: ["test/support/global-setup.ts"],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: "e2e",
          environment: "node",
          include: [E2E],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
