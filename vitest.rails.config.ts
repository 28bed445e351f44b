import { defineConfig } from "vitest/config";

process.env.WRANGLER_SEND_METRICS = "false";
process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";

/**
 * `npm run test:rails`: a real Rails 6.1 app on Puma (Debian's ruby-rails and puma packages)
 * as the legacy backend, behind cutover as deployed (docs/rails-suite.md). Not part of
 * `npm test`, which needs nothing outside node_modules: these files are named `*.rails.ts`,
 * which vitest.config.ts's projects do not include.
 */
export default defineConfig({
  test: {
    name: "rails",
    environment: "node",
    include: ["test/rails/**/*.rails.ts"],
    globalSetup: ["test/rails/support/global-setup.ts"],
    silent: "passed-only",
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
