import { describe, expect, it } from "vitest";
import { emptyDualWriteCounts } from "../../accounting/dual-write-counts.ts";
import { countEvidence, emptyEvidence, evidenceOutcome, mergeEvidence } from "../../accounting/evidence-counts.ts";
import { HeavyHitters } from "../../accounting/heavy-hitters.ts";
import { bucketValue, histogramPercentile, LATENCY_BUCKETS, latencyBucket } from "../../accounting/latency-buckets.ts";
import { parseDuration, periodOf, point, toSeries, totals, type PeriodCounts } from "../../accounting/series.ts";
import { suggestRoute } from "../../accounting/suggest-routes.ts";
import { countAttempt, emptyCounts, mergeCounts, type TrafficCounts } from "../../accounting/traffic-counts.ts";
import { emptySketch, SKETCH_BYTES, USER_BUCKETS } from "../../accounting/user-sketch.ts";
import { UNKNOWN_USER, userOf } from "../../accounting/users.ts";

/**
 * The numbers the dashboard, the metrics API and `cutover inventory` show, at their edges:
 * a point's figures, a series' steps, latency buckets and percentiles, the heavy hitters kept,
 * a suggested route.
 */

/** One of each kind of attempt: 200, 302, 404, a 503 and a 504 that fell back, a client abort, a 101 upgrade. */
function mixed(): TrafficCounts {
  const counts = emptyCounts();
  countAttempt(counts, { kind: "response", status: 200 }, 12, "split", undefined);
  countAttempt(counts, { kind: "response", status: 302 }, 12, "split", undefined);
  countAttempt(counts, { kind: "response", status: 404 }, 40, "single", undefined);
  countAttempt(counts, { kind: "response", status: 503 }, 40, "split", "5xx");
  countAttempt(counts, { kind: "proxy", status: 504 }, 10_000, "split", "timeout");
  countAttempt(counts, { kind: "client", status: 499 }, 5, "override", undefined);
  countAttempt(counts, { kind: "response", status: 101 }, 3, "default", undefined);
  return counts;
}

describe("traffic counts", () => {
  it("count each attempt once: its status class (a 101 upgrade in none), cutover's answers, fallbacks, arms and latency", () => {
    const counts = mixed();
    expect(counts).toEqual({
      requests: 7,
      fellBack: 2,
      status: [1, 1, 1, 1],
      proxy: new Map([
        [504, 1],
        [499, 1],
      ]),
      fallbacks: new Map([
        ["5xx", 1],
        ["timeout", 1],
      ]),
      arms: new Map([
        ["split", 2],
        ["single", 1],
        ["override", 1],
        ["default", 1],
      ]),
      latency: new Map([
        [latencyBucket(12), 2],
        [latencyBucket(40), 2],
        [latencyBucket(10_000), 1],
        [latencyBucket(5), 1],
        [latencyBucket(3), 1],
      ]),
      // Client attempts are never dual-write copies.
      dualWrite: emptyDualWriteCounts(),
    });
    expect(Object.keys(counts.status)).toEqual(["0", "1", "2", "3"]);
    const beyond = emptyCounts();
    countAttempt(beyond, { kind: "response", status: 600 }, 3, "default", undefined);
    expect(beyond.status).toEqual([0, 0, 0, 0]);
    expect(Object.keys(beyond.status)).toEqual(["0", "1", "2", "3"]);
  });

  it("merge by adding every counter, as isolates' cells add up", () => {
    const into = mixed();
    mergeCounts(into, mixed());
    const twice = (map: ReadonlyMap<unknown, number>) => new Map([...map].map(([key, count]) => [key, 2 * count]));
    const once = mixed();
    expect(into).toEqual({ requests: 14, fellBack: 4, status: [2, 2, 2, 2], proxy: twice(once.proxy), fallbacks: twice(once.fallbacks), arms: twice(once.arms), latency: twice(once.latency), dualWrite: emptyDualWriteCounts() });
  });
});

