import * as z from "zod/mini";
import { list, openObject } from "./open-object.ts";
import { ReasonSchema } from "./reason.ts";

/** POST /tokens: a stored admin token. */
export const CreateTokenBody = z.strictObject({
  name: z.string().check(z.trim(), z.minLength(1, "is required: who or what holds the token"), z.maxLength(100)),
  role: z.enum(["viewer", "operator"], "must be 'viewer' or 'operator'"),
  /** Days until it stops working. */
  expiresInDays: z.number().check(z.positive("must be a positive number of days")),
  reason: ReasonSchema,
});
export type CreateTokenBody = z.input<typeof CreateTokenBody>;

/** DELETE /tokens/:id and DELETE /overrides/:id. */
export const RevokeTokenBody = z.strictObject({ reason: ReasonSchema });
export type RevokeTokenBody = z.input<typeof RevokeTokenBody>;

/** POST /overrides: a tester override. */
export const MintOverrideBody = z.strictObject({
  backend: z.string().check(z.minLength(1, "is required: the backend to force")),
  /** Only on this route; absent: on every route that names the backend. */
  route: z.optional(z.string().check(z.minLength(1))),
  ttlSeconds: z.int().check(z.positive("must be a positive number of seconds")),
  reason: ReasonSchema,
});
export type MintOverrideBody = z.input<typeof MintOverrideBody>;

/** A stored admin token, never its value (store/token-store.ts `StoredToken`). */
export const StoredToken = openObject({
  /** The first 12 hex digits of its hash: enough to name it, useless to sign in with. */
  id: z.string(),
  name: z.string(),
  /** viewer or operator. */
  role: z.string(),
  createdAt: z.string(),
  createdBy: z.string(),
  expiresAt: z.string(),
  revokedAt: z.optional(z.string()),
});
export type StoredToken = z.infer<typeof StoredToken>;

/** GET /tokens. */
export const TokensAnswer = openObject({ tokens: list(StoredToken) });
export type TokensAnswer = z.infer<typeof TokensAnswer>;

/** POST /tokens: the token, with its value (in this answer only). */
export const CreatedToken = z.extend(StoredToken, { token: z.string() });
export type CreatedToken = z.infer<typeof CreatedToken>;

/** POST /overrides: the override token and the id that revokes it. */
export const OverrideAnswer = openObject({
  token: z.string(),
  id: z.string(),
  backend: z.string(),
  route: z.nullable(z.string()),
  expiresAt: z.string(),
  /** Said when the server shortened the lifetime asked for. */
  note: z.optional(z.string()),
});
export type OverrideAnswer = z.infer<typeof OverrideAnswer>;

/** DELETE /overrides/:id: every isolate refuses it within `propagationMs`, until `revokedUntil`. */
export const OverrideRevokedAnswer = openObject({ id: z.string(), revokedUntil: z.string(), propagationMs: z.number() });
export type OverrideRevokedAnswer = z.infer<typeof OverrideRevokedAnswer>;
