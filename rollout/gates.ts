import type { ArmEvidence } from "../accounting/evidence-counts.ts";
import { histogramPercentile } from "../accounting/latency-buckets.ts";
import type { Gates, NormalizedStep } from "./plan.ts";
import { differenceInterval, wilson } from "./statistics.ts";

/**
 * What a step is judged on: each arm's evidence under the step's table versions (the split's
 * own choices: users, who of them met a failure or a 4xx, latency), and the shadow's current
 * epoch.
 */
export interface Evidence {
  /** How long the step's window has been open. */
  readonly windowMs: number;
  readonly control: ArmEvidence;
  readonly candidate: ArmEvidence;
  /** Noise-filtered comparisons of the route's shadow (its epoch), when it has one toward the candidate. */
  readonly shadow?: { readonly attempts: number; readonly mismatched: number };
  /**
   * Where the control arm comes from: the step's own traffic (absent), or, at the bake (weight
   * 100, where the control serves nobody), the control's evidence of the step before it
   * (`baseline`) — or nothing to compare with (`none`: the plan went to 100 % without an
   * earlier weight step, or by an operator's promote), when the bake is judged on its users
   * and duration alone.
   */
  readonly controlFrom?: "baseline" | "none";
  /** A dualWrite step's copies to the candidate: sent, and those it failed or answered with another status than the control's. */
  readonly dualWrite?: { readonly copied: number; readonly failed: number; readonly disagreed: number };
  /** A readThrough step's candidate requests, and those that fell back to the control on a 404. */
  readonly readThrough?: { readonly requests: number; readonly fellBack: number };
}

export type Outcome = "pass" | "wait" | "fail";

export interface Check {
  readonly gate: "duration" | "users" | "comparisons" | "errors" | "client-errors" | "latency-p95" | "latency-p99" | "correctness" | "writes" | "write-agreement" | "requests" | "fallback-rate";
  /** `skip`: not judged (too few samples for that percentile), which neither holds nor fails the step. */
  readonly outcome: Outcome | "skip";
  readonly summary: string;
  readonly numbers: Readonly<Record<string, number | null>>;
}

export interface Verdict {
  readonly outcome: Outcome;
  readonly summary: string;
  readonly checks: readonly Check[];
}

/**
 * No error or mismatch verdict on fewer users (or comparisons) on an arm than this, however
 * lopsided: a couple of failures right after a step starts are not evidence.
 */
export const EVIDENCE_FLOOR = 10;

/**
 * Judges a step: every check with its numbers, and the outcome — fail as soon as a bound
 * says the candidate is worse (never on too little traffic), pass when the step's minimums
 * are met and nothing failed, wait otherwise, saying what it waits for.
 */
