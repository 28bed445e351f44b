import type { RolloutState } from "./decide.ts";
import type { Verdict } from "./gates.ts";

/**
 * A rollout's webhook message: Slack-compatible (`text`, and `blocks` for Slack's layout;
 * Mattermost, Discord's /slack endpoint and Teams' incoming webhooks read `text` too), with
 * the evidence under `cutover` for anything that parses it.
 */
export function rolloutMessage(state: RolloutState, event: string, message: string, verdict?: Verdict): Record<string, unknown> {
  const icon = event === "succeeded" ? "✅" : event === "rolled_back" || event === "failed" ? "🚨" : event === "paused" || event === "conflict" ? "⏸️" : "➡️";
  const text = `${icon} cutover rollout of ${state.route} → ${state.plan.candidate}: ${message}`;
  const checks = verdict?.checks.filter((check) => check.outcome !== "skip").map((check) => `• ${check.gate}: ${check.outcome} — ${check.summary}`) ?? [];
  return {
    text,
    blocks: [
      { type: "section", text: { type: "mrkdwn", text } },
      ...(checks.length > 0 ? [{ type: "section", text: { type: "mrkdwn", text: checks.join("\n") } }] : []),
    ],
    cutover: {
      route: state.route,
      candidate: state.plan.candidate,
      event,
      status: state.status,
      step: state.step + 1,
      steps: state.plan.steps.length,
      ...(verdict ? { verdict } : {}),
    },
  };
}
