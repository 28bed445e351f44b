import type { Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type * as z from "zod/mini";
import { parseDuration } from "../accounting/series.ts";
import { setPrices, storedPrices } from "../control/prices.ts";
import type { AdminEnv } from "./auth.ts";
import { issuesText, PutPricesBody, RoutesAnswer, type CostAnswer, type PricesAnswer, type Problem } from "./contract/index.ts";
import { inProcessApi } from "./dashboard/in-process-api.ts";
import type { AdminDeps } from "./deps.ts";
import { problem, readBody } from "./http.ts";
import { measuredCost } from "./measured-cost.ts";

const DAY = 86_400_000;

/** A refusal of an in-process read, carried out of `measuredCost` to be answered as it was. */
class ReadRefused extends Error {
  readonly status: number;
  readonly problem: Problem;
  constructor(status: number, refusal: Problem) {
    super(refusal.message);
    this.status = status;
    this.problem = refusal;
  }
}

/**
 * GET /settings/prices (viewer), PUT /settings/prices (operator, audited): the prices cost is
 * estimated with (cost/prices.ts). GET /cost (viewer): the same report as `cutover cost`, from
 * the stored prices and measured traffic (admin/measured-cost.ts).
 */
export function registerCost(api: Hono<AdminEnv>, deps: AdminDeps): void {
  const calls = inProcessApi(api);
  const noStore = (c: Context) => problem(c, 409, "no_store", "Prices and cost need the DynamoDB store (CUTOVER_DYNAMODB_TABLE).");
  const noPrices = (c: Context) => problem(c, 404, "no_prices", "No prices are stored yet: `cutover cost prices set prices.json --reason …` (docs/prices.example.json is a start).");

  api.get("/settings/prices", async (c) => {
    if (!deps.settings) return noStore(c);
    const stored = await storedPrices(deps.settings);
    if (!stored) return noPrices(c);
    const answer: PricesAnswer = stored;
    return c.json(answer);
  });

  api.put("/settings/prices", async (c) => {
    if (!deps.settings || !deps.store) return noStore(c);
    const body = await readBody(c, PutPricesBody);
    if (!body.ok) return body.response;
    const outcome = await setPrices(
      { settings: deps.settings, store: deps.store, now: deps.now },
      { input: body.value.prices, actor: c.get("principal").name, reason: body.value.reason, ...(body.value.expectedRevision === undefined ? {} : { expectedRevision: body.value.expectedRevision }) },
    );
    if (!outcome.ok) {
      const refusal = outcome.error;
      if (refusal.code === "invalid_prices") {
        const issues = refusal.issues.map((issue) => ({ ...issue, path: issue.path.replace(/^\$/, "$.prices") }));
        return problem(c, 400, "invalid_prices", `The prices are not valid: ${issuesText(issues)}`, { issues });
      }
      return problem(c, 412, "stale_revision", `The prices changed meanwhile (revision ${refusal.revision} now): read them again.`, { revision: refusal.revision });
    }
    const answer: PricesAnswer = outcome.value;
    return c.json(answer);
  });

  api.get("/cost", async (c) => {
    if (!deps.settings) return noStore(c);
    const since = c.req.query("since") ?? "14d";
    const window = parseDuration(since);
    if (window === undefined || window < DAY / 24 || window > 14 * DAY) return problem(c, 400, "invalid_request", "`since` is a duration from 1h to 14d, such as 7d.");
    const stored = await storedPrices(deps.settings);
    if (!stored) return noPrices(c);
    const principal = c.get("principal");
    const read = async <S extends z.ZodMiniType>(path: string, schema: S): Promise<z.infer<S>> => {
      const answer = await calls.call(c, principal, "GET", path, schema);
      if (!answer.ok) throw new ReadRefused(answer.status, answer.problem);
      return answer.value;
    };
    const move = (c.req.query("move") ?? "").split(",").map((route) => route.trim()).filter(Boolean);
    try {
      const report = await measuredCost(
        {
          get: read,
          getRoutes: () =>
            read("/routes", RoutesAnswer).catch((error: unknown) => {
              if (error instanceof ReadRefused && error.problem.error === "no_table") return undefined;
              throw error;
            }),
        },
        stored.prices,
        since,
        move,
      );
      const answer: CostAnswer = { ...report, prices: { revision: stored.revision, updatedAt: stored.updatedAt, updatedBy: stored.updatedBy } };
      return c.json(answer);
    } catch (error) {
      if (error instanceof ReadRefused) return c.json(error.problem, error.status as ContentfulStatusCode, { "cache-control": "no-store" });
      throw error;
    }
  });
}
