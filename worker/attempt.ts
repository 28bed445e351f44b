import type { CompiledBackend, CompiledFallback } from "../routes/compile.ts";
import { SAFE_METHODS } from "../routes/methods.ts";
import type { Refusal } from "../routes/refusal.ts";
import { CLIENT_ABORT_STATUS, type AttemptResult } from "../accounting/traffic-counts.ts";
import { logEvent } from "../lib/log.ts";
import { callUpstream, type UpstreamOutcome } from "./forward.ts";
import { prepareUpstream, type OutgoingRequest } from "./prepare-upstream.ts";
import type { UploadWatch } from "./request-body.ts";
import { requestFields, type RequestContext } from "./request-context.ts";
import type { AttemptRecord } from "./traffic-recorder.ts";
import { staticAnswer } from "./static-answer.ts";
import { unforwardableStatus } from "./unforwardable-status.ts";

/**
 * What one attempt at a backend came to: the backend's answer, a timeout or a network error,
 * cutover refusing to send it, or the client failing its own upload (`aborted`: its body broke
 * off; `stalled`: it sent none of its body for the backend's `uploadIdleTimeoutMs`).
 */
export type Attempt = UpstreamOutcome | { readonly kind: "refused"; readonly refusal: Refusal } | { readonly kind: "client"; readonly reason: "aborted" | "stalled" };

/** The attempt whose answer the client gets, and the backend that gave it. */
export interface Served {
  readonly attempt: Attempt;
  readonly backend: CompiledBackend;
  /** `from-backend;trigger` when the fallback answered. */
  readonly fellBackFrom: string | undefined;
  /** Every attempt, for traffic accounting: the first, and the fallback's when there was one. */
  readonly attempts: readonly AttemptRecord[];
}

/**
 * Sends the request to the plan's backend and, when that fails in a way the route's fallback
 * covers and the body can be sent again, once more to the fallback backend.
 */
export async function attemptWithFallback(context: RequestContext, outgoing: OutgoingRequest, replayable: boolean, upload?: UploadWatch): Promise<Served> {
  const { plan, request, options } = context;
  const started = options.now();
  const first = await send(context, plan.backend, outgoing, upload);
  const firstMs = options.now() - started;
  const fallback = plan.fallback;
  const trigger = fallback && replayable ? fallbackTrigger(first, fallback, request.method) : undefined;
  if (fallback === undefined || trigger === undefined) {
    return { attempt: first, backend: plan.backend, fellBackFrom: undefined, attempts: [{ backend: plan.backend.name, result: resultOf(first), ms: firstMs }] };
  }

  if (first.kind === "response") await first.response.body?.cancel();
  logEvent("warn", "fallback", { ...requestFields(context), from: plan.backend.name, to: fallback.backend.name, trigger });
  const secondStarted = options.now();
  const second = await send(context, fallback.backend, outgoing);
  return {
    attempt: second,
    backend: fallback.backend,
    fellBackFrom: `${plan.backend.name};${trigger}`,
    attempts: [
      // A 5xx status is counted as the trigger `5xx`; a 404 as `404`, the read-through step's own.
      { backend: plan.backend.name, result: resultOf(first), ms: firstMs, fallbackTrigger: /^5\d\d$/.test(trigger) ? "5xx" : trigger },
      { backend: fallback.backend.name, result: resultOf(second), ms: options.now() - secondStarted },
    ],
  };
}

/** How an attempt ended, as accounting counts it: the origin's status, or the answer cutover made. */
export function resultOf(attempt: Attempt): AttemptResult {
  switch (attempt.kind) {
    case "response":
      return unforwardableStatus(attempt.response) ? { kind: "proxy", status: 502 } : { kind: "response", status: attempt.response.status };
    case "timeout":
      return { kind: "proxy", status: 504 };
    case "error":
      return { kind: "proxy", status: 502 };
    case "refused":
      return { kind: "proxy", status: attempt.refusal.status };
    case "client":
      return { kind: "client", status: CLIENT_ABORT_STATUS };
  }
}

/**
 * One call. A network error while the client's body had broken off, or a timeout while
 * cutover was waiting on the client's body, is the client's doing, not the backend's. A
 * backend that answered keeps its answer.
 */
async function send(context: RequestContext, backend: CompiledBackend, outgoing: OutgoingRequest, upload?: UploadWatch): Promise<Attempt> {
  if (backend.config.type === "static") return { kind: "response", response: staticAnswer(backend.config, outgoing.method) };
  try {
    const prepared = await prepareUpstream(backend, outgoing, backend.timeoutMs, context.options.awsCredentials);
    if (!prepared.ok) return { kind: "refused", refusal: prepared.refusal };
    // A body that breaks off aborts the call: the backend never takes a cut-off body for a whole one.
    const outcome = await callUpstream(upload === undefined ? prepared.call : { ...prepared.call, signal: upload.signal, upload });
    const state = upload?.state();
    if (state === undefined || outcome.kind === "response") return outcome;
    if (state === "failed") return { kind: "client", reason: "aborted" };
    if (state === "stalled" || (state === "waiting" && outcome.kind === "timeout")) return { kind: "client", reason: "stalled" };
    return outcome;
  } catch (error) {
    // Signing or preparing failed inside cutover: a clear 502, never a Worker exception.
    return { kind: "error", error };
  }
}

/**
 * Whether a failed first try may go to the fallback backend. Safe methods fall back on any
 * trigger the route lists. Other methods (only when the route allows them) fall back only on
 * a 404 — the backend saying it does not have the thing — never on a 5xx, a timeout or a
 * broken connection: a 502/503/504 often comes from in front of an app that is still working
 * on the request (Heroku's H12, API Gateway's 29 s). A POST is never delivered twice.
 */
function fallbackTrigger(outcome: Attempt, policy: CompiledFallback, method: string): string | undefined {
  if (outcome.kind === "refused" || outcome.kind === "client") return undefined;
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
