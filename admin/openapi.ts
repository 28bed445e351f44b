import * as z from "zod/mini";
import { PROMETHEUS_CONTENT_TYPE } from "../lib/prometheus-exposition.ts";
import { RouteTableSchema } from "../routes/schema.ts";
import {
  Activated,
  AuditAnswer,
  AuditEntry,
  CreatedToken,
  CostAnswer,
  CreateTokenBody,
  DualWriteExample,
  DualWriteExamplesAnswer,
  DecommissionAnswer,
  DecommissionHold,
  DecommissionRollbackBody,
  EstimateAnswer,
  HealthAnswer,
  ImportLegacyBody,
  InventoryAnswer,
  LegacyBurndownAnswer,
  LegacyDiffAnswer,
  LegacyImportAnswer,
  LegacyImportsAnswer,
  LegacyMapAnswer,
  LegacySurfaceAnswer,
  MetricsOverviewAnswer,
  MintOverrideBody,
  OverrideAnswer,
  OverrideRevokedAnswer,
  Percentiles,
  Problem,
  PricesAnswer,
  ProgressAnswer,
  PutPricesBody,
  PutRoutesBody,
  RevokeTokenBody,
  RollbackAnswer,
  RollbackBody,
  RolloutActionBody,
  SwitchOffAnswer,
  SwitchOffBody,
  SwitchOffState,
  RolloutDetail,
  RolloutEvent,
  RolloutsAnswer,
  RolloutSummary,
  RolloutVerdict,
  RouteMetricsAnswer,
  RouteRollbackAnswer,
  RouteRollbackBody,
  RoutesAnswer,
  RouteTableAnswer,
  ShadowListingAnswer,
  ShadowReportAnswer,
  ShadowResetAnswer,
  ShadowResetBody,
  SeriesPoint,
  DualWritePoint,
  StartRolloutBody,
  StoredToken,
  TickAnswer,
  TokensAnswer,
  VersionInfo,
  VersionAnswer,
  VersionsAnswer,
  WeightsBody,
} from "./contract/index.ts";

/**
 * The admin API's OpenAPI 3.1 document, from the contract's zod schemas (admin/contract/):
 * those that check requests, and those the CLI and the dashboard parse answers with, so that
 * teams can script against it. `npm run schema` writes it to `openapi.json` (checked in, for
 * review); the Worker serves that file at `/_cutover/api/openapi.json`.
 */
type Operation = {
  readonly summary: string;
  readonly role: "viewer" | "operator" | "none";
  readonly body?: z.ZodMiniType;
  readonly query?: readonly { name: string; description: string; type?: "string" | "integer" | "number" }[];
  readonly ok: string;
  /** The answer's schema (several: one of them, by the query); absent: not described. */
  readonly answer?: z.ZodMiniType | readonly z.ZodMiniType[];
  /** The success status, when not 200. */
  readonly status?: 201;
  /** The answer's media type, when it is not JSON (then a string, not described further). */
  readonly contentType?: string;
};

