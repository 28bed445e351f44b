import { histogramPercentile } from "../accounting/latency-buckets.ts";
import { failures, type TrafficCounts } from "../accounting/traffic-counts.ts";
import type { Gates, NormalizedStep } from "./plan.ts";
import { differenceInterval, wilson } from "./statistics.ts";

/** What a step is judged on: both arms over the same window, and the shadow's current epoch. */
export interface Evidence {
  /** How long the step's window has been open. */
  readonly windowMs: number;
  readonly control: TrafficCounts;
  readonly candidate: TrafficCounts;
  /** Noise-filtered comparisons of the route's shadow (its epoch), when it has one toward the candidate. */
  readonly shadow?: { readonly attempts: number; readonly mismatched: number };
}

export type Outcome = "pass" | "wait" | "fail";

export interface Check {
  readonly gate: "duration" | "requests" | "comparisons" | "errors" | "latency-p95" | "latency-p99" | "correctness";
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
 * No error or mismatch verdict on fewer candidate requests than this, however lopsided: a
 * couple of failures right after a step starts are not evidence.
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
  if (step.type === "shadow") {
    const attempts = evidence.shadow?.attempts ?? 0;
    checks.push({
      gate: "comparisons",
      outcome: attempts >= step.minComparisons ? "pass" : "wait",
      summary: `${attempts} of ${step.minComparisons} comparisons`,
      numbers: { comparisons: attempts, needed: step.minComparisons },
    });
    checks.push(correctnessCheck(gates, evidence.shadow ?? { attempts: 0, mismatched: 0 }));
  } else {
    const n = { control: evidence.control.requests, candidate: evidence.candidate.requests };
    checks.push({
      gate: "requests",
      outcome: n.control >= step.minRequests && n.candidate >= step.minRequests ? "pass" : "wait",
      summary: `control ${n.control}, candidate ${n.candidate} of ${step.minRequests} requests each`,
      numbers: { control: n.control, candidate: n.candidate, needed: step.minRequests },
    });
    checks.push(errorCheck(gates, evidence));
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

/**
 * The candidate's error rate against the control's: the Newcombe interval of the difference.
 * Fails when even its lower bound is above the tolerance (the candidate is worse, with the
 * plan's confidence); otherwise passes — once the step's minimum requests are in, which the
 * requests check holds.
 */
function errorCheck(gates: Gates, evidence: Evidence): Check {
  const control = { n: evidence.control.requests, errors: failures(evidence.control) };
  const candidate = { n: evidence.candidate.requests, errors: failures(evidence.candidate) };
  const difference = differenceInterval(candidate.errors, candidate.n, control.errors, control.n, gates.confidence);
  const numbers = {
    controlRequests: control.n,
    controlErrors: control.errors,
    candidateRequests: candidate.n,
    candidateErrors: candidate.errors,
    controlRate: control.n > 0 ? control.errors / control.n : null,
    candidateRate: candidate.n > 0 ? candidate.errors / candidate.n : null,
    differenceLow: candidate.n > 0 && control.n > 0 ? difference.low : null,
    differenceHigh: candidate.n > 0 && control.n > 0 ? difference.high : null,
    tolerance: gates.errorRateTolerance,
  };
  const rates = `candidate ${pct(numbers.candidateRate)} (${candidate.errors}/${candidate.n}) vs control ${pct(numbers.controlRate)} (${control.errors}/${control.n})`;
  if (candidate.n < EVIDENCE_FLOOR || control.n < EVIDENCE_FLOOR) return { gate: "errors", outcome: "wait", summary: `${rates}: too few requests to judge`, numbers };
  const interval = `difference ${pct(difference.estimate)}, ${Math.round(gates.confidence * 100)} % bounds [${pct(difference.low)}, ${pct(difference.high)}], tolerance ${pct(gates.errorRateTolerance)}`;
  if (difference.low > gates.errorRateTolerance) return { gate: "errors", outcome: "fail", summary: `${rates}; ${interval}`, numbers };
  return { gate: "errors", outcome: "pass", summary: `${rates}; ${interval}`, numbers };
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
  if (nControl < needed || nCandidate < needed || control === null || candidate === null) {
    return { gate, outcome: "skip", summary: `not judged: ${Math.min(nControl, nCandidate)} of ${needed} requests per arm`, numbers };
  }
  const limit = Math.max(control * ratio, control + gates.latencySlackMs);
  const summary = `candidate ${which} ${candidate} ms vs control ${control} ms (limit ${Math.round(limit * 100) / 100} ms: ×${ratio} or +${gates.latencySlackMs} ms)`;
  return { gate, outcome: candidate > limit ? "fail" : "pass", summary, numbers };
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
