import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { countDualWrite } from "../../accounting/dual-write-counts.ts";
import { prometheusFamilies } from "../../accounting/prometheus-families.ts";
import { countAttempt, emptyCounts } from "../../accounting/traffic-counts.ts";
import { PROMETHEUS_SAMPLE_NAMES } from "../../admin/prometheus-handlers.ts";
import { renderFamilies } from "../../lib/prometheus-exposition.ts";
import { readExposition } from "../support/prometheus-scrape.ts";

interface Target {
  readonly expr?: string;
  readonly legendFormat?: string;
  readonly datasource?: { readonly uid?: string };
}
interface Panel {
  readonly title: string;
  readonly type: string;
  readonly targets?: readonly Target[];
  readonly panels?: readonly Panel[];
  readonly datasource?: { readonly uid?: string };
}
interface Dashboard {
  readonly schemaVersion: number;
  readonly panels: readonly Panel[];
  readonly templating: { readonly list: readonly { name: string; type: string; query?: unknown; definition?: string; datasource?: { uid?: string } }[] };
}

const dashboard = JSON.parse(readFileSync(new URL("../../docs/grafana/cutover-dashboard.json", import.meta.url), "utf8")) as Dashboard;
const panels = (list: readonly Panel[]): Panel[] => list.flatMap((panel) => [panel, ...panels(panel.panels ?? [])]);
const queried = panels(dashboard.panels).filter((panel) => panel.type !== "row");

/** The label names the endpoint writes, read from a scrape of every kind of series. */
function exposedLabels(): Set<string> {
  const counts = emptyCounts();
  countAttempt(counts, { kind: "proxy", status: 502 }, 5, "split", "error");
  countDualWrite(counts.dualWrite, { kind: "not_copied", reason: "too_large" });
  const text = renderFamilies(prometheusFamilies({ cells: [{ route: "r", backend: "b", counts }], table: { version: 1, defaultBackend: "b" } }));
  const { series } = readExposition(text);
  return new Set(PROMETHEUS_SAMPLE_NAMES.flatMap((name) => series(name).flatMap((sample) => Object.keys(sample.labels))));
}

/** What a PromQL expression refers to: metric names, label names in matchers and in by/without clauses. */
function references(expr: string): { metrics: string[]; labels: string[] } {
  const metrics = [...expr.matchAll(/\b(cutover_\w+)/g)].map((match) => match[1] as string);
  const matchers = [...expr.matchAll(/\{([^}]*)\}/g)].flatMap((match) => [...(match[1] as string).matchAll(/(\w+)\s*(?:=~|!~|!=|=)\s*"/g)].map((m) => m[1] as string));
  const grouping = [...expr.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)].flatMap((match) => (match[1] as string).split(",").map((label) => label.trim()));
  return { metrics, labels: [...matchers, ...grouping] };
}

describe("docs/grafana/cutover-dashboard.json", () => {
  const labels = exposedLabels();

  it("is a Grafana dashboard of schema 39 or so, on a Prometheus data source chosen by a variable", () => {
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    const variables = Object.fromEntries(dashboard.templating.list.map((variable) => [variable.name, variable]));
    expect(variables.datasource).toMatchObject({ type: "datasource", query: "prometheus" });
    expect(variables.route?.definition).toMatch(/^label_values\(cutover_\w+.*, route\)$/);
    expect(variables.backend?.definition).toMatch(/^label_values\(cutover_\w+.*, backend\)$/);
    for (const variable of dashboard.templating.list.filter((v) => v.type === "query")) expect(variable.datasource?.uid, variable.name).toBe("${datasource}");
  });

  it("queries in every panel, through the data source variable", () => {
    expect(queried.length).toBeGreaterThanOrEqual(5);
    for (const panel of queried) {
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) {
        expect(target.expr, panel.title).toMatch(/\S/);
        expect(target.datasource?.uid ?? panel.datasource?.uid, panel.title).toBe("${datasource}");
      }
    }
  });

  it("uses only metric and label names the Prometheus endpoint writes", () => {
    const exprs = [
      ...queried.flatMap((panel) => (panel.targets ?? []).map((target) => ({ where: panel.title, expr: target.expr ?? "", legend: target.legendFormat ?? "" }))),
      ...dashboard.templating.list.filter((v) => v.definition !== undefined).map((v) => ({ where: `$${v.name}`, expr: v.definition as string, legend: "" })),
    ];
    for (const { where, expr, legend } of exprs) {
      const used = references(expr);
      expect(used.metrics.length, `${where}: ${expr}`).toBeGreaterThan(0);
      for (const metric of used.metrics) expect(PROMETHEUS_SAMPLE_NAMES, `${where}: ${metric}`).toContain(metric);
      for (const label of used.labels) expect([...labels], `${where}: label ${label}`).toContain(label);
      for (const [, label] of legend.matchAll(/\{\{\s*(\w+)\s*\}\}/g)) expect([...labels], `${where}: legend {{${label}}}`).toContain(label);
      // A label_values() variable's label, too.
      const variableLabel = /^label_values\(.*,\s*(\w+)\)$/.exec(expr)?.[1];
      if (variableLabel !== undefined) expect([...labels], where).toContain(variableLabel);
    }
  });

  it("has the panels the issue asks for: requests per second, error ratio, p95/p99, fallbacks, share on new backends", () => {
    const all = queried.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr ?? ""));
    expect(all.some((expr) => /rate\(cutover_requests_total\{[^}]*\}\[5m\]\)/.test(expr))).toBe(true);
    expect(all.some((expr) => expr.includes('class="5xx"') && expr.includes("cutover_proxy_errors_total") && expr.includes("/ sum by (route, backend) (rate(cutover_requests_total"))).toBe(true);
    expect(all.some((expr) => expr.startsWith("histogram_quantile(0.95, ") && expr.includes("cutover_request_duration_seconds_bucket"))).toBe(true);
    expect(all.some((expr) => expr.startsWith("histogram_quantile(0.99, ") && expr.includes("cutover_request_duration_seconds_bucket"))).toBe(true);
    expect(all.some((expr) => expr.includes("rate(cutover_fallbacks_total"))).toBe(true);
    expect(all.some((expr) => expr.includes('backend!="$legacy"') && expr.includes("cutover_served_total"))).toBe(true);
  });
});
