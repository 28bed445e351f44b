import type { Snapshot } from "../config/snapshot.ts";
import { BUCKETS, readCohortKey } from "../routes/cohort.ts";
import type { CompareRules } from "../compare/compare-responses.ts";
import type { CompiledFallback } from "../routes/compile.ts";
import { decide } from "../routes/decide.ts";
import type { Backend, Shadow } from "../routes/schema.ts";
import { chooseShadow, type ShadowChoice } from "../routes/shadow-sampling.ts";

/** What to do with one request, decided before anything is sent. */
export interface Plan {
  readonly routeId: string;
  readonly backendName: string;
  readonly backend: Backend;
  readonly fallback: { readonly name: string; readonly backend: Backend; readonly policy: CompiledFallback } | undefined;
  readonly shadow:
    | { readonly choice: ShadowChoice; readonly backend: Backend; readonly config: Shadow; readonly rules: CompareRules }
    | undefined;
  readonly version: string;
}

export interface PlanOptions {
  readonly legacyUrl: string | undefined;
  readonly random: () => number;
}

export const DEFAULT_ROUTE_ID = "(default)";

/**
 * Steps 3 and 4 of the request path: the route, then the backend, fallback and shadow.
 * `override` is a backend a verified tester token forces, if any.
 */
export function planRequest(
  request: Request,
  url: URL,
  path: string,
  clientIp: string | undefined,
  override: string | undefined,
  snapshot: Snapshot | undefined,
  options: PlanOptions,
): Plan | undefined {
  if (snapshot === undefined) return defaultPlan(snapshot, options);
  const route = snapshot.matcher.match(request.method, url.hostname, path);
  if (route === undefined) return defaultPlan(snapshot, options);

  const cohortKey = readCohortKey(route.sticky, request.headers, clientIp);
  const decision = decide(route, { cohortKey, roll: roll(options), override });
  const backend = requireBackend(snapshot, decision.backend);
  const policy = route.fallback;
  const fallback =
    policy && policy.to !== decision.backend ? { name: policy.to, backend: requireBackend(snapshot, policy.to), policy } : undefined;
  const choice = route.shadow
    ? chooseShadow(route, { method: request.method, servedBy: decision.backend, cohortKey, roll: roll(options), noiseRoll: roll(options) })
    : undefined;
  const shadow =
    choice && route.shadow && route.shadowRules
      ? { choice, backend: requireBackend(snapshot, choice.to), config: route.shadow, rules: route.shadowRules }
      : undefined;
  return { routeId: route.id, backendName: decision.backend, backend, fallback, shadow, version: String(snapshot.version) };
}

/** The default backend; with no table at all, CUTOVER_LEGACY_URL; else undefined. */
export function defaultPlan(snapshot: Snapshot | undefined, options: Pick<PlanOptions, "legacyUrl">): Plan | undefined {
  if (snapshot !== undefined) {
    const name = snapshot.defaultBackend;
    return { routeId: DEFAULT_ROUTE_ID, backendName: name, backend: requireBackend(snapshot, name), fallback: undefined, shadow: undefined, version: String(snapshot.version) };
  }
  if (!options.legacyUrl) return undefined;
  return { routeId: DEFAULT_ROUTE_ID, backendName: "legacy", backend: { url: options.legacyUrl }, fallback: undefined, shadow: undefined, version: "none" };
}

function requireBackend(snapshot: Snapshot, name: string): Backend {
  const backend = snapshot.backends.get(name);
  if (backend === undefined) throw new Error(`Backend '${name}' is not in route table version ${snapshot.version}`);
  return backend;
}

function roll(options: Pick<PlanOptions, "random">): number {
  return Math.floor(options.random() * BUCKETS);
}
