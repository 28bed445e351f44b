import { CLIENT_ABORT_STATUS } from "../accounting/traffic-counts.ts";
import { logEvent } from "../lib/log.ts";
import { err, type Result } from "../lib/result.ts";
import { BUCKETS } from "../routes/cohort.ts";
import type { CompiledTable } from "../routes/compile.ts";
import { overrideToken, verifyOverride } from "../routes/override-token.ts";
import type { PathRejection } from "../routes/path-policy.ts";
import { rawPathOf } from "../routes/path-policy.ts";
import { defaultPlan, legacyOnlyPlan, planRequest, type RequestPlan } from "../routes/plan.ts";
import { accountRequest } from "./account.ts";
import { flushLater } from "./batcher.ts";
import { attemptWithFallback } from "./attempt.ts";
import { errorPage } from "./error-page.ts";
import { upstreamRequestHeaders } from "./headers.ts";
import { readRequestBody } from "./request-body.ts";
import type { ProxyOptions, RequestContext } from "./request-context.ts";
import { notConfigured, refuse, respond } from "./respond.ts";
import { unforwardableStatus } from "./unforwardable-status.ts";
import { admitShadow, startShadow } from "./start-shadow.ts";

const REQUEST_ID = /^[A-Za-z0-9+/=._:-]{1,200}$/;

/**
 * The request path (DESIGN.md steps 3–7): plan, read the body as the plan needs it, admit a
 * shadow, send (with a fallback), respond, and start the shadow comparison. Routing errors
 * never fail the request: it is served by the default backend instead.
 */
export async function proxy(
  request: Request,
  url: URL,
  table: CompiledTable | undefined,
  options: ProxyOptions,
  waitUntil: (promise: Promise<unknown>) => void,
): Promise<Response> {
  const headerId = request.headers.get("x-request-id");
  // Cloudflare's ray id is unique per request; a UUID where there is none (local runs).
  const requestId = headerId !== null && REQUEST_ID.test(headerId) ? headerId : (request.headers.get("cf-ray") ?? crypto.randomUUID());
  const clientIp = request.headers.get("cf-connecting-ip") ?? undefined;
  const planned = await planFor(request, url, clientIp, table, options, requestId);
  if (planned === undefined) return notConfigured(requestId);
  if (!planned.ok) {
    // Refused before any backend: counted as cutover's own 400 on the default route.
    const recorder = options.trafficRecorder;
    if (recorder !== undefined) {
      recorder.record({ route: "(default)", arm: "default", attempts: [{ backend: "(cutover)", result: { kind: "proxy", status: 400 }, ms: 0 }] });
      flushLater(waitUntil, recorder);
    }
    return badPath(planned.error, request, requestId);
  }
  const plan = planned.value;
  const context: RequestContext = { request, url, requestId, clientIp, tableVersion: table?.version, plan, options, waitUntil };

  const read = await readRequestBody(request, plan);
  if (!read.ok) {
    accountRequest(context, [{ backend: plan.backend.name, result: read.clientAbort ? { kind: "client", status: CLIENT_ABORT_STATUS } : { kind: "proxy", status: read.refusal.status }, ms: 0 }]);
    return refuse(read.refusal, context);
  }
  const admitted = admitShadow(context, read.value);
  const headers = upstreamRequestHeaders(request.headers, {
    clientIp,
    proto: url.protocol.slice(0, -1),
    host: url.host,
    requestId,
    forwardedFor: table?.forwardedFor ?? "replace",
    underscoreHeaders: table?.underscoreHeaders ?? "keep",
  });
  const outgoing = { method: request.method, path: plan.path, search: url.search, headers, body: admitted.body.body };

  const startedAt = options.now();
  const served = await attemptWithFallback(context, outgoing, admitted.body.replayable, admitted.body.upload);
  accountRequest(context, served.attempts);
  const shadow = admitted.shadow;
  if (shadow !== undefined) {
    // Compared only with the first backend's own answer, one that can be passed on.
    if (served.fellBackFrom === undefined && served.attempt.kind === "response" && unforwardableStatus(served.attempt.response) === undefined) {
      const response = startShadow(context, shadow, outgoing, served.attempt.response, startedAt);
      return respond({ ...served, attempt: { kind: "response", response } }, context);
    }
    shadow.abandon();
  }
  return respond(served, context);
}

/**
 * The plan (steps 3–4), or the default backend's when planning fails; a refusal when the
 * path policy refuses the path; undefined with no table and no legacy URL.
 */
async function planFor(
  request: Request,
  url: URL,
  clientIp: string | undefined,
  table: CompiledTable | undefined,
  options: ProxyOptions,
  requestId: string,
): Promise<Result<RequestPlan, PathRejection> | undefined> {
  const rawPath = rawPathOf(request.url);
  if (table === undefined) return options.legacy && legacyOnlyPlan(options.legacy.backend, rawPath, options.legacy.headers);
  try {
    const token = options.overrideSecret ? overrideToken(request.headers) : undefined;
    const override = token && options.overrideSecret ? await verifyOverride(token, options.overrideSecret, Math.floor(options.now() / 1000), options.overridePolicy()) : undefined;
    return planRequest(table, {
      method: request.method,
      host: url.hostname,
      rawPath,
      headers: request.headers,
      clientIp,
      override,
      roll: () => Math.floor(options.random() * BUCKETS),
    });
  } catch (error) {
    logEvent("error", "routing_failed", { requestId, method: request.method, path: url.pathname, version: table.version, error });
    return { ok: true, value: defaultPlan(table, url.pathname) };
  }
}

/** A path the table's policy refuses: 400, saying why and which knob would keep it. */
function badPath(rejection: PathRejection, request: Request, requestId: string): Response {
  logEvent("warn", "path_refused", { requestId, method: request.method, reason: rejection.reason });
  return errorPage(
    { status: 400, code: "bad_path", title: "400 Bad Request", detail: rejection.detail, backend: "", route: "", requestId, headers: { "x-cutover-error": `bad_path;${rejection.reason}` } },
    request.headers.get("accept"),
  );
}
