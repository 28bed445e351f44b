import { copyMiss, type DualWriteOutcome, type NotCopiedReason } from "../accounting/dual-write-counts.ts";
import { logEvent } from "../lib/log.ts";
import type { CompiledDualWrite } from "../routes/compile.ts";
import type { Served } from "./attempt.ts";
import { flushLater } from "./batcher.ts";
import { createCopyBudget, type CopyLease } from "./copy-budget.ts";
import { dualWriteExample, type CopyAnswer } from "./dual-write-example.ts";
import { callUpstream } from "./forward.ts";
import { DUAL_WRITE_HEADER, isJson, LEGACY_BODY_BYTES, LEGACY_ID_HEADER, LEGACY_LOCATION_HEADER, LEGACY_STATUS_HEADER, legacyIdOf, legacyLocationOf } from "./legacy-answer.ts";
import { prepareUpstream, type OutgoingRequest } from "./prepare-upstream.ts";
import { captureChunks } from "./read-bytes.ts";
import type { RequestBody } from "./request-body.ts";
import { requestFields, type RequestContext } from "./request-context.ts";

/**
 * The copy's work after the response (reading legacy's answer, the call to the new backend)
 * ends well inside the platform's 30 s for waitUntil, leaving time for the counters' flush.
 */
const DUAL_WRITE_BUDGET_MS = 25_000;

/** The request body kept for the copy: its bytes, or why there are none. */
type BodyCopy = ArrayBuffer | null | "too_large" | "over_budget" | "incomplete_body";

/** A write admitted for a dual write before the served backend is called: its body is being kept. */
export interface PendingDualWrite {
  readonly dualWrite: CompiledDualWrite;
  readonly body: Promise<BodyCopy> | BodyCopy;
  /** The copy's slot and bytes in the isolate (none when the budget was spent). */
  readonly lease: CopyLease | undefined;
  /** Stops keeping the body and frees the lease: nothing will be copied. */
  abandon(): void;
}

/** Per isolate, when the Worker's options bring none (tests that build their own). */
const isolateBudget = createCopyBudget();

/**
 * Before the served backend is called: whether this request is a write its route's
 * `dualWrite` covers (its method, and a backend other than `dualWrite.to` chosen — a write
 * the candidate gets itself is not copied to it again), and if so its body kept for the copy:
 * a buffered body as it is; a streamed one teed, its copy read beside the call (which is not
 * held up) up to `maxBodyBytes` and within the isolate's budget. A body declared larger is
 * not teed at all. Returns the body the served backend is sent.
 */
export function admitDualWrite(context: RequestContext, body: RequestBody): { readonly pending: PendingDualWrite | undefined; readonly body: RequestBody } {
  const dualWrite = context.plan.route?.dualWrite;
  const { request } = context;
  if (dualWrite === undefined || !dualWrite.methods.has(request.method) || context.plan.backend.name === dualWrite.backend.name) return { pending: undefined, body };
  if (request.headers.get("upgrade") !== null) return { pending: undefined, body };
  const cap = dualWrite.maxBodyBytes;
  const declared = Number(request.headers.get("content-length") ?? Number.NaN);
  const notKept = (reason: "too_large" | "over_budget") => ({ pending: { dualWrite, body: reason, lease: undefined, abandon: () => {} }, body });
  if (body.body instanceof ArrayBuffer ? body.body.byteLength > cap : declared > cap) return notKept("too_large");
  const lease = (context.options.copyBudget ?? isolateBudget).tryStart();
  if (lease === undefined) return notKept("over_budget");
  if (!(body.body instanceof ReadableStream)) {
    if (body.body !== null && !lease.take(body.body.byteLength)) {
      lease.release();
      return notKept("over_budget");
    }
    return { pending: { dualWrite, body: body.body, lease, abandon: () => lease.release() }, body };
  }
  const [toServed, toCopy] = body.body.tee();
  const stop = new AbortController();
  const copy = captureChunks(toCopy, cap, { take: lease.take, signal: stop.signal }).then(
    (capture): BodyCopy => (capture.kind === "bytes" ? (capture.bytes.buffer as ArrayBuffer) : capture.kind),
    // The client's body broke off (or the copy was abandoned): there is no whole body to send.
    (): BodyCopy => "incomplete_body",
  );
  const abandon = () => {
    stop.abort();
    lease.release();
  };
  return { pending: { dualWrite, body: copy, lease, abandon }, body: { ...body, body: toServed } };
}

