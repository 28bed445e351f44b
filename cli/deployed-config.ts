import path from "node:path";
import { PROJECT_ROOT } from "./wrangler-dev.ts";

/** What a deploy of wrangler.toml's top-level environment binds and runs with, besides the code. */
export interface DeployedConfig {
  readonly compatibilityDate: string;
  readonly compatibilityFlags: readonly string[];
  /** `[vars]`: a string is a text binding, anything else a JSON one (as wrangler binds them). */
  readonly vars: Readonly<Record<string, unknown>>;
}

/**
 * wrangler.toml read by wrangler itself (its `unstable_readConfig`), so the local Worker gets
 * the compatibility date, flags and `[vars]` defaults a deploy would, whatever TOML they use.
 */
export async function readDeployedConfig(): Promise<DeployedConfig> {
  const wrangler = await import("wrangler");
  const config = wrangler.unstable_readConfig({ config: path.join(PROJECT_ROOT, "wrangler.toml") }, { hideWarnings: true });
  if (config.compatibility_date === undefined) throw new Error("wrangler.toml has no compatibility_date");
  return { compatibilityDate: config.compatibility_date, compatibilityFlags: config.compatibility_flags, vars: { ...config.vars } };
}
