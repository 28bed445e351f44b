import type { Hono } from "hono";
import { buildShadowReport, DEFAULT_REPORT_OPTIONS, type ReportOptions } from "../compare/shadow-report.ts";
import type { AdminDeps } from "./deps.ts";
import type { AdminEnv } from "./auth.ts";
import { problem } from "./http.ts";

/** GET /shadow: every shadowed route's match rate and verdict; `?route=ID`: one route's report. */
export function registerShadow(api: Hono<AdminEnv>, deps: AdminDeps): void {
  api.get("/shadow", async (c) => {
    const shadowStore = deps.shadowStore;
    if (!shadowStore) return problem(c, 409, "no_store", "Shadow reports need the DynamoDB store (CUTOVER_DYNAMODB_TABLE).");
    const options = reportOptions(c.req.query("minComparisons"), c.req.query("threshold"));
    const route = c.req.query("route");
    if (route !== undefined) {
      const report = buildShadowReport(route, await shadowStore.read(route), options);
      const known = (await deps.source.getActive()).table.routes.some((r) => r.id === route);
      if (!known && report.compared + report.candidateErrors === 0) return problem(c, 404, "unknown_route", `No route '${route}' and no shadow data for it.`);
      return c.json({ ...report, options });
    }
    const active = await deps.source.getActive();
    const shadowed = active.table.routes.filter((r) => r.shadow !== undefined);
    const reports = await Promise.all(
      shadowed.map(async (r) => {
        const report = buildShadowReport(r.id, await shadowStore.read(r.id), options);
        return {
          route: r.id,
          shadowTo: r.shadow?.to,
          compared: report.compared,
          matchRate: report.matchRate,
          candidateErrors: report.candidateErrors,
          topDifference: report.differences[0]?.field ?? null,
          verdict: report.verdict,
        };
      }),
    );
    return c.json({ version: active.version, options, routes: reports });
  });
}

function reportOptions(minComparisons: string | undefined, threshold: string | undefined): ReportOptions {
  const min = Number(minComparisons);
  const rate = Number(threshold);
  return {
    ...DEFAULT_REPORT_OPTIONS,
    minComparisons: minComparisons !== undefined && Number.isInteger(min) && min >= 0 ? min : DEFAULT_REPORT_OPTIONS.minComparisons,
    threshold: threshold !== undefined && Number.isFinite(rate) && rate >= 0 && rate <= 100 ? rate : DEFAULT_REPORT_OPTIONS.threshold,
  };
}
