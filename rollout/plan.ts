import * as z from "zod/mini";
import { parseDuration } from "../accounting/series.ts";
import { err, ok, type Result } from "../lib/result.ts";
import { describeIssues, type ValidationIssue } from "../routes/describe-issues.ts";
import { BackendNameSchema, RouteIdSchema } from "../routes/schema.ts";

/**
 * A rollout plan (DESIGN.md "Rollouts"): one route, the candidate backend it moves to, and the
 * steps it moves through, each gated on evidence. Defaults suit a small, bursty app (a few
 * thousand users a day, long idle spells): each step needs 100 users on each arm (200
 * comparisons for a shadow step) and 10 minutes, and too little traffic only waits.
 */
const described = <T extends z.ZodMiniType>(schema: T, description: string) => schema.check(z.describe(description)) as T;
const optional = <T extends z.ZodMiniType>(schema: T, description: string) => described(z.optional(schema), description);
const DurationSchema = z.string().check(z.regex(/^\d+[smhd]$/, "must be a duration such as 30s, 10m, 2h or 1d"));
const fraction = (max: number) => z.number().check(z.gte(0), z.lte(max));

const ShadowStepSchema = z.strictObject({
  type: z.literal("shadow"),
  minComparisons: optional(z.int().check(z.gte(1)), "Comparisons needed before the step can pass (default 200)."),
  minDuration: optional(DurationSchema, "Time the step lasts at least (default 10m)."),
});
const WeightStepSchema = z.strictObject({
  type: z.literal("weight"),
  weight: described(z.number().check(z.gt(0), z.lte(100)), "The candidate's share of the route's users, in percent; 100 completes the rollout."),
  minUsers: optional(
    z.int().check(z.gte(1)),
    "Distinct users (client addresses) needed on each arm (control and candidate) before the step can pass (default 100). One client is one user however many requests it sends.",
  ),
  minRequests: optional(z.int().check(z.gte(1)), "The old name of minUsers (renamed: it counts users), read as minUsers."),
  minDuration: optional(DurationSchema, "Time the step lasts at least (default 10m)."),
});
const PauseStepSchema = z.strictObject({
  type: z.literal("pause"),
  reason: optional(z.string().check(z.maxLength(200)), "Shown while the rollout waits for `cutover rollout promote`."),
});
/** A data migration's stages (DESIGN.md "A migration, start to finish"): dual writes, read-through while a backfill runs, ramp-down. */
const DualWriteStepSchema = z.strictObject({
  type: z.literal("dualWrite"),
  minWrites: optional(z.int().check(z.gte(1)), "Writes copied to the candidate before the step can pass (default 100)."),
  minDuration: optional(DurationSchema, "Time the step lasts at least (default 10m)."),
});
const ReadThroughStepSchema = z.strictObject({
  type: z.literal("readThrough"),
  maxFallbackRate: optional(fraction(1), "The share of the candidate's requests over the step's last minDuration that fell back to the control on a 404 (records not yet backfilled) the step waits to be under, as a fraction (default 0.001)."),
  minRequests: optional(z.int().check(z.gte(1)), "Requests the candidate served over the step's last minDuration before the rate is judged (default 100)."),
  minDuration: optional(DurationSchema, "How long the rate must hold under its bound: the step lasts this long at least, and is judged on its last this long, so fallbacks before the backfill finished stop counting once they are older (default 1d; 0: the whole step)."),
});
const RampDownStepSchema = z.strictObject({
  type: z.literal("rampDown"),
  minDuration: optional(DurationSchema, "Time the candidate serves the route alone, without fallback or dual writes, before the route is migrated (default 1d)."),
});
const StepSchema = z.discriminatedUnion("type", [ShadowStepSchema, WeightStepSchema, PauseStepSchema, DualWriteStepSchema, ReadThroughStepSchema, RampDownStepSchema]);

