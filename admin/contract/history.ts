import * as z from "zod/mini";
import { list, openObject } from "./open-object.ts";
import { RoutesAnswer, VersionInfo } from "./routes.ts";

/** GET /versions: versions that served, newest first, and the numbers between them that never did. */
export const VersionsAnswer = openObject({
  activeVersion: z.int(),
  versions: list(z.extend(VersionInfo, { active: z.boolean() })),
  skipped: list(openObject({ version: z.int(), reason: z.string() })),
});
export type VersionsAnswer = z.infer<typeof VersionsAnswer>;
export type VersionRow = VersionsAnswer["versions"][number];

/** GET /versions/:n: one version, with its table. */
export const VersionAnswer = RoutesAnswer;
export type VersionAnswer = RoutesAnswer;

/** One change: who, when, why, before and after (store/route-store.ts `AuditEntry`). */
export const AuditEntry = openObject({
  id: z.string(),
  at: z.string(),
  actor: z.string(),
  /** apply, weights, rollback, token-create, override, rollout-start, … */
  action: z.string(),
  reason: z.string(),
  before: z.optional(z.int()),
  after: z.optional(z.int()),
  details: z.optional(z.record(z.string(), z.unknown())),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

/** GET /audit: newest first. */
export const AuditAnswer = openObject({ entries: list(AuditEntry) });
export type AuditAnswer = z.infer<typeof AuditAnswer>;
