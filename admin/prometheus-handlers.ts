import type { Hono } from "hono";
import { prometheusFamilies, PROMETHEUS_FAMILY_NAMES, PROMETHEUS_SAMPLE_NAMES, type PrometheusInput } from "../accounting/prometheus-families.ts";
import { PROMETHEUS_CONTENT_TYPE, renderFamilies } from "../lib/prometheus-exposition.ts";
import type { AdminEnv } from "./auth.ts";
import type { AdminDeps } from "./deps.ts";
import { problem } from "./http.ts";

/** The families GET /metrics/prometheus writes, and the sample names PromQL may use (docs/grafana/ is checked against them). */
export { PROMETHEUS_FAMILY_NAMES, PROMETHEUS_SAMPLE_NAMES };

/**
 * GET /metrics/prometheus (viewer): every route's traffic today as Prometheus text
 * (docs/prometheus.md), for Prometheus, Grafana Agent / Alloy or Datadog's OpenMetrics check.
 * One strongly consistent Query of today's day partition per scrape, whatever the table's
 * size: an eventually consistent read could show a counter lower than the scrape before, and
 * Prometheus would take that for a reset and count the whole day again.
 */
export function registerPrometheus(api: Hono<AdminEnv>, deps: AdminDeps): void {
  api.get("/metrics/prometheus", async (c) => {
    const store = deps.metricsStore;
    if (!store) return problem(c, 409, "no_store", "Traffic accounting needs the DynamoDB store (CUTOVER_DYNAMODB_TABLE).");
    const today = new Date(deps.now()).toISOString().slice(0, 10);
    const [cells, table] = await Promise.all([store.hours(today, undefined, { consistent: true }), activeTable(deps)]);
    return c.body(renderFamilies(prometheusFamilies({ cells, table })), 200, { "content-type": PROMETHEUS_CONTENT_TYPE });
  });
}

/** The active table's version and default backend; undefined while there is none (the traffic is still worth scraping). */
async function activeTable(deps: AdminDeps): Promise<PrometheusInput["table"]> {
  try {
    const active = await deps.source.getActive();
    return { version: active.version, defaultBackend: active.table.default };
  } catch {
    return undefined;
  }
}
