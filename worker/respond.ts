import { errorPage, gatewayErrorResponse } from "./error-page.ts";
import type { UpstreamOutcome } from "./forward.ts";
import { downstreamResponse } from "./headers.ts";
import { logEvent } from "./log.ts";
import type { Plan } from "./plan-request.ts";
import type { Refusal } from "./prepare-upstream.ts";

/** What one attempt at a backend came to. */
export type Attempt = UpstreamOutcome | { readonly kind: "refused"; readonly refusal: Refusal };

export interface ResponseContext {
  readonly plan: Plan;
  readonly backendName: string;
  readonly timeoutMs: number;
  /** `from-backend;trigger` after a fallback. */
  readonly fellBackFrom: string | undefined;
  readonly requestId: string;
  readonly request: Request;
  readonly showHeaders: boolean;
}

/** The client's response for an attempt: the backend's own, or a clear error page. */
export function respond(attempt: Attempt, context: ResponseContext): Response {
  const { plan, backendName, requestId, request } = context;
  const extra: [string, string][] = [];
  if (context.showHeaders) {
    if (context.fellBackFrom !== undefined) extra.push(["x-cutover-fallback", context.fellBackFrom]);
    extra.push(["x-cutover-route", plan.routeId], ["x-cutover-backend", backendName], ["x-cutover-version", plan.version]);
  }
  if (attempt.kind === "response") {
    if (attempt.response.status === 413) {
      logEvent("warn", "upstream_payload_too_large", { requestId, method: request.method, route: plan.routeId, backend: backendName });
      if (context.showHeaders) extra.push(["x-cutover-error", "payload_too_large"]);
    }
    return downstreamResponse(attempt.response, extra);
  }

  let page: Response;
  if (attempt.kind === "refused") {
    logEvent("warn", "request_refused", { requestId, method: request.method, url: request.url, route: plan.routeId, backend: backendName, status: attempt.refusal.status, reason: attempt.refusal.detail });
    page = errorPage({ ...attempt.refusal, backend: backendName, route: plan.routeId, requestId }, request.headers.get("accept"));
    if (context.showHeaders) page.headers.set("x-cutover-error", attempt.refusal.code);
  } else {
    logEvent("warn", attempt.kind === "timeout" ? "upstream_timeout" : "upstream_error", {
      requestId,
      method: request.method,
      url: request.url,
      route: plan.routeId,
      backend: backendName,
      ...(attempt.kind === "timeout" ? { timeoutMs: context.timeoutMs } : { error: attempt.error }),
    });
    page = gatewayErrorResponse({ kind: attempt.kind, backend: backendName, route: plan.routeId, requestId, timeoutMs: context.timeoutMs }, request.headers.get("accept"));
    if (context.showHeaders) page.headers.set("x-cutover-error", attempt.kind === "timeout" ? "timeout" : "unreachable");
  }
  for (const [name, value] of extra) page.headers.set(name, value);
  return page;
}

export function notConfigured(requestId: string): Response {
  logEvent("error", "not_configured", { requestId, message: "no route table and no CUTOVER_LEGACY_URL" });
  return new Response("503 Service Unavailable: cutover has no route table and no CUTOVER_LEGACY_URL.\n", {
    status: 503,
    headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", "retry-after": "5" },
  });
}
