import type { AttemptResult } from "./traffic-counts.ts";
import { addToSketch, distinctUsers, emptySketch, mergeSketch, SKETCH_BYTES } from "./user-sketch.ts";

/**
 * Rollout evidence (DESIGN.md "Evidence that cannot be gamed"): what the users a split sent
 * to one backend met, under one route-table version — a rollout step is a version, so a
 * step's evidence is its version's cells, with nothing before or after it mixed in.
 *
 * Only a split's own choice is evidence: a tester's override, a fallback's second attempt and
 * a shadow copy are not; neither is cutover refusing the client's input (400, 405, 413: no
 * backend saw it) nor a client that stopped sending its body (499). The rest counts per
 * request and, in user sketches, per user: one client is one user however much it sends.
 */
export interface EvidenceCounts {
  requests: number;
  /** The backend's 5xx and cutover's 502/504 for it. */
  failures: number;
  /** 4xx answers the client got from the backend. */
  clientErrors: number;
  /** Latency to the response head: log-scale bucket → count. */
  readonly latency: Map<number, number>;
  /** Every user with a request counted here. */
  readonly users: Uint8Array;
  /** Users who met a failure. */
  readonly failedUsers: Uint8Array;
  /** Users who got a 4xx answer. */
  readonly clientErrorUsers: Uint8Array;
}

/** What a split request's first attempt says about its backend; undefined: nothing (not evidence). */
export type EvidenceOutcome = "ok" | "failure" | "client-error";

/**
 * A first attempt's outcome as evidence. `fellBack`: the fallback served the client, so a 4xx
 * (the read-through 404) was not an answer the client got; a failure still is the backend's.
 */
export function evidenceOutcome(result: AttemptResult, fellBack: boolean): EvidenceOutcome | undefined {
  if (result.kind === "client") return undefined;
  if (result.kind === "proxy") return result.status >= 500 ? "failure" : undefined;
  if (result.status >= 500) return "failure";
  if (result.status >= 400 && !fellBack) return "client-error";
  return "ok";
}

export function emptyEvidence(): EvidenceCounts {
  // The three sketches in one allocation.
  const bytes = new Uint8Array(3 * SKETCH_BYTES);
  return {
    requests: 0,
    failures: 0,
    clientErrors: 0,
    latency: new Map(),
    users: bytes.subarray(0, SKETCH_BYTES),
    failedUsers: bytes.subarray(SKETCH_BYTES, 2 * SKETCH_BYTES),
    clientErrorUsers: bytes.subarray(2 * SKETCH_BYTES),
  };
}

/** Counts one request of the user in `userBucket`, answered after the latency `bucket`. */
export function countEvidence(counts: EvidenceCounts, outcome: EvidenceOutcome, bucket: number, userBucket: number): void {
  counts.requests++;
  counts.latency.set(bucket, (counts.latency.get(bucket) ?? 0) + 1);
  addToSketch(counts.users, userBucket);
  if (outcome === "failure") {
    counts.failures++;
    addToSketch(counts.failedUsers, userBucket);
  } else if (outcome === "client-error") {
    counts.clientErrors++;
    addToSketch(counts.clientErrorUsers, userBucket);
  }
}

export function mergeEvidence(into: EvidenceCounts, from: EvidenceCounts): void {
  into.requests += from.requests;
  into.failures += from.failures;
  into.clientErrors += from.clientErrors;
  for (const [bucket, count] of from.latency) into.latency.set(bucket, (into.latency.get(bucket) ?? 0) + count);
  mergeSketch(into.users, from.users);
  mergeSketch(into.failedUsers, from.failedUsers);
  mergeSketch(into.clientErrorUsers, from.clientErrorUsers);
}

/** One arm of a step as the gates judge it: its counts, and its distinct users estimated from the sketches. */
export interface ArmEvidence {
  readonly requests: number;
  readonly failures: number;
  readonly clientErrors: number;
  readonly users: number;
  readonly failedUsers: number;
  readonly clientErrorUsers: number;
  readonly latency: ReadonlyMap<number, number>;
}

export function armEvidence(counts: EvidenceCounts): ArmEvidence {
  const users = distinctUsers(counts.users);
  return {
    requests: counts.requests,
    failures: counts.failures,
    clientErrors: counts.clientErrors,
    users,
    // Each is a subset of the users' sketch, so its estimate is never above theirs.
    failedUsers: Math.min(users, distinctUsers(counts.failedUsers)),
    clientErrorUsers: Math.min(users, distinctUsers(counts.clientErrorUsers)),
    latency: counts.latency,
  };
}