export function judgeStep(step: NormalizedStep, gates: Gates, evidence: Evidence): Verdict {
  if (step.type === "pause") return { outcome: "wait", summary: "paused: waiting for `cutover rollout promote`", checks: [] };
  const checks: Check[] = [durationCheck(step.minDurationMs, evidence.windowMs)];
  if (step.type === "dualWrite") {
    const writes = evidence.dualWrite ?? { copied: 0, failed: 0, disagreed: 0 };
    checks.push({ gate: "writes", outcome: writes.copied >= step.minWrites ? "pass" : "wait", summary: `${writes.copied} of ${step.minWrites} writes copied`, numbers: { copied: writes.copied, needed: step.minWrites } });
    checks.push(writeAgreementCheck(gates, writes));
  } else if (step.type === "readThrough") {
    const reads = evidence.readThrough ?? { requests: 0, fellBack: 0 };
    checks.push({ gate: "requests", outcome: reads.requests >= step.minRequests ? "pass" : "wait", summary: `${reads.requests} of ${step.minRequests} requests`, numbers: { requests: reads.requests, needed: step.minRequests } });
    checks.push(fallbackRateCheck(step.maxFallbackRate, reads));
  } else if (step.type === "rampDown") {
    // The candidate alone for the step's duration: nothing to compare it with but time.
  } else if (step.type === "shadow") {
    const attempts = evidence.shadow?.attempts ?? 0;
    checks.push({
      gate: "comparisons",
      outcome: attempts >= step.minComparisons ? "pass" : "wait",
      summary: `${attempts} of ${step.minComparisons} comparisons`,
      numbers: { comparisons: attempts, needed: step.minComparisons },
    });
    checks.push(correctnessCheck(gates, evidence.shadow ?? { attempts: 0, mismatched: 0 }));
  } else if (evidence.controlFrom === "none") {
    // No earlier step's control to compare with: the candidate's users against none meeting an error or a 4xx.
    const n = evidence.candidate.users;
    const none: Share = { users: n, met: 0, requests: evidence.candidate.requests, events: 0 };
    checks.push(
      {
        gate: "users",
        outcome: n >= step.minUsers ? "pass" : "wait",
        summary: `candidate ${n} of ${step.minUsers} users (no earlier step's control: judged against none meeting an error)`,
        numbers: { control: null, candidate: n, needed: step.minUsers, candidateRequests: evidence.candidate.requests },
      },
      shareCheck("errors", "met an error", gates.errorRateTolerance, gates.confidence, none, share(evidence.candidate, "failedUsers", "failures")),
      shareCheck("client-errors", "got a 4xx", gates.clientErrorRateTolerance, gates.confidence, none, share(evidence.candidate, "clientErrorUsers", "clientErrors")),
    );
  } else {
    const n = { control: evidence.control.users, candidate: evidence.candidate.users };
    checks.push({
      gate: "users",
      // At the bake the control's users are the step before's, judged there already.
      outcome: (evidence.controlFrom === "baseline" || n.control >= step.minUsers) && n.candidate >= step.minUsers ? "pass" : "wait",
      summary: evidence.controlFrom === "baseline" ? `candidate ${n.candidate} of ${step.minUsers} users (control: ${n.control} users of the step before)` : `control ${n.control}, candidate ${n.candidate} of ${step.minUsers} users each`,
      numbers: { control: n.control, candidate: n.candidate, needed: step.minUsers, controlRequests: evidence.control.requests, candidateRequests: evidence.candidate.requests },
    });
    checks.push(
      shareCheck("errors", "met an error", gates.errorRateTolerance, gates.confidence, share(evidence.control, "failedUsers", "failures"), share(evidence.candidate, "failedUsers", "failures")),
      shareCheck("client-errors", "got a 4xx", gates.clientErrorRateTolerance, gates.confidence, share(evidence.control, "clientErrorUsers", "clientErrors"), share(evidence.candidate, "clientErrorUsers", "clientErrors")),
    );
    checks.push(latencyCheck("p95", gates, evidence), latencyCheck("p99", gates, evidence));
    if (evidence.shadow !== undefined) checks.push(correctnessCheck(gates, evidence.shadow));
  }
  const failed = checks.filter((check) => check.outcome === "fail");
  if (failed.length > 0) return { outcome: "fail", summary: `failed: ${failed.map((c) => `${c.gate} (${c.summary})`).join("; ")}`, checks };
  const waiting = checks.filter((check) => check.outcome === "wait");
  if (waiting.length > 0) return { outcome: "wait", summary: `waiting: ${waiting.map((c) => `${c.gate} (${c.summary})`).join("; ")}`, checks };
  return { outcome: "pass", summary: `passed: ${checks.filter((c) => c.outcome === "pass").map((c) => c.gate).join(", ")}`, checks };
}

function durationCheck(minMs: number, windowMs: number): Check {
  const minutes = (ms: number) => `${Math.round(ms / 6_000) / 10} min`;
  return {
    gate: "duration",
    outcome: windowMs >= minMs ? "pass" : "wait",
    summary: `${minutes(windowMs)} of ${minutes(minMs)}`,
    numbers: { windowMs, neededMs: minMs },
  };
}

/** Users of one arm, how many of them met something, and the requests behind them. */
interface Share {
  readonly users: number;
  readonly met: number;
  readonly requests: number;
  readonly events: number;
}

