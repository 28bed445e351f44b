import * as z from "zod/mini";
import { list, openObject } from "./open-object.ts";
import { ReasonSchema } from "./reason.ts";

/** One thing that holds legacy up (migration/decommission.ts `Hold`). */
export const DecommissionHold = openObject({
  kind: z.string(),
  subject: z.string(),
  detail: z.string(),
});
export type DecommissionHold = z.infer<typeof DecommissionHold>;

/**
 * Legacy switched off (control/decommission.ts): the table version that moved the default
 * backend to the "gone" answer, the grace period in which legacy is kept warm and a rollback
 * is one command, and how legacy answered when last called.
 */
export const SwitchOffState = openObject({
  status: z.enum(["switched-off", "rolled-back"]),
  /** The legacy backend's name, as it stays in the table's backends. */
  legacy: z.string(),
  /** The backend the table's default is now (a static answer or an S3 page). */
  goneBackend: z.string(),
  at: z.string(),
  by: z.string(),
  reason: z.string(),
  /** The table version the switch-off published, and the one before it. */
  version: z.int(),
  previousVersion: z.int(),
  graceUntil: z.string(),
  /** Switched off though something still held legacy up (these), on purpose. */
  forced: z.boolean(),
  holdsAtSwitchOff: list(DecommissionHold),
  /** The last keep-warm call to legacy during the grace period. */
  lastWarm: z.optional(openObject({ at: z.string(), status: z.nullable(z.int()), error: z.optional(z.string()) })),
  rolledBack: z.optional(openObject({ at: z.string(), by: z.string(), reason: z.string(), version: z.int() })),
});
export type SwitchOffState = z.infer<typeof SwitchOffState>;

/** GET /decommission: what still holds legacy up, and the switch-off when there was one. */
export const DecommissionAnswer = openObject({
  since: z.string(),
  windowDays: z.number(),
  legacy: z.string(),
  tableVersion: z.int(),
  ready: z.boolean(),
  holds: list(DecommissionHold),
  retired: list(z.string()),
  switchOff: z.nullable(SwitchOffState),
});
export type DecommissionAnswer = z.infer<typeof DecommissionAnswer>;

/** The "gone" answer the default backend becomes (a static backend of the table). */
export const GonePage = z.strictObject({
  status: z.optional(z.int().check(z.gte(200), z.lte(599))),
  body: z.optional(z.string().check(z.maxLength(32_768))),
  contentType: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
});

/** POST /decommission/switch-off (operator, audited). */
export const SwitchOffBody = z.strictObject({
  reason: ReasonSchema,
  /** The window legacy must have been idle for, in days (default 14). */
  windowDays: z.optional(z.int().check(z.gte(1), z.lte(14))),
  /** Days legacy is kept warm and the rollback stays one command (default 14). */
  graceDays: z.optional(z.int().check(z.gte(1), z.lte(90))),
  /** The static answer (default: 410 Gone with a short page), or… */
  page: z.optional(GonePage),
  /** …a backend of the table to answer instead (an S3 page: type "s3"). */
  backend: z.optional(z.string()),
  /** Switch off though something holds legacy up (the holds are kept in the record and the audit log). */
  force: z.optional(z.boolean()),
});
export type SwitchOffBody = z.input<typeof SwitchOffBody>;

/** POST /decommission/rollback (operator, audited). */
export const DecommissionRollbackBody = z.strictObject({ reason: ReasonSchema });
export type DecommissionRollbackBody = z.input<typeof DecommissionRollbackBody>;

/** POST /decommission/switch-off and /decommission/rollback. */
export const SwitchOffAnswer = openObject({ switchOff: SwitchOffState, version: z.int(), effectiveAt: z.string() });
export type SwitchOffAnswer = z.infer<typeof SwitchOffAnswer>;
