import type { Context, Hono } from "hono";
import { gatherEvidence } from "../control/rollout-evidence.ts";
import { warmTick } from "../control/decommission.ts";
import { actOnRollout, startRollout, tickAll, type ControllerDeps } from "../control/rollouts.ts";
import { decide, type RolloutState } from "../rollout/decide.ts";
import { validateRolloutPlan } from "../rollout/plan.ts";
import { publicPlan } from "../rollout/transitions.ts";
import { webhookProblem } from "../rollout/webhook-destination.ts";
import { findRoute } from "../routes/table-lines.ts";
import type { AdminEnv } from "./auth.ts";
import type { AdminDeps } from "./deps.ts";
import { problem, readBody } from "./http.ts";
import { unknownRoute } from "./route-handlers.ts";
import { RolloutActionBody, StartRolloutBody, type RolloutDetail, type RolloutsAnswer, type RolloutSummary, type TickAnswer } from "./contract/index.ts";

/**
 * /rollouts: start a rollout, read them (with the current step's evidence judged live),
 * promote, pause, resume, abort, and `POST /rollouts/tick` (what the Cron Trigger runs; the
 * local stack and tests call it). Every change is audited.
 */
export function registerRollouts(api: Hono<AdminEnv>, deps: AdminDeps): void {
  const controllerFor = (c: Context<AdminEnv>): ControllerDeps | undefined => deps.controller?.((promise) => c.executionCtx.waitUntil(promise));
  const noStore = (c: Context) => problem(c, 409, "no_store", "Rollouts need the DynamoDB store (CUTOVER_DYNAMODB_TABLE).");
  const actor = (c: Context<AdminEnv>) => c.get("principal").name;

  api.get("/rollouts", async (c) => {
    const controller = controllerFor(c);
    if (!controller) return noStore(c);
    const states = await controller.rollouts.list();
    const answer: RolloutsAnswer = { rollouts: states.map(summary).sort((a, b) => (a.updatedAt < b.updatedAt ? 1 : -1)) };
    return c.json(answer);
  });

  api.get("/rollouts/:route", async (c) => {
    const controller = controllerFor(c);
    if (!controller) return noStore(c);
    const state = await controller.rollouts.get(c.req.param("route"));
    if (!state) return problem(c, 404, "no_rollout", `No rollout of route '${c.req.param("route")}' has been started.`);
    // The step judged now, as the next tick would (without acting on it).
    const active = await controller.store.getActive();
    const now = controller.now();
    const evidence = await gatherEvidence(controller, state, active, now);
    const decision = decide({ state, route: findRoute(active.table, state.route), evidence, now, settleMs: controller.settleMs });
    const answer: RolloutDetail = { ...state, plan: publicPlan(state.plan), ...summary(state), now: { decision: decision.kind, ...("verdict" in decision ? { verdict: decision.verdict } : {}), ...(decision.kind === "conflict" ? { reason: decision.reason } : {}) } };
    return c.json(answer);
  });

  api.post("/rollouts", async (c) => {
    const controller = controllerFor(c);
    if (!controller) return noStore(c);
    const body = await readBody(c, StartRolloutBody);
    if (!body.ok) return body.response;
    const parsed = validateRolloutPlan(body.value.plan);
    if (!parsed.ok) {
      const issues = parsed.error.map((issue) => ({ ...issue, path: issue.path.replace(/^\$/, "$.plan") }));
      return problem(c, 400, "invalid_plan", `The rollout plan is invalid: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`, { issues });
    }
    const plan = parsed.value;
    if (plan.webhook !== undefined) {
      const destination = webhookProblem(plan.webhook, { allowPrivate: deps.webhooks.allowPrivate });
      if (destination !== undefined) return problem(c, 400, "invalid_plan", `The rollout plan is invalid: $.plan.webhook: ${destination}`, { issues: [{ path: "$.plan.webhook", message: destination }] });
      if (deps.webhooks.secret === undefined) {
        return problem(c, 409, "webhook_secret_missing", "A rollout with a webhook needs the Worker secret CUTOVER_WEBHOOK_SECRET (32 bytes or more: openssl rand -hex 32), which signs every message.");
      }
    }
    const active = await controller.store.getActive();
    if (!findRoute(active.table, plan.route)) return unknownRoute(c, plan.route, active);
    const backends = Object.keys(active.table.backends);
    for (const [field, name] of [
      ["candidate", plan.candidate],
      ["control", plan.control],
    ] as const) {
      if (name !== undefined && !backends.includes(name)) return problem(c, 400, "invalid_plan", `$.plan.${field}: unknown backend '${name}' (known: ${backends.join(", ")})`);
    }
    const started = await startRollout(controller, plan, { actor: actor(c), reason: body.value.reason });
    return started.ok ? c.json(summary(started.value), 201) : refused(c, started.error);
  });

  for (const verb of ["promote", "pause", "resume", "abort"] as const) {
    api.post(`/rollouts/:route/${verb}`, async (c) => {
      const controller = controllerFor(c);
      if (!controller) return noStore(c);
      const body = await readBody(c, RolloutActionBody);
      if (!body.ok) return body.response;
      const outcome = await actOnRollout(controller, c.req.param("route"), verb, { actor: actor(c), reason: body.value.reason });
      return outcome.ok ? c.json(summary(outcome.value)) : refused(c, outcome.error);
    });
  }

  api.post("/rollouts/tick", async (c) => {
    const controller = controllerFor(c);
    if (!controller) return noStore(c);
    const results = await tickAll(controller);
    const keepWarm = deps.settings ? await warmTick({ store: controller.store, settings: deps.settings, now: deps.now, propagationMs: deps.propagationMs, fetch: (input, init) => fetch(input, init) }) : undefined;
    const answer: TickAnswer = { results, ...(keepWarm ? { keepWarm } : {}) };
    return c.json(answer);
  });
}

/** The status of each way a rollout change is refused. */
const REFUSAL_STATUS: Readonly<Record<string, 404 | 409>> = { no_rollout: 404, unknown_route: 404 };

function refused(c: Context, refusal: { readonly code: string; readonly message: string }): Response {
  return problem(c, REFUSAL_STATUS[refusal.code] ?? 409, refusal.code, refusal.message);
}

/** What a listing shows of a rollout: GET /rollouts, and the head of GET /rollouts/{route} (the dashboard and the CLI read it). */
function summary(state: RolloutState): RolloutSummary {
  const step = state.plan.steps[state.step];
  return {
    route: state.route,
    candidate: state.plan.candidate,
    control: state.control,
    status: state.status,
    step: state.step + 1,
    steps: state.plan.steps.length,
    stepLabel: step === undefined ? "-" : step.type === "weight" ? `${step.weight} %` : step.type,
    stepStartedAt: state.stepStartedAt,
    pausedReason: state.pausedReason ?? null,
    lastVerdict: state.lastVerdict ? { outcome: state.lastVerdict.outcome, summary: state.lastVerdict.summary, at: state.lastVerdict.at, step: state.lastVerdict.step + 1, checks: state.lastVerdict.checks } : null,
    startedBy: state.startedBy,
    startedAt: state.startedAt,
    updatedAt: state.updatedAt,
  };
}

