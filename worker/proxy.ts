import { logEvent } from "../lib/log.ts";
import { BUCKETS } from "../routes/cohort.ts";
import type { CompiledTable } from "../routes/compile.ts";
import { overrideToken, verifyOverride } from "../routes/override-token.ts";
import { defaultPlan, planRequest, type RequestPlan } from "../routes/plan.ts";
import { attemptWithFallback } from "./attempt.ts";
import { upstreamRequestHeaders } from "./headers.ts";
import { readRequestBody } from "./request-body.ts";
import type { ProxyOptions, RequestContext } from "./request-context.ts";
import { notConfigured, refuse, respond } from "./respond.ts";
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
  path: string,
  table: CompiledTable | undefined,
  options: ProxyOptions,
  waitUntil: (promise: Promise<unknown>) => void,
): Promise<Response> {
  const headerId = request.headers.get("x-request-id");
  // Cloudflare's ray id is unique per request; a UUID where there is none (local runs).
  const requestId = headerId !== null && REQUEST_ID.test(headerId) ? headerId : (request.headers.get("cf-ray") ?? crypto.randomUUID());
  const clientIp = request.headers.get("cf-connecting-ip") ?? undefined;
  const plan = await planFor(request, url, path, clientIp, table, options, requestId);
  if (plan === undefined) return notConfigured(requestId);
  const context: RequestContext = { request, url, path, requestId, clientIp, plan, options, waitUntil };

  const read = await readRequestBody(request, plan);
  if (!read.ok) return refuse(read.refusal, context);
  const admitted = admitShadow(context, read.value);
  const headers = upstreamRequestHeaders(request.headers, { clientIp, proto: url.protocol.slice(0, -1), host: url.host, requestId });
  const outgoing = { method: request.method, path, search: url.search, headers, body: admitted.body.body };

  const startedAt = options.now();
  const served = await attemptWithFallback(context, outgoing, admitted.body.replayable);
  const shadow = admitted.shadow;
  if (shadow && served.fellBackFrom === undefined && served.attempt.kind === "response") {
    const response = startShadow(context, shadow, outgoing, served.attempt.response, startedAt);
    return respond({ ...served, attempt: { kind: "response", response } }, context);
  }
  return respond(served, context);
}

/** The plan (steps 3–4), or the default backend's when planning fails; undefined with no table and no legacy URL. */
async function planFor(
  request: Request,
  url: URL,
  path: string,
  clientIp: string | undefined,
  table: CompiledTable | undefined,
  options: ProxyOptions,
  requestId: string,
): Promise<RequestPlan | undefined> {
  if (table === undefined) return options.legacyPlan;
  try {
    const token = options.overrideSecret ? overrideToken(request.headers) : undefined;
    const override = token && options.overrideSecret ? await verifyOverride(token, options.overrideSecret, Math.floor(options.now() / 1000)) : undefined;
    return planRequest(table, {
      method: request.method,
      host: url.hostname,
      path,
      headers: request.headers,
      clientIp,
      override,
      roll: () => Math.floor(options.random() * BUCKETS),
    });
  } catch (error) {
    logEvent("error", "routing_failed", { requestId, method: request.method, url: request.url, version: table.version, error });
    return defaultPlan(table);
  }
}
