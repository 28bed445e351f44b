// Secrets, which `wrangler types` cannot see in wrangler.toml (wrangler secret put NAME).
interface CutoverSecrets {
  /** HMAC key for tester override tokens; unset disables overrides. */
  CUTOVER_OVERRIDE_SECRET?: string;
  /** JSON: SHA-256 of each admin token → { name, role }. See `cutover token create`. */
  CUTOVER_ADMIN_TOKENS?: string;
  /**
   * AWS credentials: for the DynamoDB table (GetItem, PutItem, UpdateItem, Query on it only)
   * and for signing requests to `aws-iam` backends (lambda:InvokeFunctionUrl, execute-api:Invoke).
   */
  AWS_ACCESS_KEY_ID?: string;
  AWS_SECRET_ACCESS_KEY?: string;
  /** Only with temporary credentials. */
  AWS_SESSION_TOKEN?: string;
  /** Credentials for the DynamoDB table alone, when they differ from those that sign backends (the local stack). */
  CUTOVER_DYNAMODB_ACCESS_KEY_ID?: string;
  CUTOVER_DYNAMODB_SECRET_ACCESS_KEY?: string;
  /** Signs dashboard sessions (32 bytes or more); unset: no dashboard sign-in. Never derived from another secret. */
  CUTOVER_SESSION_SECRET?: string;
  /** Signs webhook messages (`Cutover-Signature: t=…,v1=…`), 32 bytes or more; a rollout with a webhook needs it. */
  CUTOVER_WEBHOOK_SECRET?: string;
  /**
   * The Rails app's secret_key_base, to read its session cookie at the edge (the table's
   * `session`): for `sticky: "session:FIELD"` and backends' `identity`. Unset: no session is read.
   */
  CUTOVER_RAILS_SECRET_KEY_BASE?: string;
  /** Signs X-Cutover-Identity tokens (HS256), 32 bytes or more, shared with the new backends that verify them (docs/identity.md). */
  CUTOVER_IDENTITY_SECRET?: string;
  /**
   * The emergency bypass: `on` makes the Worker a plain pass-through to CUTOVER_LEGACY_URL —
   * no route table read, no split, shadow, dual write or accounting. A secret, so that one
   * command turns it on (`echo on | npx wrangler secret put CUTOVER_BYPASS --env production`) and
   * one off (`npx wrangler secret delete CUTOVER_BYPASS --env production`), each deploying at once
   * (docs/emergency.md).
   */
  CUTOVER_BYPASS?: string;
}
interface CutoverBindings {
  /** Optional Workers Analytics Engine dataset: one data point per request (README "Traffic accounting"). */
  CUTOVER_ANALYTICS?: AnalyticsEngineDataset;
}
interface Env extends CutoverSecrets, CutoverBindings {}
declare namespace Cloudflare {
  interface Env extends CutoverSecrets, CutoverBindings {}
}
