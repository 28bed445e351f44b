import type { AwsCredentials } from "../aws/sign.ts";
import { compareResponses, type Observation } from "../compare/compare-responses.ts";
import { redactDifferences, requestSecrets } from "../compare/redact.ts";
import { redactTarget } from "../compare/scrub-urls.ts";
import { recordCandidateError, recordComparison, recordNoise, type ShadowStats } from "../compare/shadow-stats.ts";
import { logEvent } from "../lib/log.ts";
import type { CompiledBackend } from "../routes/compile.ts";
import type { ShadowChoice } from "../routes/shadow-sampling.ts";
import { callUpstream } from "./forward.ts";
import { prepareUpstream, type OutgoingRequest } from "./prepare-upstream.ts";
import { captureBody } from "./read-bytes.ts";
import type { ShadowLease, ShadowRecorder } from "./shadow-recorder.ts";

/**
 * Work after the response must end well inside the platform's 30 s limit for waitUntil: the
 * comparison, and a flush after it (5 s are left for its last send).
 */
const SHADOW_BUDGET_MS = 25_000;
/** Differences kept in one stored sample. */
const SAMPLE_DIFFERENCES = 20;

/** What a request body copy came to: the bytes, or why there are none. */
export type BodyCopy = ArrayBuffer | null | "too_large" | "over_budget";

export interface ShadowJob {
  readonly routeId: string;
  /** For logs. */
  readonly requestId: string;
  /** Sent as the copy's Idempotency-Key when the client sent none. */
  readonly idempotencyKey: string;
  /**
   * The request as sent to the control backend, with its body kept or being read from a tee
   * of what the control was sent; copies carry x-cutover-shadow.
   */
  readonly outgoing: Omit<OutgoingRequest, "body"> & { readonly body: Promise<BodyCopy> | BodyCopy };
  readonly control: {
    readonly backend: CompiledBackend;
    readonly response: Response;
    /** A tee of the body the client is reading. */
    readonly body: ReadableStream<Uint8Array> | null;
    readonly startedAt: number;
  };
  /** The candidate, its comparison rules and redaction, and whether to learn noise too. */
  readonly choice: ShadowChoice;
  /** The copy's slot and bytes in the isolate, freed when it ends, whatever way it ends. */
  readonly lease: ShadowLease;
  readonly credentials: AwsCredentials | undefined;
  readonly now: () => number;
  /** How long the copy may take, calls and body reads together (default 25 s; shorter in tests). */
  readonly deadlineMs?: number;
}

/**
 * Sends the shadow copy, captures both sides and records the comparison. Runs in `waitUntil`
 * beside the client's response, so it cannot change it, and catches its own errors
 * (Scientist: the control value is always returned). The copy's call starts at once: the
 * client's head waits only for it to be issued, which costs less than a timer tick to defer
 * it to (`bench/RESULTS.md`); its answer and the comparison come after.
 */
export async function runShadow(job: ShadowJob, recorder: ShadowRecorder): Promise<void> {
  // The client's branch of the response is teed: a branch nobody reads would buffer the whole
  // download in the isolate, so the comparison's branch is read or cancelled on every exit.
  let controlBody = job.control.body;
  // Looked up when a result is recorded, never held across an await: a flush takes the batch out.
  const stats = () => recorder.stats(job.choice.shadow.statsId);
  try {
    const requestBody = await job.outgoing.body;
    if (requestBody === "too_large" || requestBody === "over_budget") {
      stats().shed++;
    } else {
      const controlStream = controlBody;
      controlBody = null; // compareCopy reads it to the end or cancels it
      await compareCopy(job, requestBody, controlStream, stats);
    }
  } catch (error) {
    logEvent("warn", "shadow_failed", { requestId: job.requestId, route: job.routeId, candidate: job.choice.shadow.backend.name, error });
  } finally {
    if (controlBody !== null) void controlBody.cancel("shadow copy not compared").catch(() => {});
    job.lease.release();
  }
  // The slot and bytes are free once this copy is recorded; the flush that follows may wait,
  // within what is left of the platform's 30 s for this request's background work.
  await recorder.flushIfDue(SHADOW_BUDGET_MS - (job.now() - job.control.startedAt));
}