describe("a point of a series", () => {
  it("has the counts' figures: served, status classes, cutover's answers, fallbacks, arms, the error rate and percentiles", () => {
    expect(point("2026-11-25T17:20:00.000Z", mixed())).toEqual({
      at: "2026-11-25T17:20:00.000Z",
      requests: 7,
      served: 5,
      status: { "2xx": 1, "3xx": 1, "4xx": 1, "5xx": 1 },
      proxyErrors: { "499": 1, "504": 1 },
      fallbacks: { "5xx": 1, timeout: 1 },
      arms: { split: 2, single: 1, override: 1, default: 1 },
      // The 503 and cutover's 504, of 7 (the client's abort is nobody's failure), to 6 places.
      errorRate: 0.285714,
      // The mean at each bucket's value: (2 × 12.50 + 2 × 39.23 + 9 871.75 + 4.82 + 2.99) ÷ 7.
      latencyMs: { p50: 12.5, p95: 9871.75, p99: 9871.75, mean: 1426.15 },
    });
    expect(point("2026-11-25T17:20:00.000Z", emptyCounts())).toMatchObject({ requests: 0, errorRate: null, latencyMs: { p50: null, p95: null, p99: null, mean: null } });
  });

  it("steps oldest first, from minute and hour cells alike", () => {
    const cell = (period: string, backend: string): PeriodCounts => ({ period, backend, counts: mixed() });
    const series = toSeries([cell("2026-11-25T19", "legacy"), cell("2026-11-25T17:20", "legacy"), cell("2026-11-25T18", "legacy"), cell("2026-11-25T17:40", "lambda")], 3_600_000);
    expect(series.legacy?.map((p) => [p.at, p.requests])).toEqual([
      ["2026-11-25T17:00:00.000Z", 7],
      ["2026-11-25T18:00:00.000Z", 7],
      ["2026-11-25T19:00:00.000Z", 7],
    ]);
    expect(series.lambda?.map((p) => p.at)).toEqual(["2026-11-25T17:00:00.000Z"]);
  });

  it("totals add each backend's cells up", () => {
    const sum = totals([
      { period: "2026-11-25T17:20", backend: "legacy", counts: mixed() },
      { period: "2026-11-25T17:21", backend: "legacy", counts: mixed() },
      { period: "2026-11-25T17:21", backend: "lambda", counts: mixed() },
    ]);
    expect([...sum.keys()]).toEqual(["legacy", "lambda"]);
    expect(sum.get("legacy")).toMatchObject({ requests: 14, fellBack: 4, status: [2, 2, 2, 2] });
    expect(sum.get("lambda")).toEqual(mixed());
  });

  it("durations and periods read and write as the API takes and stores them", () => {
    expect([parseDuration("30s"), parseDuration("15m"), parseDuration("2h"), parseDuration("7d")]).toEqual([30_000, 900_000, 7_200_000, 604_800_000]);
    for (const text of ["", "10", "m", "x10m", "10mx", "1.5h", "10 m"]) expect(parseDuration(text), text).toBeUndefined();
    const at = Date.parse("2026-11-25T17:20:45.123Z");
    expect(periodOf(at, "m")).toBe("2026-11-25T17:20");
    expect(periodOf(at, "h")).toBe("2026-11-25T17");
  });
});

describe("latency buckets", () => {
  it("hold (1.1^(i−1), 1.1^i] ms: the upper bound in its bucket, 1 ms and less (or no number) in bucket 0, the slowest in the last", () => {
    expect(latencyBucket(1)).toBe(0);
    expect(latencyBucket(0.2)).toBe(0);
    expect(latencyBucket(Number.NaN)).toBe(0);
    expect(latencyBucket(1.05)).toBe(1);
    expect(latencyBucket(1.1 ** 10)).toBe(10);
    expect(latencyBucket(1.1 ** 10 * 1.0001)).toBe(11);
    expect(latencyBucket(600_000)).toBe(LATENCY_BUCKETS - 1);
    expect(LATENCY_BUCKETS).toBe(121);
    expect(bucketValue(0)).toBe(1);
    expect(bucketValue(1)).toBeCloseTo(Math.sqrt(1.1), 12);
  });

  it("read a percentile as the bucket where its rank falls: the median of two is the first", () => {
    expect(histogramPercentile(new Map([[20, 1], [10, 1]]), 50)).toBe(Math.round(bucketValue(10) * 100) / 100);
    expect(histogramPercentile(new Map([[20, 1], [10, 1]]), 51)).toBe(Math.round(bucketValue(20) * 100) / 100);
    expect(histogramPercentile(new Map([[10, 0]]), 50)).toBeNull();
  });
});

