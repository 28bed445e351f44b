import type { Hono } from "hono";
import { RouteIdSchema } from "../routes/schema.ts";
import { MAX_EXAMPLES_PER_ROUTE } from "../store/dual-write-example-store.ts";
import type { AdminEnv } from "./auth.ts";
import type { DualWriteExamplesAnswer } from "./contract/index.ts";
import type { AdminDeps } from "./deps.ts";
import { problem } from "./http.ts";

/**
 * GET /migration/examples?route=ID&limit=N: a route's examples of dual-write copies that failed
 * or disagreed with legacy's write, newest first (viewer). The route need not be in the
 * current table: its examples outlive it for 14 days.
 */
export function registerMigration(api: Hono<AdminEnv>, deps: AdminDeps): void {
  api.get("/migration/examples", async (c) => {
    const store = deps.dualWriteExamples;
    if (!store) return problem(c, 409, "no_store", "Dual-write examples need the DynamoDB store (CUTOVER_DYNAMODB_TABLE).");
    const route = c.req.query("route");
    if (route === undefined || !RouteIdSchema.safeParse(route).success) return problem(c, 400, "invalid_request", "`route` is a route's id: /migration/examples?route=accounts-write.");
    const limitText = c.req.query("limit");
    const limit = limitText === undefined ? MAX_EXAMPLES_PER_ROUTE : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_EXAMPLES_PER_ROUTE) return problem(c, 400, "invalid_request", `\`limit\` is a whole number from 1 to ${MAX_EXAMPLES_PER_ROUTE}.`);
    const answer: DualWriteExamplesAnswer = { route, examples: await store.read(route, limit) };
    return c.json(answer);
  });
}
