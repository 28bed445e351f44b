import { describe, expect, it } from "vitest";
import { HeavyHitters } from "../../accounting/heavy-hitters.ts";
import { histogramPercentile, latencyBucket } from "../../accounting/latency-buckets.ts";
import { pathTemplate, samplePath } from "../../accounting/path-template.ts";
import { migratedShare, toSeries } from "../../accounting/series.ts";
import { suggestRoute } from "../../accounting/suggest-routes.ts";
import { validateRouteTable } from "../../routes/validate.ts";
import { countAttempt, emptyCounts, failures } from "../../accounting/traffic-counts.ts";
import { fromAttributes, toAttributes } from "../../store/traffic-attributes.ts";

describe("latency histograms", () => {
  it("read percentiles back within 5 % of the true values", () => {
    let seed = 7;
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const samples = Array.from({ length: 20_000 }, () => Math.exp(random() * 9) + random() * 3); // 1 ms … 8 s, skewed
    const histogram = new Map<number, number>();
    for (const sample of samples) histogram.set(latencyBucket(sample), (histogram.get(latencyBucket(sample)) ?? 0) + 1);
    samples.sort((a, b) => a - b);
    for (const p of [50, 95, 99]) {
      const truth = samples[Math.ceil((p / 100) * samples.length) - 1] as number;
      const read = histogramPercentile(histogram, p) as number;
      expect(Math.abs(read - truth) / truth, `p${p}: ${read} vs ${truth}`).toBeLessThanOrEqual(0.05);
    }
    expect(histogramPercentile(new Map(), 50)).toBeNull();
  });
});

describe("traffic counts", () => {
  it("count origin statuses, cutover's own answers, fallbacks by trigger and arms apart, and round-trip through DynamoDB attributes", () => {
    const counts = emptyCounts();
    countAttempt(counts, { kind: "response", status: 200 }, 12, "split", undefined);
    countAttempt(counts, { kind: "response", status: 503 }, 40, "split", undefined);
    countAttempt(counts, { kind: "proxy", status: 504 }, 10_000, "split", "timeout");
    countAttempt(counts, { kind: "proxy", status: 502 }, 3, "override", undefined);
    countAttempt(counts, { kind: "client", status: 499 }, 5_000, "split", undefined);
    expect(counts).toMatchObject({ requests: 5, fellBack: 1, status: [1, 0, 0, 1] });
    expect(Object.fromEntries(counts.proxy)).toEqual({ 499: 1, 502: 1, 504: 1 });
    expect(Object.fromEntries(counts.fallbacks)).toEqual({ timeout: 1 });
    expect(Object.fromEntries(counts.arms)).toEqual({ split: 3, override: 1 });
    // A client that stopped sending is nobody's failure.
    expect(failures(counts)).toBe(3);
    expect(fromAttributes(toAttributes(counts))).toEqual(counts);
  });
});

