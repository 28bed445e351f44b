import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { describe, expect, it } from "vitest";
import { countDualWrite } from "../../accounting/dual-write-counts.ts";
import { bucketUpperBoundMs, latencyBucket, LATENCY_BUCKETS } from "../../accounting/latency-buckets.ts";
import { FALLBACK_TRIGGERS, leLabel, prometheusFamilies, PROMETHEUS_FAMILY_NAMES, type RouteBackendCounts } from "../../accounting/prometheus-families.ts";
import { countAttempt, emptyCounts, type TrafficCounts } from "../../accounting/traffic-counts.ts";
import { escapeLabelValue, renderFamilies } from "../../lib/prometheus-exposition.ts";
import { routeTableJsonSchema } from "../../routes/json-schema.ts";
import { readExposition } from "../support/prometheus-scrape.ts";

/** Counts of attempts answered 200 after these many ms. */
function answered(...latencies: number[]): TrafficCounts {
  const counts = emptyCounts();
  for (const ms of latencies) countAttempt(counts, { kind: "response", status: 200 }, ms, "single", undefined);
  return counts;
}

const render = (cells: RouteBackendCounts[], table = { version: 7, defaultBackend: "legacy" }) => renderFamilies(prometheusFamilies({ cells, table }));

/** The histogram's series, each with its labels. */
function histogramLines(text: string) {
  const { series } = readExposition(text);
  return { buckets: series("cutover_request_duration_seconds_bucket"), counts: series("cutover_request_duration_seconds_count") };
}

