import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { planFromOptions, RolloutDetail, RolloutsAnswer, RolloutSummary, TickAnswer, type RolloutActionBody, type StartRolloutBody } from "../../admin/contract/index.ts";
import { isPlainObject } from "../../lib/plain-object.ts";
import { dataMigrationSteps } from "../../rollout/plan.ts";
import { clientFor, print } from "../context.ts";
import { EXIT_NOT_READY, ExitCodeError } from "../exit-code-error.ts";
import { alignColumns } from "../table-output.ts";
import { UsageError } from "../usage-error.ts";

/** `--plan data-migration`: the story's playbook (rollout/plan.ts `dataMigrationSteps`), not a file. */
const DATA_MIGRATION = "data-migration";

export function registerRollout(program: Command): void {
  const rollout = program.command("rollout").description("let cutover move a route for you: shadow, 1 %, 10 %, … 100 %, gated on evidence, rolled back on failure");

  rollout
    .command("start")
    .description("start moving ROUTE to a backend, step by step")
    .argument("<route>", "the route to move")
    .requiredOption("--to <backend>", "the candidate backend")
    .option("--plan <file>", "a rollout plan (JSON; see rollout-plan.schema.json), or data-migration: the built-in dualWrite, shadow, 10, 50, readThrough, rampDown, stepping back one stage on a failure")
    .option("--steps <list>", "steps, e.g. shadow,1,10,50,100 (pause for a manual gate)", "shadow,1,10,50,100")
    .option("--min-users <n>", "distinct users (client addresses) each arm needs per weight step (default 100)")
    .option("--min-requests <n>", "the old name of --min-users (it counts users now)")
    .option("--min-duration <duration>", "how long each step lasts at least (default 10m)")
    .option("--on-failure <what>", "rollback (default), pause, or stepBack (serve the step before again, paused)")
    .option("--webhook <url>", "Slack-compatible webhook for every step, pause, failure and completion")
    .requiredOption("--reason <text>", "why (audited)")
    .action(async (route: string, options: { to: string; plan?: string; steps: string; minUsers?: string; minRequests?: string; minDuration?: string; onFailure?: string; webhook?: string; reason: string }, command: Command) => {
      const { client, json } = clientFor(command);
      let plan: unknown;
      if (options.plan === undefined || options.plan === DATA_MIGRATION) {
        const migration = options.plan === DATA_MIGRATION;
        const steps = migration ? dataMigrationSteps().map((step) => (step.type === "weight" ? String(step.weight) : step.type)).join(",") : options.steps;
        const onFailure = options.onFailure ?? (migration ? "stepBack" : undefined);
        const built = planFromOptions({ route, candidate: options.to, steps, onFailure, minUsers: options.minUsers ?? options.minRequests, minDuration: options.minDuration, webhook: options.webhook });
        const flag = { steps: "--steps", minUsers: options.minUsers !== undefined ? "--min-users" : "--min-requests", onFailure: "--on-failure" };
        if (!built.ok) throw new UsageError(`${flag[built.error.option]} ${built.error.message}`);
        plan = built.value;
      } else {
        let file: unknown;
        try {
          file = JSON.parse(await readFile(options.plan, "utf8"));
        } catch (error) {
          throw new UsageError(`Cannot read the plan ${options.plan}: ${error instanceof Error ? error.message : String(error)}`);
        }
        if (!isPlainObject(file)) throw new UsageError(`The plan ${options.plan} is not a JSON object.`);
        // The file's steps and gates, for this route and candidate; the server validates the whole.
        plan = { ...file, route, candidate: options.to, ...(options.onFailure !== undefined ? { onFailure: options.onFailure } : {}), ...(options.webhook !== undefined ? { webhook: options.webhook } : {}) };
      }
      const body: StartRolloutBody = { plan, reason: options.reason };
      const started = await client.post("/rollouts", body, RolloutSummary);
      print(json, started, () => `Rollout of ${started.route} to ${started.candidate} started: step ${started.step} of ${started.steps} (${started.stepLabel}). Follow it: cutover rollout status ${started.route} --watch`);
    });

  rollout
    .command("status")
    .description("a rollout's step, weights, evidence with its bounds, verdict and history")
    .argument("<route>")
    .option("--watch", "refresh every few seconds until Ctrl-C (like kubectl argo rollouts get rollout --watch)")
    .option("--wait", `wait until the rollout is over: exit 0 when it succeeded, ${EXIT_NOT_READY} when it was rolled back or aborted (for CI)`)
    .action(async (route: string, options: { watch?: boolean; wait?: boolean }, command: Command) => {
      const { client, json } = clientFor(command);
      for (;;) {
        const detail = await client.get(`/rollouts/${encodeURIComponent(route)}`, RolloutDetail);
        const over = !["running", "paused"].includes(detail.status);
        if (!options.wait || over || options.watch) print(json, detail, () => formatDetail(detail));
        if (options.wait && over) {
          if (detail.status !== "succeeded") throw new ExitCodeError(EXIT_NOT_READY, new Error(`The rollout of ${route} ended ${detail.status}.`));
          return;
        }
        if (!options.watch && !options.wait) return;
        await new Promise((resolve) => setTimeout(resolve, 3000));
        if (options.watch && !json) console.log("");
      }
    });

  rollout
    .command("list")
    .description("every rollout, newest first")
    .action(async (_options: unknown, command: Command) => {
      const { client, json } = clientFor(command);
      const listing = await client.get("/rollouts", RolloutsAnswer);
      print(json, listing, () =>
        listing.rollouts.length === 0
          ? "No rollout has been started."
          : alignColumns(
              [
                ["ROUTE", "TO", "STATUS", "STEP", "VERDICT", "UPDATED"],
                ...listing.rollouts.map((r) => [r.route, r.candidate, r.status, `${r.step}/${r.steps} ${r.stepLabel}`, r.pausedReason ?? r.lastVerdict?.summary ?? "-", r.updatedAt]),
              ],
              "",
            ),
      );
    });

  for (const [verb, description] of [
    ["promote", "go to the next step now (past a pause, or without waiting for the evidence)"],
    ["pause", "hold the current step"],
    ["resume", "carry on from the current step (re-applying it if someone changed the route)"],
    ["abort", "stop and restore the route as it was before the rollout, at once"],
  ] as const) {
    rollout
      .command(verb)
      .description(description)
      .argument("<route>")
      .requiredOption("--reason <text>", "why (audited)")
      .action(async (route: string, options: { reason: string }, command: Command) => {
        const { client, json } = clientFor(command);
        const result = await client.post(`/rollouts/${encodeURIComponent(route)}/${verb}`, { reason: options.reason } satisfies RolloutActionBody, RolloutSummary);
        print(json, result, () => `Rollout of ${result.route}: ${result.status}, step ${result.step} of ${result.steps} (${result.stepLabel}).`);
      });
  }

  rollout
    .command("tick")
    .description("run the rollout controller once now (the Cron Trigger does each minute; cutover dev every 3 s)")
    .action(async (_options: unknown, command: Command) => {
      const { client, json } = clientFor(command);
      const result = await client.post("/rollouts/tick", {}, TickAnswer);
      print(json, result, () => (result.results.length === 0 ? "No rollout is running." : result.results.map((r) => `${r.route}: ${r.decision} → ${r.status}, step ${r.step + 1}${r.summary ? ` (${r.summary})` : ""}`).join("\n")));
    });
}