describe("path templates (the migration map)", () => {
  it.each([
    ["/users/123/orders/9f8e7d6c5b4a3f2e", "/users/:id/orders/:id"],
    ["/users/550e8400-e29b-41d4-a716-446655440000", "/users/:id"],
    ["/reports/2026-11-25", "/reports/:date"],
    ["/users/ada%40example.com/profile", "/users/:email/profile"],
    ["/assets/app.3f9a2b1c.js", "/assets/app.:hash.js"],
    ["/assets/logo.png", "/assets/logo.png"],
    ["/api/v2/accounts", "/api/v2/accounts"],
    ["/", "/"],
    ["/a/b/c/d/e/f/g/h/i/j", "/a/b/c/d/e/f/g/h/*"],
  ])("%s → %s", (path, template) => {
    expect(pathTemplate(path)).toBe(template);
  });

  it("stay bounded in memory under 10 000 random paths, keeping the heavy hitters", () => {
    const sketch = new HeavyHitters<null>(256, () => null);
    let seed = 3;
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (let i = 0; i < 10_000; i++) {
      // A third of the traffic on two hot endpoints, the rest on random words nobody routes.
      const path = i % 3 === 0 ? (i % 2 === 0 ? `/api/orders/${i}` : `/users/${i}/cart`) : `/${Math.floor(random() * 1e9).toString(36)}x/${Math.floor(random() * 1e9).toString(36)}y`;
      sketch.add(pathTemplate(path));
    }
    expect(sketch.size).toBe(256);
    expect(sketch.top(2).map((entry) => entry.key).sort()).toEqual(["/api/orders/:id", "/users/:id/cart"]);
  });

  it("keep Space-Saving's guarantees: counts never under, at most `error` over, every frequent key watched", () => {
    const sketch = new HeavyHitters<null>(50, () => null);
    const truth = new Map<string, number>();
    let seed = 11;
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (let i = 0; i < 20_000; i++) {
      const key = `k${Math.floor(random() ** 3 * 2000)}`; // skewed: a few keys are frequent
      const times = 1 + (i % 3);
      sketch.add(key, times);
      truth.set(key, (truth.get(key) ?? 0) + times);
    }
    const total = [...truth.values()].reduce((a, b) => a + b, 0);
    const watched = new Map(sketch.top().map((entry) => [entry.key, entry]));
    for (const entry of watched.values()) {
      expect(entry.count).toBeGreaterThanOrEqual(truth.get(entry.key) ?? 0);
      expect(entry.count - entry.error).toBeLessThanOrEqual(truth.get(entry.key) ?? 0);
    }
    for (const [key, count] of truth) if (count > total / 50) expect(watched.has(key), key).toBe(true);
    expect(sketch.top().map((entry) => entry.count)).toEqual([...sketch.top().map((entry) => entry.count)].sort((a, b) => b - a));
  });

  it("turn into a concrete path and a route suggestion", () => {
    expect(samplePath("/users/:id/orders/:id")).toBe("/users/1/orders/1");
    expect(suggestRoute("/users/:id/orders/:id", ["GET", "HEAD"], "legacy")).toEqual({ id: "users-orders", match: { path: "/users/:id/orders/:id2", methods: ["GET", "HEAD"] }, to: "legacy" });
    const twoTokens = suggestRoute("/share/:token/files/:token/:phone", ["GET"], "legacy") as { match: { path: string } };
    expect(twoTokens.match.path).toBe("/share/:token/files/:token2/:phone");
    expect(validateRouteTable({ backends: { legacy: { url: "http://127.0.0.1:1" } }, default: "legacy", routes: [twoTokens] }).ok).toBe(true);
  });
});

describe("series and the share migrated", () => {
  const cell = (period: string, backend: string, requests: number, fellBack = 0) => {
    const counts = emptyCounts();
    for (let i = 0; i < requests; i++) countAttempt(counts, { kind: "response", status: 200 }, 5, "split", i < fellBack ? "5xx" : undefined);
    return { period, backend, counts };
  };

  it("groups cells per backend into steps", () => {
    const series = toSeries([cell("2026-11-25T17:20", "legacy", 3), cell("2026-11-25T17:21", "legacy", 2), cell("2026-11-25T17:26", "new", 1)], 5 * 60_000);
    expect(series.legacy?.map((p) => [p.at, p.requests])).toEqual([["2026-11-25T17:20:00.000Z", 5]]);
    expect(series.new?.map((p) => [p.at, p.requests])).toEqual([["2026-11-25T17:25:00.000Z", 1]]);
  });

  it("is the share of served requests on any backend but the default, fallbacks counted where they were served", () => {
    const byBackend = new Map([
      ["legacy", cell("x", "legacy", 75).counts],
      ["accounts", cell("x", "accounts", 30, 5).counts],
    ]);
    expect(migratedShare(byBackend, "legacy")).toBe(0.25);
    expect(migratedShare(new Map(), "legacy")).toBeNull();
  });

  it("leaves cutover's own refusals (the '(cutover)' pseudo-backend) out of the share migrated: they reached no backend", () => {
    const byBackend = new Map([
      ["legacy", cell("x", "legacy", 75).counts],
      ["accounts", cell("x", "accounts", 25).counts],
      ["(cutover)", cell("x", "(cutover)", 900).counts],
    ]);
    expect(migratedShare(byBackend, "legacy")).toBe(0.25);
    expect(migratedShare(new Map([["(cutover)", cell("x", "(cutover)", 10).counts]]), "legacy")).toBeNull();
  });
});
