import { err, ok, type Result } from "../../lib/result.ts";
import { parseStepList, type RolloutPlanInput } from "../../rollout/plan.ts";

/** What an operator gives to start a rollout without a plan file: `cutover rollout start`'s options, the route page's form. */
export interface PlanOptions {
  readonly route: string;
  readonly candidate: string;
  /** `shadow,1,10,50,100`: shadow, pause, or a weight in percent. */
  readonly steps: string;
  /** Distinct users each arm needs per weight step (a whole number; empty: the default). */
  readonly minUsers?: string | undefined;
  /** How long each shadow and weight step lasts at least (`10m`; empty: the default). */
  readonly minDuration?: string | undefined;
  /** rollback, pause or stepBack (empty: the default, rollback). */
  readonly onFailure?: string | undefined;
  readonly webhook?: string | undefined;
}

/** Which option does not read, and why (the CLI names its flag, the dashboard its field). */
export interface PlanOptionProblem {
  readonly option: "steps" | "minUsers" | "onFailure";
  readonly message: string;
}

/**
 * The rollout plan (the body of POST /rollouts) that the CLI and the dashboard both send for
 * a list of steps and the per-step minimums; the API validates it (rollout/plan.ts), so this
 * refuses only what it cannot turn into a plan at all. Pure.
 */
export function planFromOptions(options: PlanOptions): Result<RolloutPlanInput, PlanOptionProblem> {
  const steps = parseStepList(options.steps);
  if (!steps) return err({ option: "steps", message: "is a list such as shadow,1,10,50,100 (shadow, pause, a weight in percent; dualWrite, readThrough, rampDown for a data migration)" });
  const minUsers = options.minUsers || undefined;
  if (minUsers !== undefined && !/^\d+$/.test(minUsers)) return err({ option: "minUsers", message: "must be a whole number" });
  const onFailure = options.onFailure || undefined;
  if (onFailure !== undefined && onFailure !== "rollback" && onFailure !== "pause" && onFailure !== "stepBack") return err({ option: "onFailure", message: "must be rollback, pause or stepBack" });
  const minDuration = options.minDuration || undefined;
  return ok({
    route: options.route,
    candidate: options.candidate,
    steps: steps.map((step) => {
      if (step.type === "pause") return step;
      const timed = { ...step, ...(minDuration !== undefined ? { minDuration } : {}) };
      return step.type === "weight" && minUsers !== undefined ? { ...timed, minUsers: Number(minUsers) } : timed;
    }),
    ...(onFailure !== undefined ? { onFailure } : {}),
    ...(options.webhook ? { webhook: options.webhook } : {}),
  });
}