function share(arm: ArmEvidence, users: "failedUsers" | "clientErrorUsers", events: "failures" | "clientErrors"): Share {
  return { users: arm.users, met: arm[users], requests: arm.requests, events: arm[events] };
}

/**
 * The share of the candidate's users who met something (an error, a 4xx) against the
 * control's: the Newcombe interval of the difference. Per user, so that one client sending a
 * thousand requests weighs as one. Fails when even its lower bound is above the tolerance (the
 * candidate is worse, with the plan's confidence); otherwise passes — once the step's minimum
 * users are in, which the users check holds.
 */
function shareCheck(gate: "errors" | "client-errors", what: string, tolerance: number, confidence: number, control: Share, candidate: Share): Check {
  const difference = differenceInterval(candidate.met, candidate.users, control.met, control.users, confidence);
  const judged = candidate.users > 0 && control.users > 0;
  const numbers = {
    controlUsers: control.users,
    controlAffectedUsers: control.met,
    candidateUsers: candidate.users,
    candidateAffectedUsers: candidate.met,
    controlRate: control.users > 0 ? control.met / control.users : null,
    candidateRate: candidate.users > 0 ? candidate.met / candidate.users : null,
    differenceLow: judged ? difference.low : null,
    differenceHigh: judged ? difference.high : null,
    tolerance,
    controlRequests: control.requests,
    controlAffectedRequests: control.events,
    candidateRequests: candidate.requests,
    candidateAffectedRequests: candidate.events,
  };
  const rates = `users who ${what}: candidate ${pct(numbers.candidateRate)} (${candidate.met}/${candidate.users}) vs control ${pct(numbers.controlRate)} (${control.met}/${control.users})`;
  if (candidate.users < EVIDENCE_FLOOR || control.users < EVIDENCE_FLOOR) return { gate, outcome: "wait", summary: `${rates}: too few users to judge`, numbers };
  const interval = `difference ${pct(difference.estimate)}, ${Math.round(confidence * 100)} % bounds [${pct(difference.low)}, ${pct(difference.high)}], tolerance ${pct(tolerance)}`;
  return { gate, outcome: difference.low > tolerance ? "fail" : "pass", summary: `${rates}; ${interval}`, numbers };
}

/** A percentile of the candidate against the control's, once both arms have enough requests for it. */
function latencyCheck(which: "p95" | "p99", gates: Gates, evidence: Evidence): Check {
  const gate = which === "p95" ? "latency-p95" : "latency-p99";
  const needed = gates.latencyMinSamples[which];
  const nControl = sum(evidence.control.latency);
  const nCandidate = sum(evidence.candidate.latency);
  const level = which === "p95" ? 95 : 99;
  const control = histogramPercentile(evidence.control.latency, level);
  const candidate = histogramPercentile(evidence.candidate.latency, level);
  const ratio = gates.latencyRatio[which];
  const numbers = { control, candidate, ratio, slackMs: gates.latencySlackMs, controlSamples: nControl, candidateSamples: nCandidate, needed };
  // Latency is compared within one window, where both arms share the load: at the bake the
  // control's numbers come from the step before, under another load, and are not a measure.
  if (evidence.controlFrom === "baseline") return { gate, outcome: "skip", summary: `not judged at 100 %: the control's ${which} is from the step before, under another load`, numbers };
  if (nControl < needed || nCandidate < needed || control === null || candidate === null) {
    return { gate, outcome: "skip", summary: `not judged: ${Math.min(nControl, nCandidate)} of ${needed} requests per arm`, numbers };
  }
  const limit = Math.max(control * ratio, control + gates.latencySlackMs);
  const summary = `candidate ${which} ${candidate} ms vs control ${control} ms (limit ${Math.round(limit * 100) / 100} ms: ×${ratio} or +${gates.latencySlackMs} ms)`;
  return { gate, outcome: candidate > limit ? "fail" : "pass", summary, numbers };
}

/**
 * Dual writes the candidate failed or disagreed with the control on (another status), against
 * `maxWriteFailureRate`: the Wilson interval of those in the copies, like the shadow's mismatches.
 */
