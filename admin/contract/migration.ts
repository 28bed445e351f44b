import * as z from "zod/mini";
import { list, openObject } from "./open-object.ts";

/**
 * One dual-write copy that failed or disagreed with legacy's write (store/dual-write-example-store.ts
 * `DualWriteExample`): the request it copied, never its body.
 */
export const DualWriteExample = openObject({
  /** When the copy's outcome was known (ISO time). */
  at: z.string(),
  route: z.string(),
  /** The route table version that planned the write. */
  version: z.nullable(z.number()),
  /** The new backend that got the copy (`dualWrite.to`). */
  candidate: z.string(),
  /** `failed`: no answer, or 5xx; `disagreed`: it answered another status than legacy. */
  outcome: z.enum(["failed", "disagreed"]),
  method: z.string(),
  /** Path and query, token-like segments and secret parameter values redacted. */
  path: z.string(),
  /** cutover's request id, as the `dual_write_failed` / `dual_write_disagreed` log lines carry it. */
  requestId: z.string(),
  legacyStatus: z.number(),
  /** The new backend's status; null when it gave none. */
  candidateStatus: z.nullable(z.number()),
  /** Why there was no answer: `timeout`, `error: <message>`, `refused: <why>`; null with an answer. */
  candidateError: z.nullable(z.string()),
  /** The Idempotency-Key the copy carried. */
  idempotencyKey: z.nullable(z.string()),
  /** The id legacy gave the record (X-Cutover-Legacy-Id); null when its answer had none. */
  legacyId: z.nullable(z.string()),
  /** The first 512 bytes of the new backend's answer, redacted; null without one. */
  candidateBody: z.nullable(z.string()),
});
export type DualWriteExample = z.infer<typeof DualWriteExample>;

/** GET /migration/examples?route=ID: a route's newest examples (at most 20 are kept), newest first. */
export const DualWriteExamplesAnswer = openObject({ route: z.string(), examples: list(DualWriteExample) });
export type DualWriteExamplesAnswer = z.infer<typeof DualWriteExamplesAnswer>;
