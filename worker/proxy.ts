import { BUCKETS, readCohortKey } from "../routes/cohort.ts";
import type { CompiledFallback } from "../routes/compile.ts";
import { decide } from "../routes/decide.ts";
import type { Backend } from "../routes/schema.ts";
import type { Snapshot } from "../config/snapshot.ts";
import { gatewayErrorResponse } from "./error-page.ts";
import { callUpstream, type UpstreamOutcome } from "./forward.ts";
import { downstreamResponse, upstreamRequestHeaders } from "./headers.ts";
import { logEvent } from "./log.ts";
import { readOverride } from "./read-override.ts";
import { bufferUpTo } from "./replayable-body.ts";
import { upstreamUrl } from "./upstream-url.ts";

export interface ProxyOptions {
  /** Add x-cutover-route / -backend / -version to responses. */
  readonly responseHeaders: boolean;
  readonly overrideSecret: string | undefined;
  /** Serves everything when no route table could ever be loaded. */
  readonly legacyUrl: string | undefined;
  readonly now: () => number;
  readonly random: () => number;
}

/** What to do with one request, decided before anything is sent. */
interface Plan {
  readonly routeId: string;
  readonly backendName: string;
  readonly backend: Backend;
  readonly fallback: { readonly name: string; readonly backend: Backend; readonly policy: CompiledFallback } | undefined;
  readonly version: string;
}

export const DEFAULT_ROUTE_ID = "(default)";
/** Heroku's router gives up after 30 s, so a legacy app never needs longer. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** Largest body buffered so that a fallback can send it again. */
export const MAX_REPLAY_BODY_BYTES = 256 * 1024;
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS"]);
const REQUEST_ID = /^[A-Za-z0-9+/=._:-]{1,200}$/;

/**
 * The request path (DESIGN.md steps 3–5 and 7): match, decide, forward, fall back.
 * Routing errors never fail the request: it is served by the default backend instead.
 */
export async function proxy(request: Request, url: URL, path: string, snapshot: Snapshot | undefined, options: ProxyOptions): Promise<Response> {
  const headerId = request.headers.get("x-request-id");
  const requestId = headerId !== null && REQUEST_ID.test(headerId) ? headerId : crypto.randomUUID();
  const clientIp = request.headers.get("cf-connecting-ip") ?? undefined;

  let plan: Plan | undefined;
  try {
    plan = await planRequest(request, url, path, clientIp, snapshot, options);
  } catch (error) {
    logEvent("error", "routing_failed", { requestId, method: request.method, url: request.url, version: snapshot?.version, error });
    plan = defaultPlan(snapshot, options);
  }
  if (plan === undefined) return notConfigured(requestId);

  const websocket = request.headers.get("upgrade")?.toLowerCase() === "websocket";
  const headers = upstreamRequestHeaders(request.headers, {
    clientIp,
    proto: url.protocol.slice(0, -1),
    host: url.host,
    requestId,
    websocket,
  });
  const method = request.method;
  const fallback = plan.fallback;

  // A body can be sent twice only if it is kept: buffer it when a fallback may need it.
  let body: ReadableStream | ArrayBuffer | null = request.body;
  let replayable = body === null;
  if (fallback && request.body !== null && (IDEMPOTENT.has(method) || fallback.policy.unsafeMethods)) {
    ({ body, replayable } = await bufferUpTo(request.body, request.headers.get("content-length"), MAX_REPLAY_BODY_BYTES));
  }

  const send = (backend: Backend) =>
    callUpstream({
      url: upstreamUrl(backend, path, url.search),
      method,
      headers,
      body,
      timeoutMs: backend.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    });

  const first = await send(plan.backend);
  const trigger = fallback && replayable ? fallbackTrigger(first, fallback.policy, method) : undefined;
  if (fallback === undefined || trigger === undefined) return respond(first, plan, plan.backendName, undefined, requestId, request, options.responseHeaders);

  if (first.kind === "response") await first.response.body?.cancel();
  logEvent("warn", "fallback", { requestId, method, route: plan.routeId, from: plan.backendName, to: fallback.name, trigger });
  const second = await send(fallback.backend);
  return respond(second, plan, fallback.name, `${plan.backendName};${trigger}`, requestId, request, options.responseHeaders);
}

