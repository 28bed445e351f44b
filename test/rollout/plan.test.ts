import { describe, expect, it } from "vitest";
import { DEFAULT_GATES, parseStepList, upgradeStoredPlan, validateRolloutPlan, type RolloutPlan } from "../../rollout/plan.ts";

/**
 * What `cutover rollout start` accepts and what it stores: every default filled in, every
 * refusal with the field and the reason.
 */
const validate = (extra: Record<string, unknown>) => validateRolloutPlan({ route: "orders", candidate: "lambda", ...extra });
const refusal = (extra: Record<string, unknown>) => {
  const result = validate(extra);
  return result.ok ? undefined : result.error;
};

describe("a plan as stored", () => {
  it("fills in every default: 200 comparisons, 100 users, 10 minutes, the default gates, rollback", () => {
    // Strictly: no key stands for a value not given (a stored plan has no `control: undefined`).
    expect(validate({ steps: [{ type: "shadow" }, { type: "weight", weight: 10 }, { type: "pause" }, { type: "weight", weight: 100 }] })).toStrictEqual({
      ok: true,
      value: {
        route: "orders",
        candidate: "lambda",
        steps: [
          { type: "shadow", minComparisons: 200, minDurationMs: 600_000 },
          { type: "weight", weight: 10, minUsers: 100, minDurationMs: 600_000 },
          { type: "pause" },
          { type: "weight", weight: 100, minUsers: 100, minDurationMs: 600_000 },
        ],
        gates: DEFAULT_GATES,
        onFailure: "rollback",
      },
    });
  });

  it("keeps every value given: the control, a pause's reason, each gate, onFailure, the webhook", () => {
    const result = validate({
      control: "legacy",
      steps: [
        { type: "shadow", minComparisons: 50, minDuration: "90s" },
        { type: "pause", reason: "look at the dashboards" },
        { type: "weight", weight: 12.5, minUsers: 30, minDuration: "2h" },
        { type: "weight", weight: 100, minDuration: "1d" },
      ],
      gates: { confidence: 0.99, errorRateTolerance: 0.02, clientErrorRateTolerance: 0.1, latencyRatio: { p95: 1.2, p99: 3 }, latencySlackMs: 5, latencyMinSamples: { p95: 50, p99: 1000 }, maxMismatchRate: 0.05, maxWriteFailureRate: 0.03 },
      onFailure: "pause",
      webhook: "https://hooks.slack.com/services/T000/B000/XXXX",
    });
    expect(result).toEqual({
      ok: true,
      value: {
        route: "orders",
        candidate: "lambda",
        control: "legacy",
        steps: [
          { type: "shadow", minComparisons: 50, minDurationMs: 90_000 },
          { type: "pause", reason: "look at the dashboards" },
          { type: "weight", weight: 12.5, minUsers: 30, minDurationMs: 7_200_000 },
          { type: "weight", weight: 100, minUsers: 100, minDurationMs: 86_400_000 },
        ],
        gates: { confidence: 0.99, errorRateTolerance: 0.02, clientErrorRateTolerance: 0.1, latencyRatio: { p95: 1.2, p99: 3 }, latencySlackMs: 5, latencyMinSamples: { p95: 50, p99: 1000 }, maxMismatchRate: 0.05, maxWriteFailureRate: 0.03 },
        onFailure: "pause",
        webhook: "https://hooks.slack.com/services/T000/B000/XXXX",
      },
    });
    // One gate given: the others keep their defaults, within one group too.
    const partial = validate({ steps: [{ type: "weight", weight: 10 }], gates: { latencyRatio: { p99: 3 }, latencyMinSamples: { p95: 50 } } });
    expect(partial.ok && partial.value.gates).toEqual({ ...DEFAULT_GATES, latencyRatio: { p95: 1.5, p99: 3 }, latencyMinSamples: { p95: 50, p99: 500 } });
  });
});