/**
 * Once the served backend answered: when it was another backend than `dualWrite.to` (and
 * `dualWrite.to` got no attempt: a write never reaches one backend twice), starts the copy in
 * `waitUntil` and returns what the client gets — the served answer, teed when it is 2xx JSON
 * so that the copy can read legacy's id from it. Otherwise abandons the copy and returns the
 * served answer as it is.
 */
export function startDualWrite(context: RequestContext, pending: PendingDualWrite, outgoing: OutgoingRequest, served: Served): Served {
  const candidate = pending.dualWrite.backend;
  if (served.backend.name === candidate.name || served.attempts.some((attempt) => attempt.backend === candidate.name)) {
    pending.abandon();
    return served;
  }
  const attempt = served.attempt;
  const legacy = attempt.kind === "response" ? attempt.response : undefined;
  const reason = legacy === undefined ? "legacy_failed" : notCopiedFor(legacy.status);
  if (reason !== undefined) {
    pending.abandon();
    record(context, pending, { kind: "not_copied", reason });
    const recorder = context.options.trafficRecorder;
    if (recorder !== undefined) flushLater(context.waitUntil, recorder);
    return served;
  }
  const response = legacy as Response;
  let forClient = response;
  let legacyBody: ReadableStream<Uint8Array> | null = null;
  if (response.body !== null && context.request.method !== "HEAD" && isJson(response.headers.get("content-type"))) {
    const [toClient, toCopy] = response.body.tee();
    forClient = new Response(toClient, response);
    legacyBody = toCopy;
  }
  context.waitUntil(runDualWrite(context, pending, outgoing, { status: response.status, headers: response.headers, body: legacyBody }));
  return { ...served, attempt: { kind: "response", response: forClient } };
}

/** 2xx is copied; anything else says the write did not happen on the served backend. */
function notCopiedFor(status: number): NotCopiedReason | undefined {
  if (status >= 200 && status < 300) return undefined;
  return status >= 300 && status < 400 ? "legacy_redirected" : "legacy_refused";
}

interface LegacyAnswer {
  readonly status: number;
  readonly headers: Headers;
  /** A tee of its JSON body (the client reads the other branch), or null. */
  readonly body: ReadableStream<Uint8Array> | null;
}

/**
 * The copy, in waitUntil: catches its own errors, frees its lease and the unread branch on
 * every exit; stores an example of a copy that went wrong beside the counters' flush.
 */
async function runDualWrite(context: RequestContext, pending: PendingDualWrite, outgoing: OutgoingRequest, legacy: LegacyAnswer): Promise<void> {
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new Error(`dual write over ${DUAL_WRITE_BUDGET_MS} ms`)), DUAL_WRITE_BUDGET_MS);
  let legacyBody = legacy.body;
  let example: Awaited<ReturnType<typeof dualWriteExample>>;
  try {
    const body = await pending.body;
    if (body === "too_large" || body === "over_budget" || body === "incomplete_body") {
      record(context, pending, { kind: "not_copied", reason: body });
    } else {
      const id = legacyBody === null ? undefined : await readLegacyId(legacyBody, pending.lease, deadline.signal);
      legacyBody = null;
      const headers = copyHeaders(context, outgoing.headers, legacy, id);
      const copy = { ...outgoing, headers, body };
      const answer = await sendCopy(context, pending.dualWrite, copy, deadline.signal);
      record(context, pending, { kind: "copied", legacyStatus: legacy.status, candidate: answer.result });
      example = await dualWriteExample(context, { outgoing: copy, candidate: pending.dualWrite.backend.name, legacyStatus: legacy.status, legacyId: id }, answer, deadline.signal);
    }
  } catch (error) {
    logEvent("warn", "dual_write_error", { ...requestFields(context), candidate: pending.dualWrite.backend.name, error });
  } finally {
    clearTimeout(timer);
    if (legacyBody !== null) void legacyBody.cancel("not read for the dual write").catch(() => {});
    pending.abandon();
  }
  await Promise.all([example && context.options.dualWriteExamples?.keep(example), context.options.trafficRecorder?.flushIfDue()]);
}

