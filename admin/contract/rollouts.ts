import * as z from "zod/mini";
import { list, openObject } from "./open-object.ts";
import { ReasonSchema } from "./reason.ts";

/** POST /rollouts. The plan is validated on its own (rollout/plan.ts), for issues under `$.plan`. */
export const StartRolloutBody = z.strictObject({ plan: z.unknown(), reason: ReasonSchema });
export type StartRolloutBody = z.input<typeof StartRolloutBody>;

/** POST /rollouts/:route/promote, …/pause, …/resume, …/abort. */
export const RolloutActionBody = z.strictObject({ reason: ReasonSchema });
export type RolloutActionBody = z.input<typeof RolloutActionBody>;

/** A judgement of a step's evidence (rollout/gates.ts `Verdict`): each gate with its numbers. */
export const RolloutVerdict = openObject({
  /** pass, wait or fail. */
  outcome: z.string(),
  summary: z.string(),
  checks: list(
    openObject({
      /** duration, users, comparisons, errors, client-errors, latency-p95, latency-p99, correctness. */
      gate: z.string(),
      /** pass, wait, fail or skip. */
      outcome: z.string(),
      summary: z.string(),
      numbers: z.record(z.string(), z.nullable(z.number())),
    }),
  ),
});
export type RolloutVerdict = z.infer<typeof RolloutVerdict>;

/**
 * What a listing shows of a rollout: GET /rollouts, the answer of POST /rollouts and of every
 * action, and the head of GET /rollouts/:route.
 */
export const RolloutSummary = openObject({
  route: z.string(),
  candidate: z.string(),
  control: z.string(),
  /** running, paused, succeeded, rolled_back, aborted. */
  status: z.string(),
  /** The current step, from 1. */
  step: z.int(),
  steps: z.int(),
  /** `shadow`, `10 %`, `pause`. */
  stepLabel: z.string(),
  stepStartedAt: z.string(),
  pausedReason: z.nullable(z.string()),
  /** The last step judged: its verdict with every gate's numbers (kept after the rollout ends), the step (from 1) and when. */
  lastVerdict: z.nullable(openObject({ outcome: z.string(), summary: z.string(), at: z.string(), step: z.optional(z.int()), checks: z.optional(RolloutVerdict.shape.checks) })),
  startedBy: z.string(),
  startedAt: z.string(),
  updatedAt: z.string(),
});
export type RolloutSummary = z.infer<typeof RolloutSummary>;

/** GET /rollouts: newest first. */
export const RolloutsAnswer = openObject({ rollouts: list(RolloutSummary) });
export type RolloutsAnswer = z.infer<typeof RolloutsAnswer>;

/** One thing that happened to a rollout (rollout/decide.ts `RolloutEvent`). */
export const RolloutEvent = openObject({
  at: z.string(),
  /** started, step, paused, resumed, promoted, failed, rolled_back, succeeded, aborted, conflict. */
  kind: z.string(),
  /** Index of the step, from 0. */
  step: z.int(),
  message: z.string(),
  /** The table version written, when there was one. */
  version: z.optional(z.int()),
});
export type RolloutEvent = z.infer<typeof RolloutEvent>;

/**
 * GET /rollouts/:route: the summary, the stored state (plan with every default filled in, a
 * webhook shown by its origin only), its history, and its current step judged now.
 */
export const RolloutDetail = z.extend(RolloutSummary, {
  plan: openObject({
    steps: list(openObject({ type: z.string(), weight: z.optional(z.number()) })),
    /** rollback or pause. */
    onFailure: z.string(),
  }),
  /** The table versions whose evidence is the step's (absent for a rollout started by an earlier cutover). */
  stepVersions: z.optional(list(z.int())),
  /** Oldest first, the last 50. */
  events: list(RolloutEvent),
  now: openObject({
    /** What the next tick would decide: idle, conflict, settling, open-window, wait, advance, fail, … */
    decision: z.string(),
    verdict: z.optional(RolloutVerdict),
    /** Why, for a conflict. */
    reason: z.optional(z.string()),
  }),
});
export type RolloutDetail = z.infer<typeof RolloutDetail>;

/** POST /rollouts/tick: what the controller did with each running rollout. */
export const TickAnswer = openObject({
  results: list(openObject({ route: z.string(), decision: z.string(), status: z.string(), step: z.int(), summary: z.optional(z.string()) })),
  /** During a switch-off's grace period: how legacy answered the keep-warm call this tick made (absent: none was due). */
  keepWarm: z.optional(openObject({ at: z.string(), status: z.nullable(z.int()), error: z.optional(z.string()) })),
});
export type TickAnswer = z.infer<typeof TickAnswer>;