describe("a plan refused", () => {
  it.each([
    ["a shadow step after a weight step", { steps: [{ type: "weight", weight: 10 }, { type: "shadow" }] }, { path: "$.steps[1]", message: "a shadow step must come before the weight steps" }],
    ["a weight finer than 0.01", { steps: [{ type: "weight", weight: 10.005 }] }, { path: "$.steps[0].weight", message: "weight 10.005 is not a multiple of 0.01" }],
    ["a weight repeated", { steps: [{ type: "weight", weight: 10 }, { type: "weight", weight: 10 }] }, { path: "$.steps[1].weight", message: "weights must rise: 10 after 10" }],
    ["weight 100 before the end", { steps: [{ type: "weight", weight: 100 }, { type: "pause" }] }, { path: "$.steps[0]", message: "weight 100 completes the rollout: it must be the last step" }],
    ["the candidate as the control", { control: "lambda", steps: [{ type: "weight", weight: 10 }] }, { path: "$.control", message: "must differ from the candidate" }],
    ["a webhook that is not http(s)", { steps: [{ type: "weight", weight: 10 }], webhook: "ftp://hooks.example.com/x" }, { path: "$.webhook", message: "must be an http(s) URL" }],
    ["a webhook whose scheme only ends in http", { steps: [{ type: "weight", weight: 10 }], webhook: "xhttp://hooks.example.com/x" }, { path: "$.webhook", message: "must be an http(s) URL" }],
    ["a webhook that is not a URL", { steps: [{ type: "weight", weight: 10 }], webhook: "hooks.example.com/x" }, { path: "$.webhook", message: "must be an http(s) URL" }],
    ["a weight that is not a number, saying what it is", { steps: [{ type: "weight", weight: "ten" }] }, { path: "$.steps[0].weight", message: 'must be a number, not the string "ten"' }],
  ])("%s", (_name, extra, issue) => {
    expect(refusal(extra)).toEqual([issue]);
  });

  it("takes what sits next to a refusal: a shadow step before weights, 100 as the last step, an http webhook, a control of its own", () => {
    for (const extra of [
      { steps: [{ type: "shadow" }, { type: "pause" }, { type: "weight", weight: 0.01 }, { type: "weight", weight: 100 }] },
      { steps: [{ type: "weight", weight: 10.25 }] },
      { control: "legacy", steps: [{ type: "weight", weight: 10 }], webhook: "http://127.0.0.1:9999/hook" },
    ]) {
      expect(refusal(extra)).toBeUndefined();
    }
  });
});

describe("a plan stored by an earlier cutover", () => {
  it("reads minRequests as minUsers, keeps steps that need nothing, and gets the gates added since", () => {
    const stored = {
      route: "orders",
      candidate: "lambda",
      steps: [{ type: "shadow", minComparisons: 50, minDurationMs: 0 }, { type: "weight", weight: 10, minUsers: 30, minDurationMs: 0 }, { type: "weight", weight: 50, minRequests: 40, minDurationMs: 0 }, { type: "weight", weight: 100, minDurationMs: 0 }],
      gates: { confidence: 0.99 },
      onFailure: "rollback",
    } as unknown as RolloutPlan;
    expect(upgradeStoredPlan(stored)).toEqual({
      ...stored,
      steps: [
        { type: "shadow", minComparisons: 50, minDurationMs: 0 },
        { type: "weight", weight: 10, minUsers: 30, minDurationMs: 0 },
        { type: "weight", weight: 50, minUsers: 40, minDurationMs: 0 },
        { type: "weight", weight: 100, minUsers: 100, minDurationMs: 0 },
      ],
      gates: { ...DEFAULT_GATES, confidence: 0.99 },
    });
  });
});

describe("--steps", () => {
  it("reads shadow, pause and weights (with or without %, to 0.01), spaces around them ignored", () => {
    expect(parseStepList(" shadow , pause,1.25, 10% ,100")).toEqual([
      { type: "shadow" },
      { type: "pause" },
      { type: "weight", weight: 1.25 },
      { type: "weight", weight: 10 },
      { type: "weight", weight: 100 },
    ]);
  });

  it.each(["", "x10", "10%x", "1.a", "10,,20", "-5"])("refuses %j", (text) => {
    expect(parseStepList(text)).toBeUndefined();
  });
});
