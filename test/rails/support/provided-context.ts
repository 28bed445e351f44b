/** Values the Rails suite's global setup provides to its tests (`inject("railsPort")`). */
declare module "vitest" {
  export interface ProvidedContext {
    /** test/rails/app on Puma, on 127.0.0.1. */
    railsPort: number;
    /** The app's SECRET_KEY_BASE, for tests that read its session cookie at the edge. */
    railsSecretKeyBase: string;
    /** Holds `cutover/index.js`, the `wrangler deploy` bundle, built once per run. */
    cutoverBundleRoot: string;
  }
}
export {};