/** Calls the candidate (and, to learn noise, the control again), captures all sides, records the outcome. */
async function compareCopy(job: ShadowJob, requestBody: ArrayBuffer | null, controlStream: ReadableStream<Uint8Array> | null, statsNow: () => ShadowStats): Promise<void> {
  const { shadow } = job.choice;
  // One timer for the whole copy: its calls and body reads are aborted through one signal.
  const deadlineMs = job.deadlineMs ?? SHADOW_BUDGET_MS;
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), deadlineMs);
  try {
    await compareWithin(job, requestBody, controlStream, statsNow, { signal: deadline.signal, ms: deadlineMs });
  } catch (error) {
    // A side that failed early (the control's body reset) ends the others now: nothing will
    // compare them, and with the timer cleared nothing else would.
    deadline.abort();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

async function compareWithin(
  job: ShadowJob,
  requestBody: ArrayBuffer | null,
  controlStream: ReadableStream<Uint8Array> | null,
  statsNow: () => ShadowStats,
  deadline: { readonly signal: AbortSignal; readonly ms: number },
): Promise<void> {
  const { shadow } = job.choice;
  const headers = new Headers(job.outgoing.headers);
  headers.set("x-cutover-shadow", "1");
  // The client's own key, when it sent one, is what lets the candidate recognise a retry.
  if (!headers.has("idempotency-key")) headers.set("idempotency-key", job.idempotencyKey);
  const copy = { ...job.outgoing, headers, body: requestBody };
  let overBudget = false;
  const observe = async (response: Response, body: ReadableStream<Uint8Array> | null, startedAt: number, owned: boolean): Promise<Observation> => {
    const capture = await captureBody(response, body, shadow.maxBodyBytes, { take: job.lease.take, signal: deadline.signal, owned, method: job.outgoing.method });
    overBudget ||= capture.kind === "over_budget";
    const pairs: [string, string][] = [];
    for (const [name, value] of response.headers) if (name !== "set-cookie") pairs.push([name, value]);
    for (const cookie of response.headers.getSetCookie()) pairs.push(["set-cookie", cookie]);
    return { status: response.status, headers: pairs, body: capture.kind === "bytes" ? capture.bytes : undefined, durationMs: job.now() - startedAt };
  };
  const observeCall = async (backend: CompiledBackend): Promise<Observation | undefined> => {
    const startedAt = job.now();
    // The backend's own timeout to the head when it is the shorter; the copy's deadline aborts
    // the call in any case, and with it a body still being read.
    const headTimeoutMs = backend.timeoutMs > 0 && backend.timeoutMs < deadline.ms ? backend.timeoutMs : 0;
    const prepared = await prepareUpstream(backend, copy, headTimeoutMs, job.credentials);
    if (!prepared.ok) return undefined;
    const outcome = await callUpstream({ ...prepared.call, signal: deadline.signal });
    if (outcome.kind !== "response") return undefined;
    return observe(outcome.response, outcome.response.body, startedAt, true);
  };

  const [control, candidate, secondControl] = await Promise.all([
    observe(job.control.response, controlStream, job.control.startedAt, false),
    observeCall(shadow.backend).catch(() => undefined),
    job.choice.learnNoise ? observeCall(job.control.backend).catch(() => undefined) : undefined,
  ]);

  const stats = statsNow();
  if (overBudget) {
    // A body the isolate's shadow budget could not hold: not a comparison, a shed copy.
    stats.shed++;
    return;
  }
  if (candidate === undefined) {
    recordCandidateError(stats, control.durationMs);
  } else if (candidate.status === 404 && control.status !== 404 && shadow.notFoundFallsBackTo === job.control.backend.name) {
    // Read-through: the fallback would have answered this user from the control; not a difference they would see.
  } else {
    const comparison = compareResponses(control, candidate, shadow.rules);
    recordComparison(stats, comparison, control.durationMs, candidate.durationMs, shadow.redaction, () => ({
      at: new Date(job.now()).toISOString(),
      method: job.outgoing.method,
      path: redactTarget(job.outgoing.path, job.outgoing.search, shadow.redaction),
      controlStatus: control.status,
      candidateStatus: candidate.status,
      controlMs: control.durationMs,
      candidateMs: candidate.durationMs,
      differences: redactDifferences(comparison.differences.slice(0, SAMPLE_DIFFERENCES), shadow.redaction, requestSecrets(job.outgoing.headers, job.outgoing.search, shadow.redaction)),
    }));
  }
  // Noise is what differs between two answers of the same backend to the same request:
  // only from two complete answers with the same status (a 429 on the second call is not noise).
  if (secondControl !== undefined && secondControl.status === control.status && control.body !== undefined && secondControl.body !== undefined) {
    recordNoise(stats, compareResponses(control, secondControl, shadow.rules).differences, shadow.redaction);
  }
}
