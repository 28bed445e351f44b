import { describe, expect, it } from "vitest";
import type { ArmEvidence } from "../../accounting/evidence-counts.ts";
import { latencyBucket } from "../../accounting/latency-buckets.ts";
import { EVIDENCE_FLOOR, judgeStep, type Check, type Evidence, type Verdict } from "../../rollout/gates.ts";
import { DEFAULT_GATES, validateRolloutPlan, type Gates, type NormalizedStep } from "../../rollout/plan.ts";
import { differenceInterval, wilson } from "../../rollout/statistics.ts";

/**
 * A step's verdict as an operator reads it (the dashboard, `cutover rollout status`, the
 * webhook): which gates were judged, each one's outcome, sentence and numbers, at the edges
 * of every minimum and bound.
 */

/** `n` users, one request each: `failed` of them met an error, `fourXx` got a 4xx; latencies cycle through `ms`. */
function arm(n: number, { failed = 0, fourXx = 0, ms = [50] }: { failed?: number; fourXx?: number; ms?: readonly number[] } = {}): ArmEvidence {
  const latency = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const bucket = latencyBucket(ms[i % ms.length] as number);
    latency.set(bucket, (latency.get(bucket) ?? 0) + 1);
  }
  return { requests: n, failures: failed, clientErrors: fourXx, users: n, failedUsers: failed, clientErrorUsers: fourXx, latency };
}
/** Latencies of `n` requests: `slow` of them at `slowMs`, the rest at `fastMs`. */
const mixed = (n: number, slow: number, fastMs: number, slowMs: number) => Array.from({ length: n }, (_, i) => (i < slow ? slowMs : fastMs));

const weight: NormalizedStep = { type: "weight", weight: 10, minUsers: 100, minDurationMs: 600_000 };
const shadowStep: NormalizedStep = { type: "shadow", minComparisons: 200, minDurationMs: 600_000 };
const TEN_MINUTES = 600_000;
const judge = (evidence: Partial<Evidence> & Pick<Evidence, "control" | "candidate">, step: NormalizedStep = weight, gates: Gates = DEFAULT_GATES): Verdict =>
  judgeStep(step, gates, { windowMs: TEN_MINUTES, ...evidence });
const check = (verdict: Verdict, gate: Check["gate"]) => verdict.checks.find((c) => c.gate === gate);