async function planRequest(
  request: Request,
  url: URL,
  path: string,
  clientIp: string | undefined,
  snapshot: Snapshot | undefined,
  options: ProxyOptions,
): Promise<Plan | undefined> {
  if (snapshot === undefined) return defaultPlan(snapshot, options);
  const route = snapshot.matcher.match(request.method, url.hostname, path);
  if (route === undefined) return defaultPlan(snapshot, options);

  const override = options.overrideSecret ? await readOverride(request.headers, options.overrideSecret, options.now()) : undefined;
  const decision = decide(route, {
    cohortKey: readCohortKey(route.sticky, request.headers, clientIp),
    roll: Math.floor(options.random() * BUCKETS),
    override,
  });
  const backend = requireBackend(snapshot, decision.backend);
  const policy = route.fallback;
  const fallback =
    policy && policy.to !== decision.backend ? { name: policy.to, backend: requireBackend(snapshot, policy.to), policy } : undefined;
  return { routeId: route.id, backendName: decision.backend, backend, fallback, version: String(snapshot.version) };
}

function defaultPlan(snapshot: Snapshot | undefined, options: ProxyOptions): Plan | undefined {
  if (snapshot !== undefined) {
    const name = snapshot.defaultBackend;
    return { routeId: DEFAULT_ROUTE_ID, backendName: name, backend: requireBackend(snapshot, name), fallback: undefined, version: String(snapshot.version) };
  }
  if (!options.legacyUrl) return undefined;
  return { routeId: DEFAULT_ROUTE_ID, backendName: "legacy", backend: { url: options.legacyUrl }, fallback: undefined, version: "none" };
}

function requireBackend(snapshot: Snapshot, name: string): Backend {
  const backend = snapshot.backends.get(name);
  if (backend === undefined) throw new Error(`Backend '${name}' is not in route table version ${snapshot.version}`);
  return backend;
}

/**
 * Whether a failed first try may go to the fallback backend. Idempotent requests fall back
 * on any trigger the route lists. Other methods (only when the route allows them) fall back
 * only on a status the backend answered with — never on a timeout or a broken connection,
 * where the backend may have processed the request: a POST is never delivered twice.
 */
function fallbackTrigger(outcome: UpstreamOutcome, policy: CompiledFallback, method: string): string | undefined {
  const idempotent = IDEMPOTENT.has(method);
  if (!idempotent && !policy.unsafeMethods) return undefined;
  if (outcome.kind === "response") {
    const status = outcome.response.status;
    if (status >= 500 && policy.on.has("5xx")) return String(status);
    if (status === 404 && policy.on.has("404")) return "404";
    return undefined;
  }
  if (!idempotent) return undefined;
  return policy.on.has(outcome.kind) ? outcome.kind : undefined;
}

function respond(
  outcome: UpstreamOutcome,
  plan: Plan,
  backendName: string,
  fellBackFrom: string | undefined,
  requestId: string,
  request: Request,
  showHeaders: boolean,
): Response {
  const extra: [string, string][] = [];
  if (showHeaders) {
    if (fellBackFrom !== undefined) extra.push(["x-cutover-fallback", fellBackFrom]);
    extra.push(["x-cutover-route", plan.routeId], ["x-cutover-backend", backendName], ["x-cutover-version", plan.version]);
  }
  if (outcome.kind === "response") return downstreamResponse(outcome.response, extra);

  const backend = backendName === plan.backendName ? plan.backend : (plan.fallback?.backend ?? plan.backend);
  const timeoutMs = backend.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  logEvent("warn", outcome.kind === "timeout" ? "upstream_timeout" : "upstream_error", {
    requestId,
    method: request.method,
    url: request.url,
    route: plan.routeId,
    backend: backendName,
    ...(outcome.kind === "timeout" ? { timeoutMs } : { error: outcome.error }),
  });
  const page = gatewayErrorResponse(
    { kind: outcome.kind, backend: backendName, route: plan.routeId, requestId, timeoutMs },
    request.headers.get("accept"),
  );
  if (showHeaders) page.headers.set("x-cutover-error", outcome.kind === "timeout" ? "timeout" : "unreachable");
  for (const [name, value] of extra) page.headers.set(name, value);
  return page;
}

function notConfigured(requestId: string): Response {
  logEvent("error", "not_configured", { requestId, message: "no route table and no CUTOVER_LEGACY_URL" });
  return new Response("503 Service Unavailable: cutover has no route table and no CUTOVER_LEGACY_URL.\n", {
    status: 503,
    headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", "retry-after": "5" },
  });
}
