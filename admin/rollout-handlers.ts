import { findRoute } from "../routes/table-lines.ts";
import type { Context, Hono } from "hono";
import { decide, type RolloutState } from "../rollout/decide.ts";
import { rolloutMessage } from "../rollout/message.ts";
import { validateRolloutPlan } from "../rollout/plan.ts";
import { controlOf, routeAtStep, sameRoute } from "../rollout/route-at-step.ts";
import type { ActiveTable } from "../store/route-store.ts";
import type { AdminEnv } from "./auth.ts";
import type { AdminDeps } from "./deps.ts";
import { problem, readBody } from "./http.ts";
import { publishRouteChange } from "./publish-route-change.ts";
import { advance, gatherEvidence, promoteDecision, restore, tickAll, withEvent, type ControllerDeps } from "./rollout-controller.ts";
import { unknownRoute } from "./route-handlers.ts";
import { RolloutActionBody, StartRolloutBody } from "./schemas.ts";
import { webhookHost, webhookProblem } from "../rollout/webhook-destination.ts";
import type { RolloutPlan } from "../rollout/plan.ts";

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
    return c.json({ rollouts: states.map(summary).sort((a, b) => (a.updatedAt < b.updatedAt ? 1 : -1)) });
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
    return c.json({ ...state, plan: publicPlan(state.plan), ...summary(state), now: { decision: decision.kind, ...("verdict" in decision ? { verdict: decision.verdict } : {}), ...(decision.kind === "conflict" ? { reason: decision.reason } : {}) } });
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
    const route = findRoute(active.table, plan.route);
    if (!route) return unknownRoute(c, plan.route, active);
    const backends = Object.keys(active.table.backends);
    for (const [field, name] of [
      ["candidate", plan.candidate],
      ["control", plan.control],
    ] as const) {
      if (name !== undefined && !backends.includes(name)) return problem(c, 400, "invalid_plan", `$.plan.${field}: unknown backend '${name}' (known: ${backends.join(", ")})`);
    }
    const control = controlOf(plan, route);
    if (control === undefined) return problem(c, 409, "nothing_to_move", `Route '${plan.route}' already sends everything to '${plan.candidate}'.`);
    const existing = await controller.rollouts.get(plan.route);
    if (existing && (existing.status === "running" || existing.status === "paused")) {
      return problem(c, 409, "rollout_running", `A rollout of '${plan.route}' is ${existing.status} (step ${existing.step + 1} of ${existing.plan.steps.length}): abort it first.`);
    }
    const at = new Date(controller.now()).toISOString();
    const first = plan.steps[0];
    const started: RolloutState = {
      route: plan.route,
      plan,
      status: first?.type === "pause" ? "paused" : "running",
      step: 0,
      stepStartedAt: at,
      original: route,
      control,
      shadowEpoch: (route.shadow?.epoch ?? 0) + 1,
      ...(first?.type === "pause" ? { pausedReason: "plan pause at step 1: promote to continue" } : {}),
      // The version serving the first step: this one, unless the step writes one.
      stepVersions: [active.version],
      revision: (existing?.revision ?? 0) + 1,
      startedAt: at,
      startedBy: actor(c),
      updatedAt: at,
      events: [{ at, kind: "started", step: 0, message: `started by ${actor(c)}: ${body.value.reason}` }],
    };
    // Claim the route first (conditional: one rollout per route), then serve the first step.
    if (!(await controller.rollouts.put(started, 0))) return problem(c, 409, "rollout_running", `Another rollout of '${plan.route}' was started just now.`);
    const stepRoute = routeAtStep(plan, route, 0, started.shadowEpoch);
    let state = started;
    if (!sameRoute(stepRoute, route)) {
      const published = await publishRouteChange(controller.store, {
        routeId: plan.route,
        change: (current) => (sameRoute(current, route) ? stepRoute : `route '${plan.route}' changed while the rollout started`),
        author: actor(c),
        reason: `rollout of ${plan.route} to ${plan.candidate} started: ${body.value.reason}`,
        action: "rollout",
        delayMs: controller.propagationMs,
        details: { rollout: { step: 0, plan: publicPlan(plan) } },
      });
      if (!published.ok) {
        await controller.rollouts.put({ ...started, status: "aborted", revision: started.revision + 1, updatedAt: at }, started.revision);
        return problem(c, 409, "cannot_start", published.reason === "refused" ? published.message : `The first step could not be written (${published.reason}).`);
      }
      controller.accept?.(published.published);
      state = withEvent(
        { ...started, stepStartedAt: published.published.info?.effectiveAt ?? at, stepVersions: [published.published.version], revision: started.revision + 1 },
        { at, kind: "step", step: 0, message: `step 1 of ${plan.steps.length}`, version: published.published.version },
      );
      await controller.rollouts.put(state, started.revision);
    }
    if (plan.webhook !== undefined) controller.notify(plan.webhook, rolloutMessage(state, "started", `started by ${actor(c)}: step 1 of ${plan.steps.length}`));
    await controller.store.recordAudit({ actor: actor(c), action: "rollout-start", reason: body.value.reason, details: { route: plan.route, candidate: plan.candidate, control, steps: plan.steps.length } }).catch(() => undefined);
    return c.json(summary(state), 201);
  });

  /** An operator's action on a rollout: its state must allow it; audited. */
  const action = (verb: "promote" | "pause" | "resume" | "abort", run: (controller: ControllerDeps, state: RolloutState, active: ActiveTable, who: string, reason: string, at: string) => Promise<RolloutState | Response | undefined>) =>
    api.post(`/rollouts/:route/${verb}`, async (c) => {
      const controller = controllerFor(c);
      if (!controller) return noStore(c);
      const body = await readBody(c, RolloutActionBody);
      if (!body.ok) return body.response;
      const state = await controller.rollouts.get(c.req.param("route"));
      if (!state) return problem(c, 404, "no_rollout", `No rollout of route '${c.req.param("route")}' has been started.`);
      if (state.status !== "running" && state.status !== "paused") return problem(c, 409, "rollout_over", `The rollout of '${state.route}' is over (${state.status}).`);
      const at = new Date(controller.now()).toISOString();
      const outcome = await run(controller, state, await controller.store.getActive(), actor(c), body.value.reason, at);
      if (outcome instanceof Response) return outcome;
      if (outcome === undefined) return problem(c, 409, "conflict", `The rollout of '${state.route}' or its route changed while this ran: read it again and retry.`);
      await controller.store.recordAudit({ actor: actor(c), action: `rollout-${verb}`, reason: body.value.reason, details: { route: state.route, step: outcome.step, status: outcome.status } }).catch(() => undefined);
      return c.json(summary(outcome));
    });

  action("promote", async (controller, state, active, who, _reason, at) => {
    const decision = promoteDecision(state, who);
    return decision && advance(controller, state, active, decision, at, "promoted", who);
  });

  action("pause", async (controller, state, _active, who, reason, at) => {
    if (state.status === "paused") return state;
    const paused = withEvent({ ...state, status: "paused", pausedReason: `paused by ${who}: ${reason}`, revision: state.revision + 1, updatedAt: at }, { at, kind: "paused", step: state.step, message: `paused by ${who}: ${reason}` });
    return (await controller.rollouts.put(paused, state.revision)) ? paused : undefined;
  });

  action("resume", async (controller, state, active, who, reason, at) => {
    if (state.plan.steps[state.step]?.type === "pause") {
      const decision = promoteDecision(state, who);
      return decision && advance(controller, state, active, decision, at, "promoted", who);
    }
    // The step is served again as the plan says (over a manual change, since an operator asks),
    // with a fresh window; re-applied as a new version, its evidence starts over with it.
    const expected = routeAtStep(state.plan, state.original, state.step, state.shadowEpoch);
    let startsAt = at;
    let stepVersions = state.stepVersions;
    if (!sameRoute(findRoute(active.table, state.route), expected)) {
      const published = await publishRouteChange(controller.store, { routeId: state.route, change: () => expected, author: who, reason: `rollout of ${state.route} resumed: ${reason}`, action: "rollout", delayMs: controller.propagationMs });
      if (!published.ok) return undefined;
      controller.accept?.(published.published);
      startsAt = published.published.info?.effectiveAt ?? at;
      stepVersions = [published.published.version];
    }
    const { window: _window, pausedReason: _paused, stepVersions: _versions, ...rest } = state;
    const resumed = withEvent(
      { ...rest, ...(stepVersions ? { stepVersions } : {}), status: "running", stepStartedAt: startsAt, revision: state.revision + 1, updatedAt: at },
      { at, kind: "resumed", step: state.step, message: `resumed by ${who}: ${reason}` },
    );
    return (await controller.rollouts.put(resumed, state.revision)) ? resumed : undefined;
  });

  action("abort", async (controller, state, active, who, reason, at) => {
    const version = await restore(controller, state, active, `rollout of ${state.route} aborted by ${who}: ${reason}`, { rollout: { step: state.step, aborted: true } }, who);
    if (version === "lost") return undefined;
    const aborted = withEvent(
      { ...state, status: "aborted", revision: state.revision + 1, updatedAt: at },
      { at, kind: "aborted", step: state.step, message: `aborted by ${who}, route restored: ${reason}`, ...(version !== undefined ? { version } : {}) },
    );
    if (!(await controller.rollouts.put(aborted, state.revision))) return undefined;
    return aborted;
  });

  api.post("/rollouts/tick", async (c) => {
    const controller = controllerFor(c);
    if (!controller) return noStore(c);
    return c.json({ results: await tickAll(controller) });
  });
}

/** What a listing shows of a rollout: GET /rollouts, and the head of GET /rollouts/{route} (the dashboard and the CLI read it). */
export type RolloutSummary = ReturnType<typeof summary>;

function summary(state: RolloutState) {
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
    lastVerdict: state.lastVerdict ? { outcome: state.lastVerdict.outcome, summary: state.lastVerdict.summary, at: state.lastVerdict.at } : null,
    startedBy: state.startedBy,
    startedAt: state.startedAt,
    updatedAt: state.updatedAt,
  };
}

/** A plan as viewers and the audit log see it: a webhook URL's path is its secret, so only its origin shows. */
function publicPlan(plan: RolloutPlan): RolloutPlan {
  return plan.webhook === undefined ? plan : { ...plan, webhook: webhookHost(plan.webhook) };
}