describe("a weight step's verdict", () => {
  it("passes at exactly its minimums (duration, users on each arm, requests for p95), naming the gates it passed", () => {
    const verdict = judge({ control: arm(100), candidate: arm(100) });
    const none = { controlUsers: 100, controlAffectedUsers: 0, candidateUsers: 100, candidateAffectedUsers: 0, controlRate: 0, candidateRate: 0, controlRequests: 100, controlAffectedRequests: 0, candidateRequests: 100, candidateAffectedRequests: 0 };
    expect(verdict).toEqual({
      outcome: "pass",
      summary: "passed: duration, users, errors, client-errors, latency-p95",
      checks: [
        { gate: "duration", outcome: "pass", summary: "10 min of 10 min", numbers: { windowMs: 600_000, neededMs: 600_000 } },
        { gate: "users", outcome: "pass", summary: "control 100, candidate 100 of 100 users each", numbers: { control: 100, candidate: 100, needed: 100, controlRequests: 100, candidateRequests: 100 } },
        {
          gate: "errors",
          outcome: "pass",
          summary: "users who met an error: candidate 0 % (0/100) vs control 0 % (0/100); difference 0 %, 95 % bounds [-3.7 %, 3.7 %], tolerance 1 %",
          numbers: { ...none, differenceLow: expect.closeTo(-0.037, 4), differenceHigh: expect.closeTo(0.037, 4), tolerance: 0.01 },
        },
        {
          gate: "client-errors",
          outcome: "pass",
          summary: "users who got a 4xx: candidate 0 % (0/100) vs control 0 % (0/100); difference 0 %, 95 % bounds [-3.7 %, 3.7 %], tolerance 5 %",
          numbers: { ...none, differenceLow: expect.closeTo(-0.037, 4), differenceHigh: expect.closeTo(0.037, 4), tolerance: 0.05 },
        },
        {
          gate: "latency-p95",
          outcome: "pass",
          summary: "candidate p95 52.22 ms vs control 52.22 ms (limit 78.33 ms: ×1.5 or +20 ms)",
          numbers: { control: 52.22, candidate: 52.22, ratio: 1.5, slackMs: 20, controlSamples: 100, candidateSamples: 100, needed: 100 },
        },
        {
          gate: "latency-p99",
          outcome: "skip",
          summary: "not judged: 100 of 500 requests per arm",
          numbers: { control: 52.22, candidate: 52.22, ratio: 2, slackMs: 20, controlSamples: 100, candidateSamples: 100, needed: 500 },
        },
      ],
    });
  });

  it("waits one user or one second short of a minimum, on either arm, saying what it waits for", () => {
    const early = judge({ windowMs: TEN_MINUTES - 1000, control: arm(100), candidate: arm(100) });
    expect(early.outcome).toBe("wait");
    expect(early.summary).toBe("waiting: duration (10 min of 10 min)");
    expect(check(early, "duration")).toMatchObject({ outcome: "wait", numbers: { windowMs: 599_000, neededMs: 600_000 } });
    expect(judge({ windowMs: 90_000, control: arm(100), candidate: arm(100) }).summary).toBe("waiting: duration (1.5 min of 10 min)");
    const thinControl = judge({ control: arm(99), candidate: arm(100) });
    expect(thinControl.outcome).toBe("wait");
    expect(thinControl.summary).toBe("waiting: users (control 99, candidate 100 of 100 users each)");
    expect(judge({ control: arm(100), candidate: arm(99) }).summary).toBe("waiting: users (control 100, candidate 99 of 100 users each)");
    expect(judge({ windowMs: 90_000, control: arm(100), candidate: arm(99) }).summary).toBe("waiting: duration (1.5 min of 10 min); users (control 100, candidate 99 of 100 users each)");
  });

  it("fails on the first gate whose bound says the candidate is worse, and says why in its summary", () => {
    const verdict = judge({ control: arm(900), candidate: arm(100, { failed: 10, fourXx: 30 }) });
    expect(verdict.outcome).toBe("fail");
    expect(verdict.summary).toBe(
      "failed: errors (users who met an error: candidate 10 % (10/100) vs control 0 % (0/900); difference 10 %, 95 % bounds [5.5 %, 17.44 %], tolerance 1 %); " +
        "client-errors (users who got a 4xx: candidate 30 % (30/100) vs control 0 % (0/900); difference 30 %, 95 % bounds [21.88 %, 39.58 %], tolerance 5 %)",
    );
    expect(check(verdict, "errors")?.numbers).toMatchObject({ candidateRate: 0.1, controlRate: 0, candidateAffectedRequests: 10, controlAffectedRequests: 0, differenceLow: expect.closeTo(0.055, 3) });
    // A failing check is reported even while another still waits.
    const failingEarly = judge({ windowMs: 60_000, control: arm(900), candidate: arm(100, { failed: 10 }) });
    expect(failingEarly.outcome).toBe("fail");
    expect(failingEarly.summary).toMatch(/^failed: errors \(/);
  });

  it("judges the error gates from EVIDENCE_FLOOR users on each arm, not one fewer", () => {
    expect(EVIDENCE_FLOOR).toBe(10);
    const atFloor = judge({ control: arm(10), candidate: arm(100, { failed: 100 }) }, { ...weight, minUsers: 10 });
    expect(check(atFloor, "errors")?.outcome).toBe("fail");
    const belowFloor = judge({ control: arm(9), candidate: arm(100, { failed: 100 }) }, { ...weight, minUsers: 9 });
    expect(check(belowFloor, "errors")).toMatchObject({ outcome: "wait", summary: "users who met an error: candidate 100 % (100/100) vs control 0 % (0/9): too few users to judge" });
  });

  it("with no users on an arm, has no rate and no bounds for it (not 0 %, not NaN)", () => {
    const verdict = judge({ control: arm(100), candidate: arm(0) });
    expect(check(verdict, "errors")).toEqual({
      gate: "errors",
      outcome: "wait",
      summary: "users who met an error: candidate - (0/0) vs control 0 % (0/100): too few users to judge",
      numbers: { controlUsers: 100, controlAffectedUsers: 0, candidateUsers: 0, candidateAffectedUsers: 0, controlRate: 0, candidateRate: null, differenceLow: null, differenceHigh: null, tolerance: 0.01, controlRequests: 100, controlAffectedRequests: 0, candidateRequests: 0, candidateAffectedRequests: 0 },
    });
    expect(check(judge({ control: arm(0), candidate: arm(100) }), "errors")?.numbers).toMatchObject({ controlRate: null, candidateRate: 0, differenceLow: null, differenceHigh: null });
  });

  it("a difference whose lower bound is exactly the tolerance is within it; a hair above fails", () => {
    const control = arm(400, { failed: 4 });
    const candidate = arm(200, { failed: 20 });
    expect(check(judge({ control, candidate }), "errors")?.numbers).toMatchObject({ controlRate: 0.01, candidateRate: 0.1 });
    const low = differenceInterval(20, 200, 4, 400, 0.95).low;
    expect(low).toBeGreaterThan(0);
    expect(check(judge({ control, candidate }, weight, { ...DEFAULT_GATES, errorRateTolerance: low }), "errors")?.outcome).toBe("pass");
    expect(check(judge({ control, candidate }, weight, { ...DEFAULT_GATES, errorRateTolerance: low - 1e-9 }), "errors")?.outcome).toBe("fail");
    // The confidence is the plan's: at 99 % the same numbers are bounded wider.
    expect(check(judge({ control, candidate }, weight, { ...DEFAULT_GATES, confidence: 0.99, errorRateTolerance: low - 1e-9 }), "errors")).toMatchObject({
      outcome: "pass",
      summary: expect.stringContaining("; difference 9 %, 99 % bounds ["),
    });
  });

  it("judges p95 and p99 each on its own percentile, against the larger of the ratio and the slack", () => {
    // 2 % of the candidate's requests take 400 ms: its p99, not its p95.
    const control = arm(500, { ms: [100] });
    const candidate = arm(500, { ms: mixed(500, 10, 100, 400) });
    const verdict = judge({ control, candidate });
    expect(check(verdict, "latency-p95")).toMatchObject({ outcome: "pass", numbers: { control: 101.75, candidate: 101.75, controlSamples: 500, candidateSamples: 500 } });
    expect(check(verdict, "latency-p99")).toEqual({
      gate: "latency-p99",
      outcome: "fail",
      summary: "candidate p99 386.41 ms vs control 101.75 ms (limit 203.5 ms: ×2 or +20 ms)",
      numbers: { control: 101.75, candidate: 386.41, ratio: 2, slackMs: 20, controlSamples: 500, candidateSamples: 500, needed: 500 },
    });
    expect(verdict.summary).toBe("failed: latency-p99 (candidate p99 386.41 ms vs control 101.75 ms (limit 203.5 ms: ×2 or +20 ms))");
    // 135 ms against 102 ms: over the 20 ms slack, within ×1.5 — the larger limit wins.
    const within = judge({ control: arm(100, { ms: [100] }), candidate: arm(100, { ms: [140] }) });
    expect(check(within, "latency-p95")).toMatchObject({ outcome: "pass", summary: "candidate p95 135.43 ms vs control 101.75 ms (limit 152.63 ms: ×1.5 or +20 ms)" });
  });

  it("a candidate exactly at the latency limit passes; one request short of the minimum is not judged", () => {
    const strict: Gates = { ...DEFAULT_GATES, latencyRatio: { p95: 1, p99: 1 }, latencySlackMs: 0 };
    expect(check(judge({ control: arm(100), candidate: arm(100) }, weight, strict), "latency-p95")?.outcome).toBe("pass");
    expect(check(judge({ control: arm(100), candidate: arm(100, { ms: [60] }) }, weight, strict), "latency-p95")?.outcome).toBe("fail");
    for (const [control, candidate] of [
      [99, 100],
      [100, 99],
    ] as const) {
      expect(check(judge({ control: arm(control, { ms: [50] }), candidate: arm(candidate, { ms: [900] }) }), "latency-p95")).toMatchObject({
        outcome: "skip",
        summary: "not judged: 99 of 100 requests per arm",
      });
    }
  });

  it("adds the shadow's correctness when the step has a shadow toward the candidate, and only then", () => {
    const withShadow = judge({ control: arm(100), candidate: arm(100), shadow: { attempts: 300, mismatched: 30 } });
    expect(withShadow.checks.map((c) => c.gate)).toEqual(["duration", "users", "errors", "client-errors", "latency-p95", "latency-p99", "correctness"]);
    expect(withShadow).toMatchObject({ outcome: "fail", summary: expect.stringMatching(/^failed: correctness \(30 of 300 mismatched \(10 %\)/) });
    expect(judge({ control: arm(100), candidate: arm(100) }).checks.map((c) => c.gate)).not.toContain("correctness");
  });
});

describe("the bake (weight 100)", () => {
  const bake: NormalizedStep = { type: "weight", weight: 100, minUsers: 100, minDurationMs: 600_000 };

  it("against the step before's control: the control's users were judged there, and latency is not compared across loads", () => {
    const verdict = judge({ control: arm(50), candidate: arm(100, { ms: [900] }), controlFrom: "baseline" }, bake);
    expect(verdict.outcome).toBe("pass");
    expect(verdict.summary).toBe("passed: duration, users, errors, client-errors");
    expect(check(verdict, "users")).toEqual({
      gate: "users",
      outcome: "pass",
      summary: "candidate 100 of 100 users (control: 50 users of the step before)",
      numbers: { control: 50, candidate: 100, needed: 100, controlRequests: 50, candidateRequests: 100 },
    });
    expect(check(verdict, "latency-p95")).toMatchObject({ outcome: "skip", summary: "not judged at 100 %: the control's p95 is from the step before, under another load", numbers: { control: 52.22, candidate: 911.12 } });
    expect(check(verdict, "latency-p99")).toMatchObject({ outcome: "skip", summary: "not judged at 100 %: the control's p99 is from the step before, under another load" });
    expect(judge({ control: arm(50), candidate: arm(99), controlFrom: "baseline" }, bake).summary).toBe("waiting: users (candidate 99 of 100 users (control: 50 users of the step before))");
  });

  it("with no earlier control: its users against none of them meeting an error or a 4xx", () => {
    const verdict = judge({ control: arm(0), candidate: arm(100), controlFrom: "none" }, bake);
    expect(verdict.outcome).toBe("pass");
    expect(verdict.summary).toBe("passed: duration, users, errors, client-errors");
    expect(verdict.checks[1]).toEqual({
      gate: "users",
      outcome: "pass",
      summary: "candidate 100 of 100 users (no earlier step's control: judged against none meeting an error)",
      numbers: { control: null, candidate: 100, needed: 100, candidateRequests: 100 },
    });
    expect(check(verdict, "errors")).toMatchObject({ summary: expect.stringMatching(/^users who met an error: candidate 0 % \(0\/100\) vs control 0 % \(0\/100\);/), numbers: { controlUsers: 100, controlAffectedUsers: 0, controlRequests: 100, controlAffectedRequests: 0 } });
    expect(check(verdict, "client-errors")).toMatchObject({ summary: expect.stringMatching(/^users who got a 4xx: candidate 0 % \(0\/100\) vs control 0 % \(0\/100\);/) });
    const waiting = judge({ control: arm(0), candidate: arm(99), controlFrom: "none" }, bake);
    expect(waiting.checks[1]).toMatchObject({ outcome: "wait", summary: "candidate 99 of 100 users (no earlier step's control: judged against none meeting an error)" });
    const affected = judge({ control: arm(0), candidate: arm(100, { failed: 2, fourXx: 3 }), controlFrom: "none" }, bake);
    expect(check(affected, "errors")?.numbers).toMatchObject({ candidateAffectedUsers: 2, candidateAffectedRequests: 2, candidateRequests: 100 });
    expect(check(affected, "client-errors")?.numbers).toMatchObject({ candidateAffectedUsers: 3, candidateAffectedRequests: 3, candidateRequests: 100 });
    const fourXx = judge({ control: arm(0), candidate: arm(100, { fourXx: 30 }), controlFrom: "none" }, bake);
    expect(fourXx).toMatchObject({ outcome: "fail", summary: expect.stringMatching(/^failed: client-errors \(users who got a 4xx: candidate 30 % \(30\/100\) vs control 0 % \(0\/100\)/) });
  });
});

describe("a shadow step's verdict", () => {
  it("passes at exactly its comparisons, and waits one short", () => {
    const verdict = judge({ control: arm(0), candidate: arm(0), shadow: { attempts: 200, mismatched: 0 } }, shadowStep);
    const bounds = wilson(0, 200, 0.95);
    expect(verdict).toEqual({
      outcome: "pass",
      summary: "passed: duration, comparisons, correctness",
      checks: [
        { gate: "duration", outcome: "pass", summary: "10 min of 10 min", numbers: { windowMs: 600_000, neededMs: 600_000 } },
        { gate: "comparisons", outcome: "pass", summary: "200 of 200 comparisons", numbers: { comparisons: 200, needed: 200 } },
        {
          gate: "correctness",
          outcome: "pass",
          summary: "0 of 200 mismatched (0 %), 95 % bounds [0 %, 1.88 %], threshold 2 %",
          numbers: { attempts: 200, mismatched: 0, rate: 0, low: bounds.low, high: bounds.high, threshold: 0.02 },
        },
      ],
    });
    const short = judge({ control: arm(0), candidate: arm(0), shadow: { attempts: 199, mismatched: 0 } }, shadowStep);
    expect(short.outcome).toBe("wait");
    expect(check(short, "comparisons")).toEqual({ gate: "comparisons", outcome: "wait", summary: "199 of 200 comparisons", numbers: { comparisons: 199, needed: 200 } });
  });

  it("with no shadow statistics yet: nothing compared, too few to judge", () => {
    const verdict = judge({ control: arm(0), candidate: arm(0) }, shadowStep);
    expect(verdict.outcome).toBe("wait");
    expect(verdict.checks.slice(1)).toEqual([
      { gate: "comparisons", outcome: "wait", summary: "0 of 200 comparisons", numbers: { comparisons: 0, needed: 200 } },
      { gate: "correctness", outcome: "wait", summary: "0 comparisons: too few to judge", numbers: { attempts: 0, mismatched: 0, rate: null, low: null, high: null, threshold: 0.02 } },
    ]);
  });

  it("judges mismatches from EVIDENCE_FLOOR comparisons: fails when the lower bound is above the threshold, passes when the upper bound is at most it", () => {
    const correctness = (attempts: number, mismatched: number, maxMismatchRate = DEFAULT_GATES.maxMismatchRate) =>
      check(judge({ control: arm(0), candidate: arm(0), shadow: { attempts, mismatched } }, { ...shadowStep, minComparisons: 1 }, { ...DEFAULT_GATES, maxMismatchRate }), "correctness");
    expect(correctness(10, 10)).toMatchObject({ outcome: "fail", numbers: { rate: 1 } });
    expect(correctness(9, 9)).toMatchObject({ outcome: "wait", summary: "9 comparisons: too few to judge", numbers: { rate: 1 } });
    // Exactly at the bounds: a lower bound equal to the threshold does not fail; an upper bound equal to it passes.
    const bounds = wilson(5, 300, 0.95);
    expect(correctness(300, 5, bounds.low)?.outcome).toBe("wait");
    expect(correctness(300, 5, bounds.high)?.outcome).toBe("pass");
    expect(correctness(300, 5)).toMatchObject({ outcome: "wait", summary: "5 of 300 mismatched (1.67 %), 95 % bounds [0.71 %, 3.84 %], threshold 2 %: not yet conclusive" });
    expect(correctness(300, 30)).toMatchObject({ outcome: "fail", summary: "30 of 300 mismatched (10 %), 95 % bounds [7.09 %, 13.92 %], threshold 2 %" });
  });
});

describe("a plan pause", () => {
  it("waits for an operator, judging nothing", () => {
    expect(judge({ control: arm(900), candidate: arm(900) }, { type: "pause" })).toEqual({ outcome: "wait", summary: "paused: waiting for `cutover rollout promote`", checks: [] });
  });

  it("is what a validated plan's pause step is", () => {
    const plan = validateRolloutPlan({ route: "orders", candidate: "lambda", steps: [{ type: "pause", reason: "check the dashboards" }, { type: "weight", weight: 100 }] });
    expect(plan.ok && judgeStep(plan.value.steps[0]!, plan.value.gates, { windowMs: 0, control: arm(0), candidate: arm(0) }).outcome).toBe("wait");
  });
});