const ENDPOINTS: Readonly<Record<string, Readonly<Record<string, Operation>>>> = {
  "/_cutover/health": { get: { summary: "Health: the version served, its age, store status, missing settings. No token.", role: "none", ok: "health", answer: HealthAnswer } },
  "/_cutover/api/openapi.json": { get: { summary: "This document. No token.", role: "none", ok: "the OpenAPI document" } },
  "/_cutover/api/routes": {
    get: { summary: "The active route table, with its version (also the ETag).", role: "viewer", ok: "the active table", answer: RoutesAnswer },
    put: { summary: "Store a new table and activate it, if If-Match still names the active version (412 with who changed what since, otherwise).", role: "operator", body: PutRoutesBody, ok: "the new version", answer: Activated },
  },
  "/_cutover/api/routes/{id}/weights": { post: { summary: "Change one route's weights (the everyday flip); takes effect everywhere one propagation bound later.", role: "operator", body: WeightsBody, ok: "the new version", answer: Activated } },
  "/_cutover/api/routes/{id}/rollback": { post: { summary: "Restore one route's earlier definition, leaving other routes' later changes in place.", role: "operator", body: RouteRollbackBody, ok: "the new version", answer: RouteRollbackAnswer } },
  "/_cutover/api/rollback": { post: { summary: "Make an earlier table active again (as a new version; default: the previous one); at once.", role: "operator", body: RollbackBody, ok: "the new version", answer: RollbackAnswer } },
  "/_cutover/api/versions": {
    get: {
      summary: "Versions that served, newest first, and the numbers between them that never did.",
      role: "viewer",
      query: [
        { name: "limit", description: "how many (1-200, default 20)", type: "integer" },
        { name: "before", description: "only versions older than this", type: "integer" },
      ],
      ok: "the versions",
      answer: VersionsAnswer,
    },
  },
  "/_cutover/api/versions/{n}": { get: { summary: "One version, with its table.", role: "viewer", ok: "the version", answer: VersionAnswer } },
  "/_cutover/api/audit": { get: { summary: "The audit log, newest first.", role: "viewer", query: [{ name: "limit", description: "how many (1-500, default 50)", type: "integer" }], ok: "the entries", answer: AuditAnswer } },
  "/_cutover/api/shadow": {
    get: {
      summary: "Shadow comparison reports of the routes' current shadow epochs: every shadowed route, or one route's differences (with the request of an example), noise, latency and verdict.",
      role: "viewer",
      query: [
        { name: "route", description: "one route's full report" },
        { name: "since", description: "only the last hours of the epoch (whole hours): 1h, 6h, 2d" },
        { name: "minComparisons", description: "comparisons needed before a verdict (default 1000)", type: "integer" },
        { name: "threshold", description: "match rate in percent needed to be ready (default 99)", type: "number" },
      ],
      ok: "the report",
      answer: [ShadowListingAnswer, ShadowReportAnswer],
    },
  },
  "/_cutover/api/metrics": {
    get: {
      summary: "Traffic per route and backend: without `route`, totals per route over the window; with it, a time series (requests, status classes, error rate, p50/p95/p99 to the response head, fallbacks by trigger, cutover's own 400/413/502/504, arms).",
      role: "viewer",
      query: [
        { name: "route", description: "one route's series (its id, or (default) for unrouted traffic)" },
        { name: "since", description: "the window: 15m, 1h, 7d (default 1h, at most 14d)" },
        { name: "step", description: "one point per: 1m, 5m, 1h (default from the window)" },
      ],
      ok: "the metrics",
      answer: [MetricsOverviewAnswer, RouteMetricsAnswer],
    },
  },
  "/_cutover/api/metrics/prometheus": {
    get: {
      summary:
        "Every route's traffic per backend as Prometheus text (version 0.0.4), for Prometheus, Grafana Agent or Datadog's OpenMetrics check: counters since 00:00 UTC today (they reset at midnight), the latency histogram, the table's version (docs/prometheus.md). One DynamoDB Query per scrape: scrape every 60 s.",
      role: "viewer",
      ok: "the metrics",
      contentType: PROMETHEUS_CONTENT_TYPE,
    },
  },
  "/_cutover/api/inventory": {
    get: { summary: "The migration map: unrouted traffic by path template, busiest first, with methods, status classes, first and last seen, and the route that covers it now (if any).", role: "viewer", query: [{ name: "limit", description: "how many (1-1000, default 100)", type: "integer" }], ok: "the templates", answer: InventoryAnswer },
  },
  "/_cutover/api/progress": {
    get: { summary: "The share of requests served by backends other than the default, overall, per day, per hour over the last day, and per route.", role: "viewer", query: [{ name: "days", description: "how many days (1-14, default 7)", type: "integer" }], ok: "the progress", answer: ProgressAnswer },
  },
  "/_cutover/api/migration/examples": {
    get: {
      summary: "Examples of a route's dual-write copies that failed (no answer, or 5xx) or disagreed with legacy's status, newest first: when, the table version, method, path and query (redacted), both statuses or why there was no answer, the Idempotency-Key, legacy's record id and the start of the new backend's answer (redacted), never the request body. At most 20 per route are kept, for 14 days; an isolate stores at most one per route every 10 s (the rest are only counted).",
      role: "viewer",
      query: [
        { name: "route", description: "the route (required)" },
        { name: "limit", description: "how many (1-20, default 20)", type: "integer" },
      ],
      ok: "the examples",
      answer: DualWriteExamplesAnswer,
    },
  },
  "/_cutover/api/legacy": {
    get: { summary: "The legacy surface: one import of the legacy app's endpoints (method, pattern, source, action), default the newest.", role: "viewer", query: [{ name: "version", description: "an import number (default: the newest)", type: "integer" }], ok: "the import and its endpoints", answer: LegacySurfaceAnswer },
    post: { summary: "Import the legacy app's endpoints (as `cutover legacy import` reads them from `bin/rails routes` or an OpenAPI document): a new import unless they are the newest one's. Audited.", role: "operator", body: ImportLegacyBody, ok: "the import and what it changed", answer: LegacyImportAnswer },
  },
  "/_cutover/api/legacy/imports": {
    get: { summary: "Imports of the legacy surface, newest first.", role: "viewer", query: [{ name: "limit", description: "how many (1-200, default 20)", type: "integer" }], ok: "the imports", answer: LegacyImportsAnswer },
  },
  "/_cutover/api/legacy/diff": {
    get: {
      summary: "What changed between two imports, endpoint by endpoint (method and pattern): added, changed (field by field), removed.",
      role: "viewer",
      query: [
        { name: "from", description: "the older import", type: "integer" },
        { name: "to", description: "the newer import", type: "integer" },
      ],
      ok: "the changes",
      answer: LegacyDiffAnswer,
    },
  },
  "/_cutover/api/legacy/map": {
    get: {
      summary: "The migration map by endpoint: each endpoint of the newest import covered by a route (at its stage), seen (unrouted traffic within the window), or unseen for N days (retire it); and traffic templates no endpoint explains.",
      role: "viewer",
      query: [{ name: "since", description: "the window (1h to 90d, default 14d)" }],
      ok: "the map",
      answer: LegacyMapAnswer,
    },
  },
  "/_cutover/api/legacy/burndown": {
    get: {
      summary: "The legacy surface's burndown: the newest import's endpoints counted by the stage of the route covering each (from legacy to new; unrouted ones as legacy) under each table version that began serving in the window, oldest first (the 100 newest), starting with the version serving at the window's start.",
      role: "viewer",
      query: [{ name: "since", description: "the window (1h to 90d, default 30d)" }],
      ok: "one point per version",
      answer: LegacyBurndownAnswer,
    },
  },
  "/_cutover/api/shadow/{route}/reset": {
    post: { summary: "Start a route's shadow statistics over: a new version with the route's shadow epoch raised. Audited.", role: "operator", body: ShadowResetBody, ok: "the new version and epoch", answer: ShadowResetAnswer },
  },
  "/_cutover/api/rollouts": {
    get: { summary: "Every rollout, running or over, newest first.", role: "viewer", ok: "the rollouts", answer: RolloutsAnswer },
    post: { summary: "Start a rollout (plan: rollout-plan.schema.json): claims the route and serves its first step. Audited.", role: "operator", body: StartRolloutBody, ok: "the rollout", answer: RolloutSummary, status: 201 },
  },
  "/_cutover/api/rollouts/{route}": {
    get: { summary: "One rollout: plan, step, history, and its current step judged now (every gate with its numbers and bounds).", role: "viewer", ok: "the rollout", answer: RolloutDetail },
  },
  "/_cutover/api/rollouts/{route}/promote": { post: { summary: "Go to the next step now (past a pause, or without waiting for the evidence). Audited.", role: "operator", body: RolloutActionBody, ok: "the rollout", answer: RolloutSummary } },
  "/_cutover/api/rollouts/{route}/pause": { post: { summary: "Hold the current step. Audited.", role: "operator", body: RolloutActionBody, ok: "the rollout", answer: RolloutSummary } },
  "/_cutover/api/rollouts/{route}/resume": { post: { summary: "Carry on from the current step, re-applying it if the route was changed. Audited.", role: "operator", body: RolloutActionBody, ok: "the rollout", answer: RolloutSummary } },
  "/_cutover/api/rollouts/{route}/abort": { post: { summary: "Stop and restore the route as it was before the rollout, at once. Audited.", role: "operator", body: RolloutActionBody, ok: "the rollout", answer: RolloutSummary } },
  "/_cutover/api/rollouts/tick": { post: { summary: "Run the rollout controller once (the Cron Trigger does each minute; `cutover dev` every 3 s), and during a switch-off's grace period call legacy to keep it warm.", role: "operator", ok: "what each running rollout did", answer: TickAnswer } },
  "/_cutover/api/settings/prices": {
    get: { summary: "The stored prices cost is estimated with (cost/prices.ts; prices.schema.json), who set them, when and why.", role: "viewer", ok: "the prices", answer: PricesAnswer },
    put: { summary: "Store a prices document, validated (every problem named by field); conditional on `expectedRevision` when given. Audited.", role: "operator", body: PutPricesBody, ok: "the stored prices", answer: PricesAnswer },
  },
  "/_cutover/api/cost": {
    get: {
      summary: "Each route's monthly cost on legacy and on its new backends, legacy's share of traffic over time, and the legacy bill as measured, once the routes in migration move and once everything has: estimates from measured traffic and the stored prices, each figure with its formula and inputs (the same report as `cutover cost`).",
      role: "viewer",
      query: [
        { name: "since", description: "the measured window (1h to 14d, default 14d)" },
        { name: "move", description: "routes (comma-separated) also counted as moving off legacy in the projection" },
      ],
      ok: "the report",
      answer: CostAnswer,
    },
  },
  "/_cutover/api/decommission": {
    get: {
      summary: "What still holds legacy up: endpoints not migrated or retired, routes that still use it, traffic it served and fallbacks to it over the window, rollouts under way; and legacy's switch-off, if there was one.",
      role: "viewer",
      query: [{ name: "since", description: "the window, in days (1d to 14d, default 14d)" }],
      ok: "the verdict",
      answer: DecommissionAnswer,
    },
  },
  "/_cutover/api/decommission/switch-off": {
    post: {
      summary: "Switch legacy off: the table's default backend becomes a static 'gone' answer (or a backend of the table such as an S3 page), one propagation bound from now; legacy stays in the table and is kept warm for the grace period. Refused (409 not_ready, with the holds) while anything holds legacy up, unless forced. Audited.",
      role: "operator",
      body: SwitchOffBody,
      ok: "the switch-off and the version it published",
      answer: SwitchOffAnswer,
    },
  },
  "/_cutover/api/decommission/rollback": {
    post: { summary: "Bring legacy back as the default backend, at once. Audited.", role: "operator", body: DecommissionRollbackBody, ok: "the rolled-back switch-off and the version", answer: SwitchOffAnswer },
  },
  "/_cutover/api/tokens": {
    get: { summary: "Stored admin tokens (never their values).", role: "operator", ok: "the tokens", answer: TokensAnswer },
    post: { summary: "Make a stored admin token; its value is in this answer only. Audited.", role: "operator", body: CreateTokenBody, ok: "the token, once", answer: CreatedToken, status: 201 },
  },
  "/_cutover/api/tokens/{id}": { delete: { summary: "Revoke a stored admin token. Audited.", role: "operator", body: RevokeTokenBody, ok: "the revoked token", answer: StoredToken } },
  "/_cutover/api/overrides": { post: { summary: "Mint a tester override (capped at the server's maximum lifetime; optionally one route). Audited.", role: "operator", body: MintOverrideBody, ok: "the override token and its id", answer: OverrideAnswer, status: 201 } },
  "/_cutover/api/overrides/{id}": { delete: { summary: "Revoke a tester override by its id (every isolate refuses it within the propagation bound). Audited.", role: "operator", body: RevokeTokenBody, ok: "the id revoked, until when", answer: OverrideRevokedAnswer } },
};

