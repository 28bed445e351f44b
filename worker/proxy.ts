import type { Snapshot } from "../config/snapshot.ts";
import type { CompiledFallback } from "../routes/compile.ts";
import type { Backend } from "../routes/schema.ts";
import { gatewayErrorResponse } from "./error-page.ts";
import { callUpstream, type UpstreamOutcome } from "./forward.ts";
import { downstreamResponse, upstreamRequestHeaders } from "./headers.ts";
import { logEvent } from "./log.ts";
import { verifyOverride } from "./override.ts";
import { defaultPlan, planRequest, type Plan, type PlanOptions } from "./plan-request.ts";
import { overrideToken } from "./read-override.ts";
import { bufferUpTo } from "./replayable-body.ts";
import { DEFAULT_SHADOW_BODY_BYTES, runShadow } from "./shadow.ts";
import type { ShadowRecorder } from "./shadow-recorder.ts";
import { upstreamUrl } from "./upstream-url.ts";

export interface ProxyOptions extends PlanOptions {
  readonly overrideSecret: string | undefined;
  readonly now: () => number;
  /** Add x-cutover-route / -backend / -version to responses. */
  readonly responseHeaders: boolean;
  /** Where shadow results go; undefined disables shadowing (no store to report from). */
  readonly shadowRecorder: ShadowRecorder | undefined;
}
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
export async function proxy(
  request: Request,
  url: URL,
  path: string,
  snapshot: Snapshot | undefined,
  options: ProxyOptions,
  waitUntil: (promise: Promise<unknown>) => void,
): Promise<Response> {
  const headerId = request.headers.get("x-request-id");
  // Cloudflare's ray id is unique per request; a UUID where there is none (local runs).
  const requestId = headerId !== null && REQUEST_ID.test(headerId) ? headerId : (request.headers.get("cf-ray") ?? crypto.randomUUID());
  const clientIp = request.headers.get("cf-connecting-ip") ?? undefined;

  let plan: Plan | undefined;
  try {
    const token = options.overrideSecret ? overrideToken(request.headers) : undefined;
    const override = token && options.overrideSecret ? await verifyOverride(token, options.overrideSecret, Math.floor(options.now() / 1000)) : undefined;
    plan = planRequest(request, url, path, clientIp, override, snapshot, options);
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
  });
  const method = request.method;
  const fallback = plan.fallback;

  // A body can be sent twice only if it is kept: buffer it when a fallback or a shadow copy
  // may need it (a shadow copy is skipped when the body is larger than it compares).
  let body: ReadableStream | ArrayBuffer | null = request.body;
  let replayable = body === null;
  if (fallback && request.body !== null && (IDEMPOTENT.has(method) || fallback.policy.unsafeMethods)) {
    ({ body, replayable } = await bufferUpTo(request.body, request.headers.get("content-length"), MAX_REPLAY_BODY_BYTES));
  }
  let shadow = options.shadowRecorder && !websocket ? plan.shadow : undefined;
  const shadowCap = shadow?.config.maxBodyBytes ?? DEFAULT_SHADOW_BODY_BYTES;
  if (shadow && body instanceof ReadableStream) {
    ({ body, replayable } = await bufferUpTo(body, request.headers.get("content-length"), shadowCap));
    if (!replayable) shadow = undefined;
  }

  const send = (backend: Backend) =>
    callUpstream({
      url: upstreamUrl(backend, path, url.search),
      method,
      headers,
      body,
      timeoutMs: backend.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    });

  const startedAt = Date.now();
  let first = await send(plan.backend);
  const trigger = fallback && replayable ? fallbackTrigger(first, fallback.policy, method) : undefined;
  if (fallback === undefined || trigger === undefined) {
    if (shadow && options.shadowRecorder && first.kind === "response") {
      // The client reads one branch of the body, the comparison the other.
      const [toClient, toCompare] = first.response.body ? first.response.body.tee() : [null, null];
      const control = first.response;
      first = { kind: "response", response: toClient ? new Response(toClient, control) : control };
      waitUntil(
        runShadow(
          {
            routeId: plan.routeId,
            requestId,
            method,
            path,
            search: url.search,
            headers,
            body: body instanceof ArrayBuffer ? body : null,
            control: { backend: plan.backend, response: control, body: toCompare, startedAt },
            candidate: { name: shadow.choice.to, backend: shadow.backend },
            learnNoise: shadow.choice.learnNoise,
            rules: shadow.rules,
            maxBodyBytes: shadowCap,
            redact: shadow.config.redact ?? [],
          },
          options.shadowRecorder,
        ),
      );
    }
    return respond(first, plan, plan.backendName, undefined, requestId, request, options.responseHeaders);
  }

  if (first.kind === "response") await first.response.body?.cancel();
  logEvent("warn", "fallback", { requestId, method, route: plan.routeId, from: plan.backendName, to: fallback.name, trigger });
  const second = await send(fallback.backend);
  return respond(second, plan, fallback.name, `${plan.backendName};${trigger}`, requestId, request, options.responseHeaders);
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