const GatesSchema = z.strictObject({
  confidence: optional(fraction(0.999).check(z.gte(0.8)), "Confidence of every bound (default 0.95)."),
  errorRateTolerance: optional(
    fraction(1),
    "How much higher the share of the candidate's users who met an error (5xx, cutover's 502/504) may be than the control's, as a fraction (default 0.01: one point). Fails when the lower bound of the difference is above it.",
  ),
  clientErrorRateTolerance: optional(
    fraction(1),
    "How much higher the share of the candidate's users who got a 4xx answer may be than the control's, as a fraction (default 0.05: five points). Fails when the lower bound of the difference is above it: a candidate that answers 404 where the control answers 200 fails.",
  ),
  latencyRatio: optional(
    z.strictObject({
      p95: optional(z.number().check(z.gte(1)), "Candidate p95 at most this many times the control's (default 1.5)."),
      p99: optional(z.number().check(z.gte(1)), "Candidate p99 at most this many times the control's (default 2)."),
    }),
    "Latency to the response head, candidate against control.",
  ),
  latencySlackMs: optional(z.number().check(z.gte(0)), "A candidate within this many milliseconds of the control always passes the latency gate (default 20)."),
  latencyMinSamples: optional(
    z.strictObject({
      p95: optional(z.int().check(z.gte(1)), "Requests per arm before p95 is judged (default 100)."),
      p99: optional(z.int().check(z.gte(1)), "Requests per arm before p99 is judged (default 500)."),
    }),
    "Percentiles of fewer requests are not judged.",
  ),
  maxMismatchRate: optional(fraction(1), "Noise-filtered shadow mismatches, as a fraction: the step passes when the upper bound is at most this, fails when the lower bound is above it (default 0.02)."),
  maxWriteFailureRate: optional(
    fraction(1),
    "Dual writes the candidate failed (an error, a 5xx) or answered with another status than the control, as a fraction of those copied: a dualWrite step passes when the upper bound is at most this, fails when the lower bound is above it (default 0.01).",
  ),
});

export const RolloutPlanSchema = described(
  z.strictObject({
    $schema: z.optional(z.string()),
    route: described(RouteIdSchema, "The route to move."),
    candidate: described(BackendNameSchema, "The backend it moves to."),
    control: optional(BackendNameSchema, "The backend it moves from (default: the route's backend, or its busiest one other than the candidate)."),
    steps: described(
      z.array(StepSchema).check(z.minLength(1)),
      "In order: 'dualWrite' (first), 'shadow', 'weight' steps of rising weight, 'pause'; then, for a data migration, 'readThrough' and 'rampDown' (last).",
    ),
    gates: z.optional(GatesSchema),
    onFailure: optional(
      z.enum(["rollback", "pause", "stepBack"]),
      "When a gate fails: 'rollback' (default) restores the route as it was before the rollout; 'pause' holds the current step; 'stepBack' serves the step before again and pauses there (a data migration's stages).",
    ),
    webhook: optional(
      z.string().check(z.refine((value: string) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), "must be an http(s) URL")),
      "Receives a Slack-compatible JSON message on every step, pause, failure and completion, signed with CUTOVER_WEBHOOK_SECRET (Cutover-Signature header). https to a public address only; viewers and the audit log see its origin only.",
    ),
  }),
  "A cutover rollout plan: moves one route to a candidate backend step by step, gated on evidence.",
);

export type RolloutPlanInput = z.infer<typeof RolloutPlanSchema>;
export type Step = z.infer<typeof StepSchema>;

/** Every default filled in: what the controller works with and what is stored. */
export interface RolloutPlan {
  readonly route: string;
  readonly candidate: string;
  readonly control?: string;
  readonly steps: readonly NormalizedStep[];
  readonly gates: Gates;
  readonly onFailure: "rollback" | "pause" | "stepBack";
  readonly webhook?: string;
}

export type NormalizedStep =
  | { readonly type: "shadow"; readonly minComparisons: number; readonly minDurationMs: number }
  | { readonly type: "weight"; readonly weight: number; readonly minUsers: number; readonly minDurationMs: number }
  | { readonly type: "pause"; readonly reason?: string }
  | { readonly type: "dualWrite"; readonly minWrites: number; readonly minDurationMs: number }
  | { readonly type: "readThrough"; readonly maxFallbackRate: number; readonly minRequests: number; readonly minDurationMs: number }
  | { readonly type: "rampDown"; readonly minDurationMs: number };

export interface Gates {
  readonly confidence: number;
  readonly errorRateTolerance: number;
  readonly clientErrorRateTolerance: number;
  readonly latencyRatio: { readonly p95: number; readonly p99: number };
  readonly latencySlackMs: number;
  readonly latencyMinSamples: { readonly p95: number; readonly p99: number };
  readonly maxMismatchRate: number;
  readonly maxWriteFailureRate: number;
}

