import * as z from "zod/mini";
import { parsePattern } from "../routes/path-pattern.ts";

/** Endpoints in one import at most: a large Rails app has a few thousand routes. */
export const MAX_ENDPOINTS = 20_000;

const text = (max: number) => z.string().check(z.maxLength(max));

/**
 * One legacy endpoint as it crosses a process or is read back from the store (legacy-endpoint.ts
 * `LegacyEndpoint`): the admin API checks an import with it, the store each stored endpoint.
 */
export const LegacyEndpointSchema = z.strictObject({
  method: z.string().check(z.regex(/^(\*|[A-Z]{1,20})$/, "is an upper-case method or *")),
  pattern: z.string().check(
    z.maxLength(1000),
    z.refine((pattern) => parsePattern(pattern).ok, "is not a cutover path pattern (literal segments, :param, a trailing *)"),
  ),
  source: text(2000),
  action: text(2000),
  kind: z.enum(["action", "redirect", "mount", "app"]),
  name: z.optional(text(500)),
  constraints: z.optional(text(2000)),
  engine: z.optional(text(500)),
  format: z.optional(z.boolean()),
});

export const LegacyEndpointsSchema = z.array(LegacyEndpointSchema).check(z.maxLength(MAX_ENDPOINTS));
