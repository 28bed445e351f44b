/**
 * Why a write that a route's `dualWrite` covers was not copied to the new backend:
 * - `too_large`: its body is larger than `dualWrite.maxBodyBytes` (it is held in memory to be sent twice);
 * - `over_budget`: the isolate's memory for copies in flight was spent (worker/copy-budget.ts);
 * - `incomplete_body`: the client's body broke off, so there is no whole body to copy;
 * - `legacy_refused`: the backend that served it answered 4xx or 5xx: the write did not happen there;
 * - `legacy_redirected`: it answered 3xx, which may be a Rails `redirect_to` after a create as
 *   much as a redirect to the sign-in page: not copied, and counted apart so that a route
 *   whose writes all redirect shows why nothing is copied;
 * - `legacy_failed`: it gave no answer (timeout, unreachable, cutover refused to send it).
 */
export type NotCopiedReason = "too_large" | "over_budget" | "incomplete_body" | "legacy_refused" | "legacy_redirected" | "legacy_failed";

export const NOT_COPIED_REASONS: readonly NotCopiedReason[] = ["too_large", "over_budget", "incomplete_body", "legacy_refused", "legacy_redirected", "legacy_failed"];

/** How the new backend took one copy: its answer's status, or no answer. */
export type CopyResult = { readonly kind: "response"; readonly status: number } | { readonly kind: "timeout" | "error" | "refused" };

/** One write a route's `dualWrite` covers: copied (with both sides' outcome), or not, and why. */
export type DualWriteOutcome =
  | { readonly kind: "copied"; readonly legacyStatus: number; readonly candidate: CopyResult }
  | { readonly kind: "not_copied"; readonly reason: NotCopiedReason };

/**
 * One isolate's dual-write outcomes for one route and new backend over one minute (or hour):
 * counters that add up across isolates. Two partitions of `sent`: by the new backend's answer,
 * `succeeded` + `rejected` + `failed`; against legacy's, `agreed` + `disagreed` + `failed` (a
 * failure is not also a disagreement, so failed + disagreed are the copies that went wrong).
 */
export interface DualWriteCounts {
  /** Copies sent to the new backend (each write once, never retried). */
  sent: number;
  /** The new backend answered 2xx. */
  succeeded: number;
  /** It answered 3xx or 4xx: it refused the write (a validation error, a conflict). */
  rejected: number;
  /** It answered 5xx, timed out, was unreachable, or the copy could not be signed. */
  failed: number;
  /** It answered (not failed) the same status code as the backend that served the write (201 and 201). */
  agreed: number;
  /** It answered (not failed) another status code (201 and 200, 201 and 422). */
  disagreed: number;
  /** Writes not copied, by reason. */
  readonly notCopied: Map<NotCopiedReason, number>;
}

export function emptyDualWriteCounts(): DualWriteCounts {
  return { sent: 0, succeeded: 0, rejected: 0, failed: 0, agreed: 0, disagreed: 0, notCopied: new Map() };
}

export function countDualWrite(counts: DualWriteCounts, outcome: DualWriteOutcome): void {
  if (outcome.kind === "not_copied") {
    counts.notCopied.set(outcome.reason, (counts.notCopied.get(outcome.reason) ?? 0) + 1);
    return;
  }
  counts.sent++;
  const candidate = outcome.candidate;
  if (candidate.kind !== "response") {
    counts.failed++;
    return;
  }
  const status = candidate.status;
  if (status >= 500) {
    counts.failed++;
    return;
  }
  if (status >= 200 && status < 300) counts.succeeded++;
  else counts.rejected++;
  if (status === outcome.legacyStatus) counts.agreed++;
  else counts.disagreed++;
}

/**
 * How a copy went wrong, as it is counted: `failed` (no answer, or 5xx), `disagreed` (another
 * status than legacy's); undefined when it landed as legacy's write did. What the logs and the
 * stored examples (store/dual-write-example-store.ts) are kept for.
 */
export function copyMiss(legacyStatus: number, candidate: CopyResult): "failed" | "disagreed" | undefined {
  if (candidate.kind !== "response" || candidate.status >= 500) return "failed";
  return candidate.status === legacyStatus ? undefined : "disagreed";
}

export function mergeDualWriteCounts(into: DualWriteCounts, from: DualWriteCounts): void {
  into.sent += from.sent;
  into.succeeded += from.succeeded;
  into.rejected += from.rejected;
  into.failed += from.failed;
  into.agreed += from.agreed;
  into.disagreed += from.disagreed;
  for (const [reason, count] of from.notCopied) into.notCopied.set(reason, (into.notCopied.get(reason) ?? 0) + count);
}

/** Whether anything was counted (a cell without dual writes shows none). */
export function hasDualWrites(counts: DualWriteCounts): boolean {
  return counts.sent > 0 || counts.notCopied.size > 0;
}

/** What the metrics answer shows of some dual-write counts, with the rates a rollout gate reads. */
export interface DualWritePoint {
  readonly sent: number;
  readonly succeeded: number;
  readonly rejected: number;
  readonly failed: number;
  readonly agreed: number;
  readonly disagreed: number;
  readonly notCopied: Readonly<Record<string, number>>;
  /** succeeded / sent; null without copies. */
  readonly successRate: number | null;
  /** agreed / sent: the copies that landed as legacy's write did; null without copies. */
  readonly agreementRate: number | null;
}

export function dualWritePoint(counts: DualWriteCounts): DualWritePoint {
  return {
    sent: counts.sent,
    succeeded: counts.succeeded,
    rejected: counts.rejected,
    failed: counts.failed,
    agreed: counts.agreed,
    disagreed: counts.disagreed,
    notCopied: Object.fromEntries(counts.notCopied),
    successRate: counts.sent === 0 ? null : round(counts.succeeded / counts.sent),
    agreementRate: counts.sent === 0 ? null : round(counts.agreed / counts.sent),
  };
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
