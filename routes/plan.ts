import { readCohortKey, type RequestHeaders } from "./cohort.ts";
import { DEFAULT_ROUTE_ID, responseHeaders, type CompiledBackend, type CompiledFallback, type CompiledRoute, type CompiledTable, type ResponseHeaderList } from "./compile.ts";
import { decide } from "./decide.ts";
import { chooseShadow, type ShadowChoice } from "./shadow-sampling.ts";

/** What the plan needs to know of one request. */
export interface PlanInput {
  readonly method: string;
  /** The URL's host name, without port. */
  readonly host: string;
  /** The normalized path (the one that is matched and forwarded). */
  readonly path: string;
  readonly headers: RequestHeaders;
  readonly clientIp: string | undefined;
  /** A backend a verified tester override forces, if any. */
  readonly override: string | undefined;
  /** Draws a random bucket in [0, 10 000): for requests without a cohort key, and for sampling. */
  readonly roll: () => number;
}

/** Which arm served: the default backend (no route), a single-backend route, a split's choice, or an override. */
export type Arm = "default" | "single" | "split" | "override";

/** What to do with one request, decided before anything is sent. */
export interface RequestPlan {
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
  /** The route table version, or "none" with no table at all. */
  readonly version: string;
}

export { DEFAULT_ROUTE_ID };

/**
 * Steps 3 and 4 of the request path (DESIGN.md): the route, then the backend, the fallback
 * and the shadow decision. Pure: the table and the input decide everything (randomness comes
 * in through `roll`).
 */
export function planRequest(table: CompiledTable, input: PlanInput): RequestPlan {
  const route = table.matcher.match(input.method, input.host, input.path);
  if (route === undefined) return defaultPlan(table);
  const cohortKey = readCohortKey(route.sticky, input.headers, input.clientIp);
  const decision = decide(route, { cohortKey, roll: input.roll(), override: input.override });
  const backend = decision.backend;
  const fallback = route.fallback && route.fallback.backend !== backend ? route.fallback : undefined;
  const shadow = route.shadow
    ? chooseShadow(route.shadow, { method: input.method, servedBy: backend.name, cohortKey, roll: input.roll(), noiseRoll: input.roll() })
    : undefined;
  return {
    routeId: route.id,
    route,
    backend,
    arm: decision.reason,
    fallback,
    shadow,
    responseHeaders: route.responseHeaders.get(backend.name) ?? responseHeaders(route.id, backend.name, String(table.version)),
    version: String(table.version),
  };
}

/** The plan of a request no route matches: the table's default backend. */
export function defaultPlan(table: CompiledTable): RequestPlan {
  return {
    routeId: DEFAULT_ROUTE_ID,
    route: undefined,
    backend: table.defaultBackend,
    arm: "default",
    fallback: undefined,
    shadow: undefined,
    responseHeaders: table.defaultHeaders,
    version: String(table.version),
  };
}

/** With no route table at all: everything to CUTOVER_LEGACY_URL (compiled once per isolate). */
export function legacyOnlyPlan(legacy: CompiledBackend): RequestPlan {
  return {
    routeId: DEFAULT_ROUTE_ID,
    route: undefined,
    backend: legacy,
    arm: "default",
    fallback: undefined,
    shadow: undefined,
    responseHeaders: responseHeaders(DEFAULT_ROUTE_ID, legacy.name, "none"),
    version: "none",
  };
}