function writeAgreementCheck(gates: Gates, writes: { copied: number; failed: number; disagreed: number }): Check {
  const bad = writes.failed + writes.disagreed;
  const bounds = wilson(bad, writes.copied, gates.confidence);
  const rate = writes.copied > 0 ? bad / writes.copied : null;
  const numbers = { copied: writes.copied, failed: writes.failed, disagreed: writes.disagreed, rate, low: writes.copied > 0 ? bounds.low : null, high: writes.copied > 0 ? bounds.high : null, threshold: gates.maxWriteFailureRate };
  const summary = `${writes.failed} failed and ${writes.disagreed} disagreed of ${writes.copied} copied (${pct(rate)}), ${Math.round(gates.confidence * 100)} % bounds [${pct(bounds.low)}, ${pct(bounds.high)}], threshold ${pct(gates.maxWriteFailureRate)}`;
  if (writes.copied < EVIDENCE_FLOOR) return { gate: "write-agreement", outcome: "wait", summary: `${writes.copied} writes copied: too few to judge`, numbers };
  if (bounds.low > gates.maxWriteFailureRate) return { gate: "write-agreement", outcome: "fail", summary, numbers };
  return { gate: "write-agreement", outcome: bounds.high <= gates.maxWriteFailureRate ? "pass" : "wait", summary, numbers };
}

/**
 * The read-through fallback rate (records the backfill has not copied yet) under its bound
 * over the step's whole window: the backfill-complete signal. The observed rate, not a bound
 * of it: an operator reads "0.05 % of reads still fell back this day". A high rate is a
 * backfill still running, never a failure.
 */
function fallbackRateCheck(max: number, reads: { requests: number; fellBack: number }): Check {
  const rate = reads.requests > 0 ? reads.fellBack / reads.requests : null;
  const numbers = { requests: reads.requests, fellBack: reads.fellBack, rate, threshold: max };
  const summary = `${reads.fellBack} of ${reads.requests} fell back to the control (${pct(rate)}), threshold ${pct(max)}`;
  return { gate: "fallback-rate", outcome: rate !== null && rate <= max ? "pass" : "wait", summary, numbers };
}

/**
 * The shadow's noise-filtered mismatch rate: the Wilson interval of mismatches in attempts.
 * Fails when the lower bound is above the threshold, passes when the upper bound is at most
 * it, and waits in between (more comparisons narrow it).
 */
function correctnessCheck(gates: Gates, shadow: { attempts: number; mismatched: number }): Check {
  const bounds = wilson(shadow.mismatched, shadow.attempts, gates.confidence);
  const rate = shadow.attempts > 0 ? shadow.mismatched / shadow.attempts : null;
  const numbers = { attempts: shadow.attempts, mismatched: shadow.mismatched, rate, low: shadow.attempts > 0 ? bounds.low : null, high: shadow.attempts > 0 ? bounds.high : null, threshold: gates.maxMismatchRate };
  const summary = `${shadow.mismatched} of ${shadow.attempts} mismatched (${pct(rate)}), ${Math.round(gates.confidence * 100)} % bounds [${pct(bounds.low)}, ${pct(bounds.high)}], threshold ${pct(gates.maxMismatchRate)}`;
  if (shadow.attempts < EVIDENCE_FLOOR) return { gate: "correctness", outcome: "wait", summary: `${shadow.attempts} comparisons: too few to judge`, numbers };
  if (bounds.low > gates.maxMismatchRate) return { gate: "correctness", outcome: "fail", summary, numbers };
  if (bounds.high <= gates.maxMismatchRate) return { gate: "correctness", outcome: "pass", summary, numbers };
  return { gate: "correctness", outcome: "wait", summary: `${summary}: not yet conclusive`, numbers };
}

function sum(histogram: ReadonlyMap<number, number>): number {
  let total = 0;
  for (const count of histogram.values()) total += count;
  return total;
}

function pct(value: number | null): string {
  return value === null ? "-" : `${Math.round(value * 10_000) / 100} %`;
}
