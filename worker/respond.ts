import { logEvent } from "../lib/log.ts";
import { responseHeaders, type ResponseHeaderList } from "../routes/compile.ts";
import type { Refusal } from "../routes/refusal.ts";
import type { Served } from "./attempt.ts";
import { errorPage, gatewayErrorResponse } from "./error-page.ts";
import { INCOMPLETE_BODY, UPLOAD_STALLED } from "./request-body.ts";
import { downstreamResponse } from "./headers.ts";
import { withIdleTimeout } from "./idle-timeout.ts";
import { unforwardableStatus } from "./unforwardable-status.ts";
import { requestFields, type RequestContext } from "./request-context.ts";

/** The client's response for what was served: the backend's own, or a clear error page. */
export function respond(served: Served, context: RequestContext): Response {
  const { plan, requestId, request } = context;
  const { attempt, backend } = served;
  const show = showHeaders(context);
  const extra: (readonly [string, string])[] = [];
  if (show) {
    if (served.fellBackFrom !== undefined) extra.push(["x-cutover-fallback", served.fellBackFrom]);
    extra.push(...headersFor(context, backend.name));
  }
  if (attempt.kind === "response") {
    const odd = unforwardableStatus(attempt.response);
    if (odd !== undefined) {
      void attempt.response.body?.cancel().catch(() => {});
      logEvent("warn", "upstream_bad_status", { ...requestFields(context), backend: backend.name, status: attempt.response.status });
      return refuse(odd, context, backend.name, extra);
    }
    if (attempt.response.status === 413) {
      logEvent("warn", "upstream_payload_too_large", { ...requestFields(context), backend: backend.name });
      if (show) extra.push(["x-cutover-error", "payload_too_large"]);
    }
    try {
      const idleMs = backend.config.idleTimeoutMs;
      const upstream =
        idleMs !== undefined && attempt.response.body !== null
          ? new Response(
              withIdleTimeout(attempt.response.body, idleMs, () => logEvent("warn", "upstream_stalled", { ...requestFields(context), backend: backend.name, idleTimeoutMs: idleMs })),
              attempt.response,
            )
          : attempt.response;
      return downstreamResponse(upstream, extra);
    } catch (error) {
      // Never a Worker exception (Cloudflare's error 1101): a clear 502 instead.
      logEvent("error", "response_failed", { ...requestFields(context), backend: backend.name, error });
      return refuse(BAD_RESPONSE, context, backend.name, extra);
    }
  }

  if (attempt.kind === "refused") return refuse(attempt.refusal, context, backend.name, extra);
  if (attempt.kind === "client") return refuse(attempt.reason === "stalled" ? UPLOAD_STALLED : INCOMPLETE_BODY, context, backend.name, extra);

  logEvent("warn", attempt.kind === "timeout" ? "upstream_timeout" : "upstream_error", {
    ...requestFields(context),
    backend: backend.name,
    ...(attempt.kind === "timeout" ? { timeoutMs: backend.timeoutMs } : { error: attempt.error }),
  });
  const page = gatewayErrorResponse({ kind: attempt.kind, backend: backend.name, route: plan.routeId, requestId, timeoutMs: backend.timeoutMs }, request.headers.get("accept"));
  if (show) page.headers.set("x-cutover-error", attempt.kind === "timeout" ? "timeout" : "unreachable");
  for (const [name, value] of extra) page.headers.set(name, value);
  return page;
}

/** A request cutover answers itself (405, 413, …): logged, with the route's headers. */
export function refuse(refusal: Refusal, context: RequestContext, backendName = context.plan.backend.name, extra: readonly (readonly [string, string])[] = showHeaders(context) ? headersFor(context, backendName) : []): Response {
  const { plan, requestId, request } = context;
  if (refusal.status >= 400) logEvent("warn", "request_refused", { ...requestFields(context), backend: backendName, status: refusal.status, reason: refusal.detail });
  const page = errorPage({ ...refusal, backend: backendName, route: plan.routeId, requestId }, request.headers.get("accept"));
  if (showHeaders(context)) page.headers.set("x-cutover-error", refusal.code);
  for (const [name, value] of extra) page.headers.set(name, value);
  return page;
}

const BAD_RESPONSE: Refusal = { status: 502, code: "bad_response", title: "502 Bad Gateway", detail: "The backend's response could not be passed on." };

/**
 * Whether responses say which route, backend and version served them: they reveal the
 * migration map, so they are off in a deployment (CUTOVER_RESPONSE_HEADERS) and on under
 * `cutover dev` — and always for a tester with a valid override token.
 */
function showHeaders(context: RequestContext): boolean {
  return context.options.responseHeaders || context.plan.tester;
}

function headersFor(context: RequestContext, backendName: string): ResponseHeaderList {
  const { plan } = context;
  if (backendName === plan.backend.name) return plan.responseHeaders;
  return plan.route?.responseHeaders.get(backendName) ?? responseHeaders(plan.routeId, backendName, plan.version);
}

export function notConfigured(requestId: string): Response {
  logEvent("error", "not_configured", { requestId, message: "no route table and no CUTOVER_LEGACY_URL" });
  return new Response("503 Service Unavailable: cutover has no route table and no CUTOVER_LEGACY_URL.\n", {
    status: 503,
    headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", "retry-after": "5" },
  });
}