export const DEFAULT_GATES: Gates = {
  confidence: 0.95,
  errorRateTolerance: 0.01,
  clientErrorRateTolerance: 0.05,
  latencyRatio: { p95: 1.5, p99: 2 },
  latencySlackMs: 20,
  latencyMinSamples: { p95: 100, p99: 500 },
  maxMismatchRate: 0.02,
  maxWriteFailureRate: 0.01,
};
export const DEFAULT_MIN_USERS = 100;
export const DEFAULT_MIN_COMPARISONS = 200;
export const DEFAULT_MIN_DURATION = "10m";
export const DEFAULT_MIN_WRITES = 100;
export const DEFAULT_MAX_FALLBACK_RATE = 0.001;
/** Read-through and ramp-down hold for a day by default: a backfill's tail and a last look. */
export const DEFAULT_STAGE_DURATION = "1d";

/** Validates a plan (its shape; the route and backends are checked against the table when it starts). */
export function validateRolloutPlan(input: unknown): Result<RolloutPlan, readonly ValidationIssue[]> {
  const parsed = RolloutPlanSchema.safeParse(input, { reportInput: true });
  if (!parsed.success) return err(describeIssues(RolloutPlanSchema, parsed.error.issues));
  const plan = parsed.data;
  const issues: ValidationIssue[] = [];
  let last = 0;
  issues.push(...stageOrderIssues(plan.steps));
  plan.steps.forEach((step, i) => {
    if (step.type !== "weight") {
      if (step.type === "shadow" && last > 0) issues.push({ path: `$.steps[${i}]`, message: "a shadow step must come before the weight steps" });
      return;
    }
    if (step.minUsers !== undefined && step.minRequests !== undefined && step.minUsers !== step.minRequests) {
      issues.push({ path: `$.steps[${i}].minRequests`, message: "is the old name of minUsers: give one of them" });
    }
    if (Math.round(step.weight * 100) !== step.weight * 100) issues.push({ path: `$.steps[${i}].weight`, message: `weight ${step.weight} is not a multiple of 0.01` });
    if (step.weight <= last) issues.push({ path: `$.steps[${i}].weight`, message: `weights must rise: ${step.weight} after ${last}` });
    last = step.weight;
  });
  const weightAt100 = plan.steps.findIndex((step) => step.type === "weight" && step.weight === 100);
  if (weightAt100 !== -1 && weightAt100 !== plan.steps.length - 1) issues.push({ path: `$.steps[${weightAt100}]`, message: "weight 100 completes the rollout: it must be the last step" });
  if (plan.control !== undefined && plan.control === plan.candidate) issues.push({ path: "$.control", message: "must differ from the candidate" });
  if (issues.length > 0) return err(issues);
  const gates = plan.gates ?? {};
  return ok({
    route: plan.route,
    candidate: plan.candidate,
    ...(plan.control !== undefined ? { control: plan.control } : {}),
    steps: plan.steps.map((step): NormalizedStep => {
      if (step.type === "pause") return step.reason === undefined ? { type: "pause" } : { type: "pause", reason: step.reason };
      if (step.type === "rampDown") return { type: "rampDown", minDurationMs: parseDuration(step.minDuration ?? DEFAULT_STAGE_DURATION) as number };
      if (step.type === "readThrough") {
        return {
          type: "readThrough",
          maxFallbackRate: step.maxFallbackRate ?? DEFAULT_MAX_FALLBACK_RATE,
          minRequests: step.minRequests ?? DEFAULT_MIN_USERS,
          minDurationMs: parseDuration(step.minDuration ?? DEFAULT_STAGE_DURATION) as number,
        };
      }
      const minDurationMs = parseDuration(step.minDuration ?? DEFAULT_MIN_DURATION) as number;
      if (step.type === "dualWrite") return { type: "dualWrite", minWrites: step.minWrites ?? DEFAULT_MIN_WRITES, minDurationMs };
      if (step.type === "shadow") return { type: "shadow", minComparisons: step.minComparisons ?? DEFAULT_MIN_COMPARISONS, minDurationMs };
      return { type: "weight", weight: step.weight, minUsers: step.minUsers ?? step.minRequests ?? DEFAULT_MIN_USERS, minDurationMs };
    }),
    gates: {
      confidence: gates.confidence ?? DEFAULT_GATES.confidence,
      errorRateTolerance: gates.errorRateTolerance ?? DEFAULT_GATES.errorRateTolerance,
      clientErrorRateTolerance: gates.clientErrorRateTolerance ?? DEFAULT_GATES.clientErrorRateTolerance,
      latencyRatio: { p95: gates.latencyRatio?.p95 ?? DEFAULT_GATES.latencyRatio.p95, p99: gates.latencyRatio?.p99 ?? DEFAULT_GATES.latencyRatio.p99 },
      latencySlackMs: gates.latencySlackMs ?? DEFAULT_GATES.latencySlackMs,
      latencyMinSamples: { p95: gates.latencyMinSamples?.p95 ?? DEFAULT_GATES.latencyMinSamples.p95, p99: gates.latencyMinSamples?.p99 ?? DEFAULT_GATES.latencyMinSamples.p99 },
      maxMismatchRate: gates.maxMismatchRate ?? DEFAULT_GATES.maxMismatchRate,
      maxWriteFailureRate: gates.maxWriteFailureRate ?? DEFAULT_GATES.maxWriteFailureRate,
    },
    onFailure: plan.onFailure ?? "rollback",
    ...(plan.webhook !== undefined ? { webhook: plan.webhook } : {}),
  });
}