const jsonSchema = (schema: z.ZodMiniType) => z.toJSONSchema(schema, { io: "input", target: "draft-2020-12" });

/** The answers' schemas, and the parts they share, under #/components/schemas by these names. */
const ANSWERS: Readonly<Record<string, z.ZodMiniType>> = {
  Problem,
  VersionInfo,
  AuditEntry,
  Percentiles,
  DualWritePoint,
  SeriesPoint,
  RolloutSummary,
  RolloutEvent,
  RolloutVerdict,
  StoredToken,
  HealthAnswer,
  RoutesAnswer,
  Activated,
  RollbackAnswer,
  RouteRollbackAnswer,
  VersionsAnswer,
  AuditAnswer,
  ShadowListingAnswer,
  ShadowReportAnswer,
  ShadowResetAnswer,
  MetricsOverviewAnswer,
  RouteMetricsAnswer,
  InventoryAnswer,
  ProgressAnswer,
  DualWriteExample,
  DualWriteExamplesAnswer,
  LegacySurfaceAnswer,
  LegacyImportAnswer,
  LegacyImportsAnswer,
  LegacyDiffAnswer,
  LegacyMapAnswer,
  LegacyBurndownAnswer,
  RolloutsAnswer,
  RolloutDetail,
  TickAnswer,
  EstimateAnswer,
  CostAnswer,
  PricesAnswer,
  DecommissionHold,
  SwitchOffState,
  DecommissionAnswer,
  SwitchOffAnswer,
  TokensAnswer,
  CreatedToken,
  OverrideAnswer,
  OverrideRevokedAnswer,
};