describe("heavy hitters", () => {
  /** Space-Saving as the paper writes it: a list, the least counted key replaced. */
  function reference(capacity: number) {
    const entries = new Map<string, { count: number; error: number }>();
    return {
      entries,
      add(key: string, times: number) {
        const entry = entries.get(key);
        if (entry) entry.count += times;
        else if (entries.size < capacity) entries.set(key, { count: times, error: 0 });
        else {
          const [leastKey, least] = [...entries].reduce((a, b) => (b[1].count < a[1].count ? b : a));
          entries.delete(leastKey);
          entries.set(key, { count: least.count + times, error: least.count });
        }
      },
    };
  }

  it("replace exactly the least counted key, whatever order keys came in", () => {
    let seed = 17;
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (const capacity of [1, 2, 3, 7, 16]) {
      const sketch = new HeavyHitters<null>(capacity, () => null);
      const model = reference(capacity);
      for (let i = 0; i < 400; i++) {
        const key = `k${Math.floor(random() ** 2 * 40)}`;
        // Weights far apart, so that no two counts tie and "the least" is one key.
        const times = 1 + Math.floor(random() * 1_000_000);
        sketch.add(key, times);
        model.add(key, times);
      }
      const expected = [...model.entries].map(([key, { count, error }]) => ({ key, count, error })).sort((a, b) => b.count - a.count);
      expect(sketch.top().map(({ key, count, error }) => ({ key, count, error })), `capacity ${capacity}`).toEqual(expected);
    }
  });

  it("a key counted less than the ones watched is the one a new key replaces", () => {
    const sketch = new HeavyHitters<null>(3, () => null);
    sketch.add("a", 5);
    sketch.add("b", 4);
    sketch.add("c", 1);
    sketch.add("d");
    expect(sketch.top().map(({ key, count, error }) => [key, count, error])).toEqual([
      ["a", 5, 0],
      ["b", 4, 0],
      ["d", 2, 1],
    ]);
  });
});

describe("a suggested route", () => {
  it("names a hashed asset's route after its path and matches the name before the hash", () => {
    expect(suggestRoute("/assets/app.:hash.js", [], "legacy")).toEqual({ id: "assets-app-js", match: { path: "/assets/app*" }, to: "legacy" });
  });

  it("is `root` for /, sorts its methods, squeezes separators, and keeps ids at 60 characters", () => {
    expect(suggestRoute("/", [], "legacy")).toEqual({ id: "root", match: { path: "/" }, to: "legacy" });
    expect(suggestRoute("/api/v2__beta/:id", ["POST", "GET"], "legacy")).toEqual({ id: "api-v2-beta", match: { path: "/api/v2__beta/:id", methods: ["GET", "POST"] }, to: "legacy" });
    const long = suggestRoute(`/${"abcdefghij/".repeat(8)}*`, [], "legacy");
    expect(long).toEqual({ id: "abcdefghij-abcdefghij-abcdefghij-abcdefghij-abcdefghij-abcde", match: { path: `/${"abcdefghij/".repeat(8)}*` }, to: "legacy" });
  });
});

describe("who a user is, at the edges", () => {
  it("an empty address is the unknown user; a loopback client without a cohort key is the local one; a malformed IPv6 is itself", () => {
    expect(userOf("", () => "session-1")).toBe(UNKNOWN_USER);
    expect(UNKNOWN_USER).toBe("unknown");
    expect(userOf("127.0.0.1", () => undefined)).toBe("local:");
    expect(userOf("::1", () => undefined)).toBe("local:");
    expect(userOf("not:an:address", () => undefined)).toBe("not:an:address");
  });
});

describe("evidence at the edges", () => {
  it("a 500 from cutover is a failure; a 400 the backend answered is a 4xx the client got", () => {
    expect(evidenceOutcome({ kind: "proxy", status: 500 }, false)).toBe("failure");
    expect(evidenceOutcome({ kind: "response", status: 400 }, false)).toBe("client-error");
    expect(evidenceOutcome({ kind: "response", status: 399 }, false)).toBe("ok");
  });

  it("latency is counted per bucket and adds up when cells merge", () => {
    const a = emptyEvidence();
    for (let i = 0; i < 3; i++) countEvidence(a, "ok", 10, i);
    countEvidence(a, "failure", 30, 7);
    const b = emptyEvidence();
    countEvidence(b, "ok", 10, 1);
    mergeEvidence(a, b);
    expect(a.latency).toEqual(new Map([[10, 4], [30, 1]]));
  });

  it("a user sketch is 4 096 buckets in 512 bytes", () => {
    expect(USER_BUCKETS).toBe(4096);
    expect(SKETCH_BYTES).toBe(512);
    expect(emptySketch().byteLength).toBe(512);
    expect(emptyEvidence().users.byteLength).toBe(512);
  });
});