describe("Prometheus families of today's hour cells", () => {
  it("writes every family with HELP and TYPE, counters summed over the hour cells of each route and backend", () => {
    const failing = emptyCounts();
    countAttempt(failing, { kind: "response", status: 503 }, 30, "split", "5xx");
    countAttempt(failing, { kind: "proxy", status: 502 }, 2, "split", undefined);
    const text = render([
      { route: "orders", backend: "legacy", counts: answered(10, 20) },
      { route: "orders", backend: "legacy", counts: answered(30) }, // another hour
      { route: "orders", backend: "new", counts: failing },
    ]);
    const families = parsePrometheusTextFormat(text);
    expect(families.map((f) => f.name)).toEqual([...PROMETHEUS_FAMILY_NAMES]);
    for (const family of families) {
      expect(family.help, family.name).not.toBe("");
      expect(family.type, family.name).not.toBe("UNTYPED");
    }
    const value = (name: string, labels: Record<string, string>) => families.find((f) => f.name === name)?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))?.value;
    expect(value("cutover_requests_total", { route: "orders", backend: "legacy" })).toBe("3");
    expect(value("cutover_requests_total", { route: "orders", backend: "new" })).toBe("2");
    expect(value("cutover_served_total", { route: "orders", backend: "new" })).toBe("1");
    expect(value("cutover_responses_total", { route: "orders", backend: "new", class: "5xx" })).toBe("1");
    expect(value("cutover_responses_total", { route: "orders", backend: "new", class: "2xx" })).toBe("0");
    expect(value("cutover_proxy_errors_total", { route: "orders", backend: "new", status: "502" })).toBe("1");
    // Written at zero too, so that the first error of the day is an increase Prometheus sees.
    expect(value("cutover_proxy_errors_total", { route: "orders", backend: "legacy", status: "504" })).toBe("0");
    expect(value("cutover_fallbacks_total", { route: "orders", backend: "new", trigger: "5xx" })).toBe("1");
    expect(value("cutover_table_version", {})).toBe("7");
    expect(value("cutover_info", { default_backend: "legacy" })).toBe("1");
    // No copies counted: no dual-write series.
    expect(families.find((f) => f.name === "cutover_dual_write_copies_total")?.metrics).toEqual([]);
  });

  it("makes the latency buckets cumulative at exact stored bounds, +Inf and _count the same", () => {
    // 1 ms, a bound exactly, just past it, 100 ms, and past the last exposed bound (into +Inf only).
    const latencies = [0.5, 1, bucketUpperBoundMs(4), bucketUpperBoundMs(4) + 0.01, 100, 70_000, 200_000];
    const { buckets, counts } = histogramLines(render([{ route: "r", backend: "b", counts: answered(...latencies) }]));
    expect(counts).toEqual([{ labels: { route: "r", backend: "b" }, value: latencies.length }]);
    expect(buckets.at(-1)).toEqual({ labels: { route: "r", backend: "b", le: "+Inf" }, value: latencies.length });
    expect(buckets.length).toBeGreaterThan(20);
    let previous = 0;
    for (const bucket of buckets.slice(0, -1)) {
      expect(bucket.value).toBeGreaterThanOrEqual(previous);
      previous = bucket.value;
      // Each bound is a stored bucket's upper bound: exactly the latencies at or under it.
      const stored = Array.from({ length: LATENCY_BUCKETS }, (_, i) => i).find((i) => leLabel(i) === bucket.labels.le) as number;
      expect(stored, bucket.labels.le).toBeDefined();
      expect(bucket.value, bucket.labels.le).toBe(latencies.filter((ms) => latencyBucket(ms) <= stored).length);
    }
    expect(buckets.find((b) => b.labels.le === "0.001")?.value).toBe(2);
    expect(buckets.find((b) => b.labels.le === leLabel(4))?.value).toBe(3);
    expect(previous).toBe(latencies.length - 2);
  });

  it("writes dual-write copies, agreement and writes not copied only where copies were counted", () => {
    const counts = emptyCounts();
    countDualWrite(counts.dualWrite, { kind: "copied", legacyStatus: 201, candidate: { kind: "response", status: 201 } });
    countDualWrite(counts.dualWrite, { kind: "copied", legacyStatus: 201, candidate: { kind: "response", status: 422 } });
    countDualWrite(counts.dualWrite, { kind: "copied", legacyStatus: 201, candidate: { kind: "timeout" } });
    countDualWrite(counts.dualWrite, { kind: "not_copied", reason: "too_large" });
    const families = parsePrometheusTextFormat(render([{ route: "signup", backend: "users-api", counts }, { route: "signup", backend: "legacy", counts: answered(5) }]));
    const series = (name: string) => (families.find((f) => f.name === name)?.metrics ?? []).map((m) => `${m.labels?.backend} ${Object.values(m.labels ?? {}).at(-1)} ${m.value}`);
    expect(series("cutover_dual_write_copies_total")).toEqual(["users-api succeeded 1", "users-api rejected 1", "users-api failed 1"]);
    expect(series("cutover_dual_write_agreement_total")).toEqual(["users-api agreed 1", "users-api disagreed 1"]);
    expect(series("cutover_dual_write_not_copied_total")).toContain("users-api too_large 1");
    expect(series("cutover_dual_write_not_copied_total")).toContain("users-api over_budget 0");
  });

  it("escapes label values as the format says, and a parser reads them back", () => {
    const awkward = 'a "quoted" back\\slash and a\nline feed';
    expect(escapeLabelValue(awkward)).toBe('a \\"quoted\\" back\\\\slash and a\\nline feed');
    const families = parsePrometheusTextFormat(render([{ route: awkward, backend: "(cutover)", counts: answered(1) }]));
    expect(families.find((f) => f.name === "cutover_requests_total")?.metrics[0]?.labels).toEqual({ route: awkward, backend: "(cutover)" });
  });

  it("writes only HELP and TYPE without traffic or a table", () => {
    const text = renderFamilies(prometheusFamilies({ cells: [], table: undefined }));
    expect(text.split("\n").filter((line) => line !== "" && !line.startsWith("# "))).toEqual([]);
    expect(parsePrometheusTextFormat(text).map((f) => f.name)).toEqual([...PROMETHEUS_FAMILY_NAMES]);
  });

  it("writes every fallback trigger the route table knows", () => {
    const triggers = /"on":\{[^}]*"enum":(\[[^\]]*\])/.exec(JSON.stringify(routeTableJsonSchema()))?.[1];
    expect(JSON.parse(triggers ?? "[]").sort()).toEqual([...FALLBACK_TRIGGERS].sort());
  });
});
