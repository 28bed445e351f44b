import { describe, expect, it } from "vitest";
import type { RolloutState } from "../../rollout/decide.ts";
import type { Verdict } from "../../rollout/gates.ts";
import { rolloutMessage } from "../../rollout/message.ts";
import { validateRolloutPlan } from "../../rollout/plan.ts";

const planned = validateRolloutPlan({ route: "orders", candidate: "lambda", steps: [{ type: "weight", weight: 10 }, { type: "weight", weight: 50 }, { type: "weight", weight: 100 }] });
if (!planned.ok) throw new Error("plan refused");
const state = { route: "orders", plan: planned.value, status: "running", step: 1 } as unknown as RolloutState;

const verdict: Verdict = {
  outcome: "fail",
  summary: "failed: errors (…)",
  checks: [
    { gate: "duration", outcome: "pass", summary: "12 min of 10 min", numbers: { windowMs: 720_000, neededMs: 600_000 } },
    { gate: "errors", outcome: "fail", summary: "users who met an error: candidate 9 %", numbers: { candidateRate: 0.09 } },
    { gate: "latency-p99", outcome: "skip", summary: "not judged: 200 of 500 requests per arm", numbers: {} },
  ],
};

describe("a rollout's webhook message", () => {
  it("says what happened in Slack's text and blocks, each judged check a line (skipped ones left out), with the evidence under `cutover`", () => {
    const text = "🚨 cutover rollout of orders → lambda: rolled back: errors";
    expect(rolloutMessage({ ...state, status: "rolled_back" }, "rolled_back", "rolled back: errors", verdict)).toEqual({
      text,
      blocks: [
        { type: "section", text: { type: "mrkdwn", text } },
        { type: "section", text: { type: "mrkdwn", text: "• duration: pass — 12 min of 10 min\n• errors: fail — users who met an error: candidate 9 %" } },
      ],
      cutover: { route: "orders", candidate: "lambda", event: "rolled_back", status: "rolled_back", step: 2, steps: 3, verdict },
    });
  });

  it("without a verdict (or with only skipped checks) is one block, and carries no verdict", () => {
    const message = rolloutMessage(state, "started", "started by olivia: step 1 of 3");
    expect(message).toEqual({
      text: "➡️ cutover rollout of orders → lambda: started by olivia: step 1 of 3",
      blocks: [{ type: "section", text: { type: "mrkdwn", text: "➡️ cutover rollout of orders → lambda: started by olivia: step 1 of 3" } }],
      cutover: { route: "orders", candidate: "lambda", event: "started", status: "running", step: 2, steps: 3 },
    });
    const skippedOnly: Verdict = { outcome: "wait", summary: "waiting", checks: [verdict.checks[2]!] };
    expect(rolloutMessage(state, "step", "step 2 of 3", skippedOnly).blocks).toHaveLength(1);
  });

  it.each([
    ["succeeded", "✅"],
    ["rolled_back", "🚨"],
    ["failed", "🚨"],
    ["paused", "⏸️"],
    ["conflict", "⏸️"],
    ["step", "➡️"],
    ["started", "➡️"],
    ["resumed", "➡️"],
  ])("marks a %s event with %s", (event, icon) => {
    expect(rolloutMessage(state, event, "m").text).toBe(`${icon} cutover rollout of orders → lambda: m`);
  });
});
