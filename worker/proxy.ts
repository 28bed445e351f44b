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
import { admitDualWrite, startDualWrite } from "./dual-write.ts";
import { cohortCookie, mintCohort, withCohortCookie } from "./cohort-cookie.ts";
import { sessionKey } from "../identity/session-fields.ts";
import type { RailsSession } from "../identity/rails-session.ts";
import type { CompiledBackend } from "../routes/compile.ts";

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
  // The app's session, when the table names one: read before planning (a session:FIELD cohort).
  const session = table?.session && options.identity ? await options.identity.readSession(table.session, request.headers.get("cookie"), options.now()) : undefined;
  const planned = await planFor(request, url, clientIp, table, options, requestId, session);
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
  const response = await serve(context, table, session);
  // A cohort made for this request goes to the client whatever the answer (an error page too):
  // a retry lands where this request did.
  return plan.newCohort === undefined ? response : withCohortCookie(response, cohortCookie(plan.newCohort, url));
}

/** Steps 5–6 for a planned request: its body, the shadow's admission, the call (and fallback), the response. */
async function serve(context: RequestContext, table: CompiledTable | undefined, session: RailsSession | undefined): Promise<Response> {
  const { request, url, requestId, clientIp, plan, options } = context;

  const read = await readRequestBody(request, plan);
  if (!read.ok) {
    accountRequest(context, [{ backend: plan.backend.name, result: read.clientAbort ? { kind: "client", status: CLIENT_ABORT_STATUS } : { kind: "proxy", status: read.refusal.status }, ms: 0 }]);
    return refuse(read.refusal, context);
  }
  const identity = session && options.identity ? await options.identity.tokens(backendsOf(plan), session, options.now()) : undefined;
  // A write to copy to the route's dualWrite backend: its body kept before the shadow tees it.
  const dualWrite = admitDualWrite(context, read.value);
  const admitted = admitShadow(context, dualWrite.body);
  const headers = upstreamRequestHeaders(request.headers, {
    clientIp,
    proto: url.protocol.slice(0, -1),
    host: url.host,
    requestId,
    forwardedFor: table?.forwardedFor ?? "replace",
    underscoreHeaders: table?.underscoreHeaders ?? "keep",
  });
  const outgoing = { method: request.method, path: plan.path, search: url.search, headers, body: admitted.body.body, identity };

  const startedAt = options.now();
  const attempted = await attemptWithFallback(context, outgoing, admitted.body.replayable, admitted.body.upload);
  accountRequest(context, attempted.attempts);
  const served = dualWrite.pending === undefined ? attempted : startDualWrite(context, dualWrite.pending, outgoing, attempted);
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

/** Every backend this request may reach: the chosen one, the fallback, the shadow (its control is the chosen one). */
function backendsOf(plan: RequestPlan): CompiledBackend[] {
  const backends = [plan.backend];
  if (plan.fallback) backends.push(plan.fallback.backend);
  if (plan.shadow) backends.push(plan.shadow.shadow.backend);
  const dualWrite = plan.route?.dualWrite;
  if (dualWrite) backends.push(dualWrite.backend);
  return backends;
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
  session: RailsSession | undefined,
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
      mintCohort,
      sessionField: session === undefined ? undefined : (field) => sessionKey(session, field),
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
