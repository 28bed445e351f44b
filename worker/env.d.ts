// Secrets and optional variables that `wrangler types` cannot see in wrangler.toml.
interface CutoverOptionalEnv {
  /** Secret: HMAC key for tester override tokens; unset disables overrides. */
  CUTOVER_OVERRIDE_SECRET?: string;
  /** Age in ms after which an isolate re-reads the route table (default 2000). */
  CUTOVER_CONFIG_TTL_MS?: string;
}
interface Env extends CutoverOptionalEnv {}
declare namespace Cloudflare {
  interface Env extends CutoverOptionalEnv {}
}