function formatDetail(detail: RolloutDetail): string {
  const lines = [
    `Rollout of ${detail.route}: ${detail.control} → ${detail.candidate}, ${detail.status.toUpperCase()}`,
    `  step ${detail.step} of ${detail.steps}: ${detail.stepLabel} (since ${detail.stepStartedAt})`,
    `  steps: ${detail.plan.steps.map((s, i) => `${i + 1 === detail.step ? "[" : ""}${s.type === "weight" ? `${s.weight} %` : s.type}${i + 1 === detail.step ? "]" : ""}`).join(" → ")}`,
  ];
  if (detail.pausedReason) lines.push(`  paused: ${detail.pausedReason}`);
  const verdict = detail.now.verdict;
  if (detail.now.decision === "settling") lines.push("  now: the step is taking effect; its evidence window opens shortly");
  else if (detail.now.decision === "open-window") lines.push("  now: the next tick opens the step's evidence window");
  else if (detail.now.decision === "conflict") lines.push(`  now: conflict — ${detail.now.reason}`);
  if (verdict) {
    lines.push(`  now: ${verdict.outcome.toUpperCase()} — ${verdict.summary}`, "");
    lines.push(alignColumns([["GATE", "RESULT", "EVIDENCE"], ...verdict.checks.map((check) => [check.gate, check.outcome, check.summary])], "  "));
    if (detail.stepVersions && detail.stepVersions.length > 0) lines.push(`  evidence: users of table version ${detail.stepVersions.map((v) => `v${v}`).join(", ")}`);
  }
  if (detail.events.length > 0) {
    lines.push("", "History:");
    for (const event of detail.events.slice(-10)) lines.push(`  ${event.at}  ${event.kind.padEnd(11)} ${event.message}${event.version !== undefined ? ` (v${event.version})` : ""}`);
  }
  return lines.join("\n");
}