/** The copy's head: the request's own headers, the idempotency key, and legacy's answer beside it. */
function copyHeaders(context: RequestContext, outgoing: Headers, legacy: LegacyAnswer, id: string | undefined): Headers {
  const headers = new Headers(outgoing);
  headers.set(DUAL_WRITE_HEADER, "1");
  // The client's own key, when it sent one, is what lets the new backend recognise a retry;
  // else cutover's own id for the request, never the client's x-request-id, which a client
  // could reuse to collide with another's write.
  if (!headers.has("idempotency-key")) headers.set("idempotency-key", context.request.headers.get("cf-ray") ?? crypto.randomUUID());
  headers.set(LEGACY_STATUS_HEADER, String(legacy.status));
  const location = legacyLocationOf(legacy.headers);
  if (location !== undefined) headers.set(LEGACY_LOCATION_HEADER, location);
  if (id !== undefined) headers.set(LEGACY_ID_HEADER, id);
  return headers;
}

/** The id in legacy's JSON answer, read up to LEGACY_BODY_BYTES within the copy's budget. */
async function readLegacyId(body: ReadableStream<Uint8Array>, lease: CopyLease | undefined, signal: AbortSignal): Promise<string | undefined> {
  const capture = await captureChunks(body, LEGACY_BODY_BYTES, { take: lease?.take ?? (() => false), signal }).catch(() => undefined);
  return capture?.kind === "bytes" ? legacyIdOf(new TextDecoder().decode(capture.bytes)) : undefined;
}

/**
 * One call to the new backend, never retried: its answer's status, or why there is none. Its
 * answer is not compared (that is shadow's work); its body is left to the example, which reads
 * the start of it or cancels it.
 */
async function sendCopy(context: RequestContext, dualWrite: CompiledDualWrite, copy: OutgoingRequest, signal: AbortSignal): Promise<CopyAnswer> {
  const backend = dualWrite.backend;
  const headTimeoutMs = backend.timeoutMs > 0 && backend.timeoutMs < DUAL_WRITE_BUDGET_MS ? backend.timeoutMs : DUAL_WRITE_BUDGET_MS;
  const prepared = await prepareUpstream(backend, copy, headTimeoutMs, context.options.awsCredentials);
  if (!prepared.ok) return { result: { kind: "refused" }, error: `refused: ${prepared.refusal.detail}` };
  const outcome = await callUpstream({ ...prepared.call, signal });
  if (outcome.kind === "timeout") return { result: { kind: "timeout" }, error: "timeout" };
  if (outcome.kind === "error") return { result: { kind: "error" }, error: `error: ${outcome.error instanceof Error ? outcome.error.message : String(outcome.error)}` };
  return { result: { kind: "response", status: outcome.response.status }, response: outcome.response };
}

/** Counts the outcome in the route's cells of `dualWrite.to`; logs a copy that failed or disagreed. */
function record(context: RequestContext, pending: PendingDualWrite, outcome: DualWriteOutcome): void {
  const candidate = pending.dualWrite.backend.name;
  context.options.trafficRecorder?.recordDualWrite(context.plan.routeId, candidate, outcome);
  if (outcome.kind !== "copied") return;
  const answered = outcome.candidate.kind === "response" ? outcome.candidate.status : undefined;
  const miss = copyMiss(outcome.legacyStatus, outcome.candidate);
  if (miss !== undefined) {
    logEvent("warn", miss === "failed" ? "dual_write_failed" : "dual_write_disagreed", {
      ...requestFields(context),
      candidate,
      legacyStatus: outcome.legacyStatus,
      candidateStatus: answered ?? outcome.candidate.kind,
    });
  }
}
