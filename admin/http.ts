import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type * as z from "zod/mini";
import { checkWith, issuesText, type Problem } from "./contract/index.ts";

/** Every admin error: a status, a stable code for scripts, and a sentence for people. */
export function problem(c: Context, status: ContentfulStatusCode, error: string, message: string, extra: Record<string, unknown> = {}): Response {
  const answer: Problem = { error, message, ...extra };
  return c.json(answer, status, { "cache-control": "no-store" });
}

/** A JSON body checked by `schema`, or the 400 response that says which field is wrong and why. */
export async function readBody<S extends z.ZodMiniType>(c: Context, schema: S): Promise<{ ok: true; value: z.infer<S> } | { ok: false; response: Response }> {
  let input: unknown;
  try {
    input = await c.req.json();
  } catch {
    return { ok: false, response: problem(c, 400, "invalid_json", "The request body is not valid JSON.") };
  }
  const checked = checkWith(schema, input);
  if (checked.ok) return { ok: true, value: checked.value };
  return { ok: false, response: problem(c, 400, "invalid_request", `The request body is not valid: ${issuesText(checked.error)}`, { issues: checked.error }) };
}

/** `If-Match: "42"`, `W/"42"` or `42` → 42; undefined when absent or not a version. */
export function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const match = /^(?:W\/)?"?(\d{1,12})"?$/.exec(header.trim());
  return match ? Number(match[1]) : undefined;
}
