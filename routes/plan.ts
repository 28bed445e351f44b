import { BUCKETS, readCohortKey, readCutoverCohort, type RequestHeaders } from "./cohort.ts";
import { DEFAULT_ROUTE_ID, responseHeaders, type CompiledBackend, type CompiledFallback, type CompiledRoute, type CompiledTable, type ResponseHeaderList } from "./compile.ts";
import { decide } from "./decide.ts";
import type { Override } from "./override-token.ts";
import { err, ok, type Result } from "../lib/result.ts";
import { applyPathPolicy, DEFAULT_PATH_POLICY, type PathPolicy, type PathRejection } from "./path-policy.ts";
import { chooseShadow, type ShadowChoice } from "./shadow-sampling.ts";

/** What the plan needs to know of one request. */
export interface PlanInput {
  readonly method: string;
  /** The URL's host name, without port. */
  readonly host: string;
  /** The path exactly as the client sent it (see `rawPathOf`); the table's `paths` policy normalizes it. */
  readonly rawPath: string;
  readonly headers: RequestHeaders;
  readonly clientIp: string | undefined;
  /** What a verified tester override forces, if anything: a backend, on one route or any. */
  readonly override: Override | undefined;
  /** Draws a random bucket in [0, 10 000): for requests without a cohort key, and for sampling. */
  readonly roll: () => number;
  /** Makes a fresh cutover cohort (128 random bits, base64url) for a visitor without one. */
  readonly mintCohort: () => string;
  /** A field of the app's session read at the edge (`sticky: "session:FIELD"`); undefined without a session. */
  readonly sessionField?: ((field: string) => string | undefined) | undefined;
}

/** Which arm served: the default backend (no route), a single-backend route, a split's choice, or an override. */
export type Arm = "default" | "single" | "split" | "override";

/** What to do with one request, decided before anything is sent. */
export interface RequestPlan {
  /** The normalized path: the one that was matched, in the form it is forwarded. */
  readonly path: string;
  readonly routeId: string;
  /** Undefined for the default route (no route matched, or no table at all). */
  readonly route: CompiledRoute | undefined;
  readonly backend: CompiledBackend;
  readonly arm: Arm;
  /** One more try elsewhere when the first fails; never the backend already chosen. */
  readonly fallback: CompiledFallback | undefined;
  readonly shadow: ShadowChoice | undefined;
  /** `x-cutover-route`, `-backend`, `-version` for the chosen backend. */
  readonly responseHeaders: ResponseHeaderList;
  /** The request carries a verified tester override (used here or not): it always gets the response headers. */
  readonly tester: boolean;
  /** The route table version, or "none" with no table at all. */
  readonly version: string;
  /** The cohort key the split and the shadow sampling used (undefined: none, or no route). */
  readonly cohortKey?: string | undefined;
  /**
   * A cutover cohort made for this request, to be set as the `cutover_cohort` cookie on its
   * response: only when the route's split or shadow sampling used it, so that this first
   * visit and every later one land on the same side.
   */
  readonly newCohort?: string | undefined;
}

export { DEFAULT_ROUTE_ID };

/**
 * Steps 3 and 4 of the request path (DESIGN.md): the route, then the backend, the fallback
 * and the shadow decision. Pure: the table and the input decide everything (randomness comes
 * in through `roll`).
 */
export function planRequest(table: CompiledTable, input: PlanInput): Result<RequestPlan, PathRejection> {
  const normalized = applyPathPolicy(input.rawPath, table.paths);
  if (!normalized.ok) return normalized;
  const path = normalized.value;
  const route = table.matcher.match(input.method, input.host, path);
  if (route === undefined) return ok({ ...defaultPlan(table, path), tester: input.override !== undefined });
  // A cohort matters to a split, and to a shadow that samples a share of users: only then is one minted.
  const cohortMatters = route.weighted || (route.shadow !== undefined && route.shadow.shareBuckets < BUCKETS);
  let minted: string | undefined;
  const cohortKey = readCohortKey(route.sticky, {
    headers: input.headers,
    clientIp: input.clientIp,
    cutoverCohort: () => readCutoverCohort(input.headers) ?? (cohortMatters ? (minted ??= input.mintCohort()) : undefined),
    sessionField: input.sessionField ?? (() => undefined),
  });
  const forced = input.override && (input.override.route === undefined || input.override.route === route.id) ? input.override.backend : undefined;
  const decision = decide(route, { cohortKey, roll: input.roll(), override: forced });
  const backend = decision.backend;
  const fallback = route.fallback && route.fallback.backend !== backend ? route.fallback : undefined;
  const shadow = route.shadow
    ? chooseShadow(route.shadow, { method: input.method, servedBy: backend.name, cohortKey, roll: input.roll(), noiseRoll: input.roll() })
    : undefined;
  return ok({
    path: forwardedPath(path, route, table.paths),
    routeId: route.id,
    route,
    backend,
    arm: decision.reason,
    fallback,
    shadow,
    responseHeaders: route.responseHeaders.get(backend.name) ?? responseHeaders(route.id, backend.name, String(table.version)),
    tester: input.override !== undefined,
    version: String(table.version),
    cohortKey,
    newCohort: cohortMatters ? minted : undefined,
  });
}

/**
 * Under trailingSlash "either", a request matched with or without a trailing slash is
 * forwarded in the form of the route's pattern (`/a/1/` reaches `/a/:id`'s backend as `/a/1`);
 * a wildcard route gets the rest of the path as it came.
 */
function forwardedPath(path: string, route: CompiledRoute, policy: PathPolicy): string {
  if (policy.trailingSlash !== "either" || route.wildcard || path === "/") return path;
  const bare = path.endsWith("/") ? path.slice(0, -1) : path;
  return route.slashEnd ? `${bare}/` : bare;
}

/** The plan of a request no route matches (or whose planning failed): the table's default backend. */
export function defaultPlan(table: CompiledTable, path: string): RequestPlan {
  return {
    path,
    routeId: DEFAULT_ROUTE_ID,
    route: undefined,
    backend: table.defaultBackend,
    arm: "default",
    fallback: undefined,
    shadow: undefined,
    responseHeaders: table.defaultHeaders,
    tester: false,
    version: String(table.version),
  };
}

/**
 * With no route table at all: everything to CUTOVER_LEGACY_URL, under the default path
 * policy. `legacy` and `headers` are compiled once per isolate.
 */
export function legacyOnlyPlan(legacy: CompiledBackend, rawPath: string, headers: ResponseHeaderList): Result<RequestPlan, PathRejection> {
  const normalized = applyPathPolicy(rawPath, DEFAULT_PATH_POLICY);
  if (!normalized.ok) return err(normalized.error);
  return ok({
    path: normalized.value,
    routeId: DEFAULT_ROUTE_ID,
    route: undefined,
    backend: legacy,
    arm: "default",
    fallback: undefined,
    shadow: undefined,
    responseHeaders: headers,
    tester: false,
    version: "none",
  });
}

/** The response headers of requests served without a table. */
export function legacyOnlyHeaders(legacy: CompiledBackend): ResponseHeaderList {
  return responseHeaders(DEFAULT_ROUTE_ID, legacy.name, "none");
}
