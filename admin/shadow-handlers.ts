import { findRoute } from "../routes/table-lines.ts";
import type { Context, Hono } from "hono";
import { parseDuration } from "../accounting/series.ts";
import { buildShadowReport, DEFAULT_REPORT_OPTIONS, type ReportOptions } from "../compare/shadow-report.ts";
import { shadowEpoch, shadowStatsId } from "../routes/shadow-epoch.ts";
import type { Route, RouteTable } from "../routes/schema.ts";
import type { AdminEnv } from "./auth.ts";
import type { AdminDeps } from "./deps.ts";
import { problem, readBody } from "./http.ts";
import { publishRouteChange } from "../control/publish.ts";
import { ShadowResetBody, type ShadowListingAnswer, type ShadowReportAnswer, type ShadowResetAnswer } from "./contract/index.ts";
import { failed, unknownRoute } from "./route-handlers.ts";

/**
 * GET /shadow: every shadowed route's match rate and verdict; `?route=ID`: one route's
 * report. Both read the route's current shadow epoch (routes/shadow-epoch.ts), all of it or
 * the last hours (`since=2h`). POST /shadow/:route/reset starts a new epoch.
 */
export function registerShadow(api: Hono<AdminEnv>, deps: AdminDeps): void {
  api.get("/shadow", async (c) => {
    const shadowStore = deps.shadowStore;
    if (!shadowStore) return noStore(c);
    const options = reportOptions(c.req.query("minComparisons"), c.req.query("threshold"));
    const sinceText = c.req.query("since");
    const window = sinceText === undefined ? undefined : parseDuration(sinceText);
    if (sinceText !== undefined && window === undefined) return problem(c, 400, "invalid_request", "`since` is a duration such as 30m, 2h or 7d.");
    const since = window === undefined ? undefined : new Date(deps.now() - window).toISOString();
    const active = await deps.source.getActive();
    const read = (route: Route) => {
      const epoch = shadowEpoch(active.table, route) as string;
      return shadowStore.read(shadowStatsId(route.id, epoch), since === undefined ? {} : { since }).then((stats) => ({ epoch, stats }));
    };
    const routeId = c.req.query("route");
    if (routeId !== undefined) {
      const route = findRoute(active.table, routeId);
      if (route === undefined) return unknownRoute(c, routeId, active);
      if (route.shadow === undefined) return problem(c, 404, "no_shadow", `Route '${routeId}' has no shadow in version ${active.version}: add "shadow": { "to": "<backend>" } to it.`);
      const { epoch, stats } = await read(route);
      const report: ShadowReportAnswer = { ...buildShadowReport(routeId, stats, options), shadowTo: route.shadow.to, epoch, window: since === undefined ? "epoch" : { since }, options };
      return c.json(report);
    }
    const shadowed = active.table.routes.flatMap((r) => (r.shadow === undefined ? [] : [{ route: r, shadowTo: r.shadow.to }]));
    const reports = await Promise.all(
      shadowed.map(async ({ route: r, shadowTo }) => {
        const { epoch, stats } = await read(r);
        const report = buildShadowReport(r.id, stats, options);
        return {
          route: r.id,
          shadowTo,
          epoch,
          compared: report.compared,
          matchRate: report.matchRate,
          candidateErrors: report.candidateErrors,
          topDifference: report.differences[0]?.field ?? null,
          headersDiffering: report.headers.length,
          firstAt: report.firstAt,
          verdict: report.verdict,
        };
      }),
    );
    const answer: ShadowListingAnswer = { version: active.version, window: since === undefined ? "epoch" : { since }, options, routes: reports };
    return c.json(answer);
  });

  api.post("/shadow/:route/reset", async (c) => {
    const store = deps.store;
    if (!store) return noStore(c);
    const body = await readBody(c, ShadowResetBody);
    if (!body.ok) return body.response;
    const routeId = c.req.param("route");
    const outcome = await publishRouteChange(
      { store, accept: (published) => deps.cache.accept(published) },
      {
        routeId,
        change: (route) => (route.shadow === undefined ? { code: "no_shadow", message: `Route '${routeId}' has no shadow: there is nothing to reset.` } : { ...route, shadow: { ...route.shadow, epoch: (route.shadow.epoch ?? 0) + 1 } }),
        author: c.get("principal").name,
        reason: body.value.reason,
        action: "shadow-reset",
        delayMs: deps.propagationMs,
      },
    );
    if (!outcome.ok) return failed(c, store, outcome);
    // The route has a shadow (the change refuses one without), so it has an epoch.
    const epoch = shadowEpoch(outcome.published.table as RouteTable, outcome.result.after) as string;
    const answer: ShadowResetAnswer = { version: outcome.published.version, route: routeId, epoch, effectiveAt: outcome.published.info?.effectiveAt ?? null };
    return c.json(answer);
  });
}

function noStore(c: Context): Response {
  return problem(c, 409, "no_store", "Shadow reports need the DynamoDB store (CUTOVER_DYNAMODB_TABLE).");
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
