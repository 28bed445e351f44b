import type { Snapshot } from "../config/snapshot.ts";
import type { CompiledFallback } from "../routes/compile.ts";
import { SAFE_METHODS } from "../routes/methods.ts";
import type { Backend } from "../routes/schema.ts";
import type { AwsCredentials } from "../config/aws-signing.ts";
import { callUpstream } from "./forward.ts";
import { upstreamRequestHeaders } from "./headers.ts";
import { logEvent } from "./log.ts";
import { verifyOverride } from "./override.ts";
import { defaultPlan, planRequest, type Plan, type PlanOptions } from "./plan-request.ts";
import { overrideToken } from "./read-override.ts";
import { hashedBodyLimit, prepareUpstream } from "./prepare-upstream.ts";
import { readUpTo } from "./read-bytes.ts";
import { bufferUpTo } from "./replayable-body.ts";
import { notConfigured, respond, type Attempt } from "./respond.ts";
import { DEFAULT_SHADOW_BODY_BYTES, runShadow } from "./shadow.ts";
import type { ShadowRecorder } from "./shadow-recorder.ts";

export interface ProxyOptions extends PlanOptions {
  readonly overrideSecret: string | undefined;
  readonly now: () => number;
  /** Add x-cutover-route / -backend / -version to responses. */
  readonly responseHeaders: boolean;
  /** Where shadow results go; undefined disables shadowing (no store to report from). */
  readonly shadowRecorder: ShadowRecorder | undefined;
  /** For backends with `auth: aws-iam`. */
  readonly awsCredentials: AwsCredentials | undefined;
}
/** Heroku's router gives up after 30 s, so a legacy app never needs longer. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** Largest body buffered so that a fallback can send it again. */
export const MAX_REPLAY_BODY_BYTES = 256 * 1024;

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
  const chosen: Plan = plan;

  const websocket = request.headers.get("upgrade")?.toLowerCase() === "websocket";
  const headers = upstreamRequestHeaders(request.headers, {
    clientIp,
    proto: url.protocol.slice(0, -1),
    host: url.host,
    requestId,
  });
  const method = request.method;
  const fallback = plan.fallback;

  // A signature that covers the body needs it whole, up to what the AWS service takes.
  let body: ReadableStream | ArrayBuffer | null = request.body;
  let replayable = body === null;
  const hashed = hashedBodyLimit(plan.backend, method);
  if (hashed !== undefined && request.body !== null) {
    ({ body, replayable } = await bufferUpTo(request.body, request.headers.get("content-length"), hashed.bytes));
    if (!replayable) return respond({ kind: "refused", refusal: hashed.refusal }, context(plan.backendName, plan.backend, undefined));
  }
  // A body can be sent twice only if it is kept: buffer it when a fallback may need it.
  if (fallback && body instanceof ReadableStream && (SAFE_METHODS.has(method) || fallback.policy.unsafeMethods)) {
    ({ body, replayable } = await bufferUpTo(body, request.headers.get("content-length"), MAX_REPLAY_BODY_BYTES));
  }
  // A shadow copy of a request body comes from a tee, read as the control request streams,
  // so that the control request is not held up; a body over the shadow's cap is not copied
  // (counted as skipped), and reading the copy stops at the cap, so memory stays bounded.
  let shadow = options.shadowRecorder && !websocket ? plan.shadow : undefined;
  const shadowCap = shadow?.config.maxBodyBytes ?? DEFAULT_SHADOW_BODY_BYTES;
  let shadowBody: Promise<ArrayBuffer | undefined> | ArrayBuffer | null = body instanceof ReadableStream ? null : body;
  if (shadow && options.shadowRecorder) {
    const declared = Number(request.headers.get("content-length") ?? Number.NaN);
    const tooLarge = body instanceof ArrayBuffer ? body.byteLength > shadowCap : declared > shadowCap;
    if (tooLarge) {
      options.shadowRecorder.stats(plan.routeId).shed++;
      shadow = undefined;
    } else if (body instanceof ReadableStream) {
      const [toControl, toShadow] = body.tee();
      body = toControl;
      shadowBody = readUpTo(toShadow, shadowCap).then(async (read) => {
        if (read.complete) return read.bytes.buffer as ArrayBuffer;
        await read.reader.cancel("over the shadow's maxBodyBytes").catch(() => {});
        return undefined;
      });
      shadowBody.catch(() => {});
    }
  }

  const outgoing = { method, path, search: url.search, headers, body };
  const send = async (backend: Backend): Promise<Attempt> => {
    try {
      const prepared = await prepareUpstream(backend, outgoing, backend.timeoutMs ?? DEFAULT_TIMEOUT_MS, options.awsCredentials);
      return prepared.ok ? await callUpstream(prepared.call) : { kind: "refused", refusal: prepared.refusal };
    } catch (error) {
      // Signing or preparing failed inside cutover: a clear 502, never a Worker exception.
      return { kind: "error", error };
    }
  };
  function context(backendName: string, backend: Backend, fellBackFrom: string | undefined) {
    return { plan: chosen, backendName, timeoutMs: backend.timeoutMs ?? DEFAULT_TIMEOUT_MS, fellBackFrom, requestId, request, showHeaders: options.responseHeaders };
  }

  const startedAt = Date.now();
  let first = await send(plan.backend);
  const trigger = fallback && replayable ? fallbackTrigger(first, fallback.policy, method) : undefined;
  if (fallback === undefined || trigger === undefined) {
    if (shadow && options.shadowRecorder && first.kind === "response" && options.shadowRecorder.tryStart(chosen.routeId)) {
      // The client reads one branch of the body, the comparison the other.
      const [toClient, toCompare] = first.response.body ? first.response.body.tee() : [null, null];
      const control = first.response;
      first = { kind: "response", response: toClient ? new Response(toClient, control) : control };
      waitUntil(
        runShadow(
          {
            routeId: plan.routeId,
            requestId,
            outgoing: { ...outgoing, body: shadowBody },
            control: { backend: plan.backend, response: control, body: toCompare, startedAt },
            candidate: { name: shadow.choice.to, backend: shadow.backend },
            learnNoise: shadow.choice.learnNoise,
            rules: shadow.rules,
            maxBodyBytes: shadowCap,
            redact: shadow.config.redact ?? [],
            credentials: options.awsCredentials,
          },
          options.shadowRecorder,
        ),
      );
    }
    return respond(first, context(plan.backendName, plan.backend, undefined));
  }

  if (first.kind === "response") await first.response.body?.cancel();
  logEvent("warn", "fallback", { requestId, method, route: plan.routeId, from: plan.backendName, to: fallback.name, trigger });
  const second = await send(fallback.backend);
  return respond(second, context(fallback.name, fallback.backend, `${plan.backendName};${trigger}`));
}

/**
 * Whether a failed first try may go to the fallback backend. Safe methods fall back on any
 * trigger the route lists. Other methods (only when the route allows them) fall back only on
 * a 404 — the backend saying it does not have the thing — never on a 5xx, a timeout or a
 * broken connection: a 502/503/504 often comes from in front of an app that is still working
 * on the request (Heroku's H12, API Gateway's 29 s). A POST is never delivered twice.
 */
function fallbackTrigger(outcome: Attempt, policy: CompiledFallback, method: string): string | undefined {
  if (outcome.kind === "refused") return undefined;
  const safe = SAFE_METHODS.has(method);
  if (!safe && !policy.unsafeMethods) return undefined;
  if (outcome.kind === "response") {
    const status = outcome.response.status;
    if (status === 404 && policy.on.has("404")) return "404";
    if (safe && status >= 500 && policy.on.has("5xx")) return String(status);
    return undefined;
  }
  if (!safe) return undefined;
  return policy.on.has(outcome.kind) ? outcome.kind : undefined;
}