/** Every answer schema as JSON Schema, each part named in ANSWERS referred to by name (a table in an answer: RouteTable). */
function answerSchemas(): { names: Map<z.ZodMiniType, string>; schemas: Record<string, unknown> } {
  const registry = z.registry<{ id: string }>();
  const names = new Map<z.ZodMiniType, string>();
  for (const [name, schema] of Object.entries(ANSWERS)) {
    registry.add(schema, { id: name });
    names.set(schema, name);
  }
  const generated = z.toJSONSchema(registry, {
    io: "output",
    target: "draft-2020-12",
    uri: (id) => `#/components/schemas/${id}`,
    // The table in an answer is checked by code (admin/contract/route-table-answer.ts): it is the route table schema's.
    unrepresentable: "any",
    override: (context) => {
      if (context.zodSchema === RouteTableAnswer) context.jsonSchema.$ref = "#/components/schemas/RouteTable";
    },
  });
  const schemas = Object.fromEntries(Object.entries(generated.schemas).map(([name, { $schema: _schema, $id: _id, ...schema }]) => [name, schema]));
  return { names, schemas };
}

const isList = (answer: z.ZodMiniType | readonly z.ZodMiniType[]): answer is readonly z.ZodMiniType[] => Array.isArray(answer);

export function adminOpenApi(): Record<string, unknown> {
  const answers = answerSchemas();
  const ref = (schema: z.ZodMiniType) => ({ $ref: `#/components/schemas/${answers.names.get(schema)}` });
  const answerOf = (answer: Operation["answer"]) => (answer === undefined ? {} : { schema: isList(answer) ? { oneOf: answer.map(ref) } : ref(answer) });
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [path, operations] of Object.entries(ENDPOINTS)) {
    const item: Record<string, unknown> = {};
    for (const [method, operation] of Object.entries(operations)) {
      const parameters = [
        ...[...path.matchAll(/\{(\w+)\}/g)].map((match) => ({ name: match[1], in: "path", required: true, schema: { type: "string" } })),
        ...(operation.query ?? []).map((q) => ({ name: q.name, in: "query", required: false, description: q.description, schema: { type: q.type ?? "string" } })),
        ...(path === "/_cutover/api/routes" && method === "put" ? [{ name: "If-Match", in: "header", required: true, description: 'The version the change is based on: "7" ("0" for the first table).', schema: { type: "string" } }] : []),
      ];
      item[method] = {
        summary: operation.summary,
        ...(operation.role === "none" ? { security: [] } : { description: `Needs a ${operation.role} token.` }),
        ...(parameters.length > 0 ? { parameters } : {}),
        ...(operation.body ? { requestBody: { required: true, content: { "application/json": { schema: jsonSchema(operation.body) } } } } : {}),
        responses: {
          [String(operation.status ?? 200)]: {
            description: operation.ok,
            content: operation.contentType === undefined ? { "application/json": answerOf(operation.answer) } : { [operation.contentType]: { schema: { type: "string" } } },
          },
          default: { description: "An error: a stable code for scripts and a sentence for people.", content: { "application/json": { schema: ref(Problem) } } },
        },
      };
    }
    paths[path] = item;
  }
  return {
    openapi: "3.1.0",
    info: { title: "cutover admin API", version: "1", description: "The control plane of cutover, a strangler-fig edge proxy: route tables, flips, rollbacks, history, shadow reports, tokens and overrides." },
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "An admin token: `cutover token create`, or a bootstrap one from the CUTOVER_ADMIN_TOKENS secret." } },
      schemas: { ...answers.schemas, RouteTable: jsonSchema(RouteTableSchema) },
    },
  };
}