/**
 * A plan as stored by an earlier cutover, read as this one's: a weight step's `minRequests` is
 * now `minUsers` (the same number), and gates added since get their defaults.
 */
export function upgradeStoredPlan(plan: RolloutPlan): RolloutPlan {
  const steps = plan.steps.map((step): NormalizedStep => {
    if (step.type !== "weight" || typeof step.minUsers === "number") return step;
    const { minRequests, ...rest } = step as typeof step & { readonly minRequests?: unknown };
    return { ...rest, minUsers: typeof minRequests === "number" ? minRequests : DEFAULT_MIN_USERS };
  });
  return { ...plan, steps, gates: { ...DEFAULT_GATES, ...plan.gates } };
}

/**
 * Where a data migration's stages may stand: `dualWrite` before anything else, `readThrough`
 * after the weight steps (instead of weight 100: the candidate takes every request, legacy
 * answers its 404s), `rampDown` last, after `readThrough`. Each at most once.
 */
function stageOrderIssues(steps: readonly Step[]): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const at = (type: Step["type"]) => steps.map((step, i) => (step.type === type ? i : -1)).filter((i) => i !== -1);
  for (const type of ["dualWrite", "readThrough", "rampDown"] as const) {
    const found = at(type);
    for (const i of found.slice(1)) issues.push({ path: `$.steps[${i}]`, message: `a plan has one ${type} step at most` });
  }
  const dualWrite = at("dualWrite")[0];
  if (dualWrite !== undefined && steps.slice(0, dualWrite).some((step) => step.type !== "pause")) issues.push({ path: `$.steps[${dualWrite}]`, message: "the dualWrite step comes first: writes are copied before anyone is moved" });
  const readThrough = at("readThrough")[0];
  const rampDown = at("rampDown")[0];
  if (readThrough !== undefined) {
    steps.forEach((step, i) => {
      if (i > readThrough && step.type !== "rampDown" && step.type !== "pause") issues.push({ path: `$.steps[${i}]`, message: "after readThrough only rampDown (or a pause) may come" });
      if (step.type === "weight" && step.weight === 100) issues.push({ path: `$.steps[${i}].weight`, message: "readThrough moves every user to the candidate: the weights before it stay under 100" });
    });
  }
  if (rampDown !== undefined) {
    if (readThrough === undefined || rampDown < readThrough) issues.push({ path: `$.steps[${rampDown}]`, message: "rampDown removes the fallback readThrough set up: it comes after a readThrough step" });
    if (rampDown !== steps.length - 1) issues.push({ path: `$.steps[${rampDown}]`, message: "rampDown completes the migration: it must be the last step" });
  }
  return issues;
}

/**
 * The story's playbook as a built-in plan (`cutover rollout start ROUTE --plan data-migration`):
 * copy writes to the new store, compare reads, move users, serve everything from the new store
 * with legacy behind it while the backfill runs, then take legacy away. A failing stage steps back one.
 */
export function dataMigrationSteps(): Step[] {
  return [
    { type: "dualWrite" },
    { type: "shadow" },
    { type: "weight", weight: 10 },
    { type: "weight", weight: 50 },
    { type: "readThrough" },
    { type: "rampDown" },
  ];
}

/** `shadow,1,10,50,100` (the CLI's --steps; `dualWrite`, `readThrough` and `rampDown` too) as plan steps; undefined when it does not read. */
export function parseStepList(text: string): Step[] | undefined {
  const steps: Step[] = [];
  for (const part of text.split(",").map((s) => s.trim())) {
    if (part === "shadow") steps.push({ type: "shadow" });
    else if (part === "pause") steps.push({ type: "pause" });
    else if (part === "dualWrite" || part === "readThrough" || part === "rampDown") steps.push({ type: part });
    else if (/^\d+(\.\d+)?%?$/.test(part)) steps.push({ type: "weight", weight: Number(part.replace("%", "")) });
    else return undefined;
  }
  // Never empty: even "" splits into one part, which reads as no step.
  return steps;
}
