import * as z from "zod/mini";
import { list, openObject } from "./open-object.ts";

/** One reason an input was refused: where (a JSON path such as `$.routes[1].to`) and why. */
export const IssueSchema = openObject({ path: z.string(), message: z.string() });

/**
 * Every refusal and failure of the admin API (any status but 2xx): a stable code for
 * scripts, a sentence for people, and what the code adds (`issues`; `activeVersion`,
 * `basedOn` and `changesSince` for `stale_version`, …).
 */
export const Problem = openObject({
  error: z.string().check(z.describe("stable code: stale_version, invalid_table, unknown_route, store_timeout, …")),
  message: z.string().check(z.describe("what went wrong and what to do")),
  issues: z.optional(list(IssueSchema)),
});
export type Problem = z.infer<typeof Problem>;
