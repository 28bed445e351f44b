import { compareResponses, type CompareRules, type Observation } from "../compare/compare-responses.ts";
import { redactDifferences } from "../compare/redact.ts";
import { recordCandidateError, recordComparison, recordNoise } from "../compare/shadow-stats.ts";
import type { Backend } from "../routes/schema.ts";
import type { AwsCredentials } from "../config/aws-signing.ts";
import { callUpstream } from "./forward.ts";
import { logEvent } from "./log.ts";
import { prepareUpstream, type OutgoingRequest } from "./prepare-upstream.ts";
import { readUpTo } from "./read-bytes.ts";
import type { ShadowRecorder } from "./shadow-recorder.ts";

/** Work after the response must end well inside the platform's 30 s limit for waitUntil. */
const SHADOW_BUDGET_MS = 25_000;
const SHADOW_TIMEOUT_MS = 20_000;
export const DEFAULT_SHADOW_BODY_BYTES = 1024 * 1024;

export interface ShadowJob {
  readonly routeId: string;
  readonly requestId: string;
  /**
   * The request as sent to the control backend, with its body kept or being read from a tee
   * of what the control was sent (undefined: over the cap); copies carry x-cutover-shadow.
   */
  readonly outgoing: Omit<OutgoingRequest, "body"> & { readonly body: Promise<ArrayBuffer | undefined> | ArrayBuffer | null };
  readonly control: {
    readonly backend: Backend;
    readonly response: Response;
    /** A tee of the body the client is reading. */
    readonly body: ReadableStream<Uint8Array> | null;
    readonly startedAt: number;
  };
  readonly candidate: { readonly name: string; readonly backend: Backend };
  readonly learnNoise: boolean;
  readonly rules: CompareRules;
  readonly maxBodyBytes: number;
  readonly redact: readonly string[];
  readonly credentials: AwsCredentials | undefined;
}

/**
 * Sends the shadow copy, captures both sides and records the comparison. Runs in
 * `waitUntil` after the client's response is under way, so it cannot delay or change it,
 * and catches its own errors (Scientist: the control value is always returned).
 */
export async function runShadow(job: ShadowJob, recorder: ShadowRecorder): Promise<void> {
  let released = false;
  const release = () => {
    if (!released) recorder.finish();
    released = true;
  };
  try {
    // Start once the client's response is under way, not before it is handed back.
    await scheduler.wait(0);
    const deadline = Date.now() + SHADOW_BUDGET_MS;
    const headers = new Headers(job.outgoing.headers);
    headers.set("x-cutover-shadow", "1");
    // The client's own key, when it sent one, is what lets the candidate recognise a retry.
    if (!headers.has("idempotency-key")) headers.set("idempotency-key", job.requestId);
    const requestBody = await job.outgoing.body;
    if (requestBody === undefined) {
      recorder.stats(job.routeId).shed++;
      return;
    }
    const copy = { ...job.outgoing, headers, body: requestBody };
    const observeCall = async (backend: Backend): Promise<Observation | undefined> => {
      const startedAt = Date.now();
      const prepared = await prepareUpstream(backend, copy, Math.min(backend.timeoutMs ?? SHADOW_TIMEOUT_MS, SHADOW_TIMEOUT_MS), job.credentials);
      if (!prepared.ok) return undefined;
      const outcome = await callUpstream(prepared.call);
      if (outcome.kind !== "response") return undefined;
      return observe(outcome.response, outcome.response.body, startedAt, job.maxBodyBytes, deadline);
    };

    const [control, candidate, secondControl] = await Promise.all([
      observe(job.control.response, job.control.body, job.control.startedAt, job.maxBodyBytes, deadline),
      observeCall(job.candidate.backend).catch(() => undefined),
      job.learnNoise ? observeCall(job.control.backend).catch(() => undefined) : undefined,
    ]);

    const stats = recorder.stats(job.routeId);
    if (candidate === undefined) {
      recordCandidateError(stats, control.durationMs);
    } else {
      const comparison = compareResponses(control, candidate, job.rules);
      recordComparison(stats, comparison, control.durationMs, candidate.durationMs, job.redact, () => ({
        at: new Date().toISOString(),
        method: job.outgoing.method,
        path: job.outgoing.path,
        controlStatus: control.status,
        candidateStatus: candidate.status,
        controlMs: control.durationMs,
        candidateMs: candidate.durationMs,
        differences: redactDifferences(comparison.differences.slice(0, 20), job.redact),
      }));
    }
    // Noise is what differs between two answers of the same backend to the same request:
    // only from two complete answers with the same status (a 429 on the second call is not noise).
    if (secondControl !== undefined && secondControl.status === control.status && control.body !== undefined && secondControl.body !== undefined) {
      recordNoise(stats, compareResponses(control, secondControl, job.rules).differences, job.redact);
    }
    // The slot is free once this copy is compared; the flush that follows may wait.
    release();
    await recorder.flushIfDue();
  } catch (error) {
    logEvent("warn", "shadow_failed", { requestId: job.requestId, route: job.routeId, candidate: job.candidate.name, error });
  } finally {
    release();
  }
}

async function observe(response: Response, body: ReadableStream<Uint8Array> | null, startedAt: number, cap: number, deadline: number): Promise<Observation> {
  let captured: Uint8Array | undefined = new Uint8Array(0);
  if (body !== null) {
    const read = await readUpTo(body, cap, deadline);
    if (read.complete) captured = read.bytes;
    else {
      await read.reader.cancel("over the shadow capture cap").catch(() => {});
      captured = undefined;
    }
  }
  const headers: [string, string][] = [];
  for (const [name, value] of response.headers) if (name !== "set-cookie") headers.push([name, value]);
  for (const cookie of response.headers.getSetCookie()) headers.push(["set-cookie", cookie]);
  return { status: response.status, headers, body: captured, durationMs: Date.now() - startedAt };
}
