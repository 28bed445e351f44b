import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { costReport } from "../../cost/cost-report.ts";
import { legacyShareOverTime } from "../../cost/legacy-share.ts";
import { projectLegacyBill } from "../../cost/legacy-projection.ts";
import { pricesJsonSchema, validatePrices, type Prices } from "../../cost/prices.ts";
import { legacyBill, routeCosts } from "../../cost/route-costs.ts";
import type { HourTraffic, RouteTraffic } from "../../cost/traffic.ts";

// Two standard-2x dynos at 50 and a 50 Postgres: a bill of 150. One new backend, `accounts`:
// 512 MB, list prices, an HTTP API in front, 2 read and 1 write units a request.
const PRICES: Prices = {
  legacy: { dyno: { type: "standard-2x", count: 2, monthlyPrice: 50, concurrency: 4 }, addOns: [{ name: "Heroku Postgres standard-0", monthlyPrice: 50 }] },
  backends: {
    accounts: {
      lambda: { memoryMb: 512, pricePerGbSecond: 0.0000166667, pricePerMillionRequests: 0.2 },
      apiGateway: { pricePerMillionRequests: 1 },
      dynamodb: { readUnitsPerRequest: 2, writeUnitsPerRequest: 1, pricePerMillionReadUnits: 0.125, pricePerMillionWriteUnits: 0.625 },
    },
  },
};
const DAY = 86_400;
const traffic = (requests: number, meanMs: number | null, served = requests) => ({ requests, served, meanMs });

describe("the prices document", () => {
  it("accepts the documented example", () => {
    expect(validatePrices(JSON.parse(readFileSync(new URL("../../docs/prices.example.json", import.meta.url), "utf8"))).ok).toBe(true);
  });

  it("has its JSON Schema up to date in prices.schema.json (npm run schema)", () => {
    expect(JSON.parse(readFileSync(new URL("../../prices.schema.json", import.meta.url), "utf8"))).toEqual(pricesJsonSchema());
  });

  it("names each missing or misspelt field", () => {
    const result = validatePrices({ legacy: { dyno: { type: "standard-1x", count: 1, monthlyPrice: 25, concurrenc: 2 } }, backends: { accounts: { lambda: { memoryMb: 512, pricePerMillionRequests: -1 } } } });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error.map((issue) => issue.path)).toEqual(
      expect.arrayContaining(["$.legacy.dyno.concurrency", "$.legacy.dyno", "$.backends.accounts.lambda.pricePerGbSecond", "$.backends.accounts.lambda.pricePerMillionRequests"]),
    );
    expect(!result.ok && result.error.find((issue) => issue.path === "$.legacy.dyno")?.message).toContain("did you mean 'concurrency'");
  });
});

describe("each route's monthly cost", () => {
  const routes: RouteTraffic[] = [
    { route: "accounts-read", backends: { legacy: traffic(1000, 200), accounts: traffic(3000, 100) } },
    { route: "(default)", backends: { legacy: traffic(4000, 150), "(cutover)": traffic(7, 1) } },
    { route: "orders", backends: { orders: traffic(100, 50) } },
    { route: "reports", backends: {}, candidates: ["accounts"] },
  ];
  const costs = routeCosts({ prices: PRICES, legacyBackend: "legacy", windowSeconds: DAY, routes });
  const of = (route: string) => costs.find((cost) => cost.route === route);

  it("the legacy bill: dynos × price + add-ons", () => {
    expect(legacyBill(PRICES)).toMatchObject({ kind: "estimate", value: 150, inputs: { dynos: 2, pricePerDyno: 50, addOns: 50 } });
  });

  it("apportions the legacy bill by busy time: 1 000 × 0.2 s of 800 s is a quarter of 150", () => {
    // Busy time: accounts-read 1 000 × 200 ms = 200 s, (default) 4 000 × 150 ms = 600 s.
    expect(of("accounts-read")?.legacy).toMatchObject({ kind: "estimate", value: 37.5, inputs: { legacyBill: 150, requests: 1000, meanMs: 200, busySeconds: 200, allBusySeconds: 800, share: 0.25 } });
    expect(of("(default)")?.legacy.value).toBe(112.5);
    expect(of("orders")?.legacy).toMatchObject({ kind: "estimate", value: 0 });
    expect(of("accounts-read")?.legacy.formula).toContain("requests × mean latency");
  });

  it("extrapolates a new backend's requests to a month and prices each one", () => {
    // Per request: 0.5 GB × 0.1 s × 0.0000166667 = 0.000000833335; + 0.0000002 (Lambda) +
    // 0.000001 (API Gateway) + (2 × 0.125 + 1 × 0.625) / 1e6 = 0.000000875 (DynamoDB)
    // = 0.000002908335. A month is 730 h = 2 628 000 s: 3 000 a day is 91 250 a month.
    expect(of("accounts-read")?.onNew.accounts).toMatchObject({
      kind: "estimate",
      value: 0.2654, // 91 250 × 0.000002908335 = 0.26538…
      inputs: { requests: 3000, requestsPerMonth: 91250, meanMs: 100, billedMs: 100, memoryGb: 0.5, perRequest: 0.000002908335, dynamodbPerRequest: 0.000000875, apiGatewayPerMillion: 1 },
    });
  });

  it("puts all of a route's served requests on its new backend at the latency measured there", () => {
    // 4 000 served a day → 121 666.67 a month × 0.000002908335 = 0.35385
    expect(of("accounts-read")?.allOnNew.accounts).toMatchObject({ kind: "estimate", value: 0.3538, inputs: { requests: 4000, latencyFrom: "measured" } });
  });

  it("uses legacy's latency, and says so, for a new backend with none measured; nothing measured at all costs 0, not unknown", () => {
    expect(of("reports")?.allOnNew.accounts).toMatchObject({ kind: "estimate", value: 0, inputs: { requests: 0 } });
    const shadowOnly = routeCosts({ prices: PRICES, legacyBackend: "legacy", windowSeconds: DAY, routes: [{ route: "r", backends: { legacy: traffic(1000, 300) }, candidates: ["accounts"] }] });
    // 0.5 × 0.3 × 0.0000166667 = 0.0000025; + 0.000002075 = 0.000004575000…; × 30 416.67 = 0.13916
    expect(shadowOnly[0]?.allOnNew.accounts).toMatchObject({ kind: "estimate", value: 0.1392, inputs: { meanMs: 300, latencyFrom: "legacy's (none measured on accounts)" } });
  });

  it("a backend without prices is unknown, with the reason, never 0", () => {
    expect(of("orders")?.onNew.orders).toMatchObject({ kind: "unknown", value: null, reason: expect.stringContaining("no prices for backend 'orders'"), inputs: { requests: 100, requestsPerMonth: 3042 } });
  });

  it("a route whose latency is not reported is unknown, and leaves the others' shares alone", () => {
    const costs = routeCosts({ prices: PRICES, legacyBackend: "legacy", windowSeconds: DAY, routes: [{ route: "a", backends: { legacy: traffic(10, null), accounts: traffic(10, null) } }, { route: "b", backends: { legacy: traffic(10, 100) } }] });
    expect(costs[0]?.legacy).toMatchObject({ kind: "unknown", reason: "no latency measured for its legacy requests" });
    expect(costs[0]?.onNew.accounts).toMatchObject({ kind: "unknown" });
    expect(costs[1]?.legacy.value).toBe(150);
  });

  it("Lambda bills 1 ms at least, after the overhead taken off the edge's latency", () => {
    const prices: Prices = { ...PRICES, backends: { fast: { lambda: { memoryMb: 1024, pricePerGbSecond: 1, pricePerMillionRequests: 0, overheadMs: 30 } } } };
    const [cost] = routeCosts({ prices, legacyBackend: "legacy", windowSeconds: 2_628_000, routes: [{ route: "r", backends: { fast: traffic(1000, 20) } }] });
    // 1 000 a month × 1 GB × 0.001 s × 1 = 1
    expect(cost?.onNew.fast).toMatchObject({ value: 1, inputs: { billedMs: 1 } });
  });
});

describe("legacy's share over time", () => {
  const hours: HourTraffic[] = [
    { at: "2026-03-01T11:00:00.000Z", route: "(default)", backend: "legacy", ...traffic(3600, 1000) },
    { at: "2026-03-01T10:00:00.000Z", route: "accounts-read", backend: "legacy", ...traffic(18_000, 800) },
    { at: "2026-03-01T10:00:00.000Z", route: "accounts-read", backend: "accounts", ...traffic(6500, 100, 6000) },
    { at: "2026-03-01T10:00:00.000Z", route: "(default)", backend: "legacy", ...traffic(7200, 500) },
    { at: "2026-03-01T10:00:00.000Z", route: "(default)", backend: "(cutover)", ...traffic(99, 1) },
    { at: "2026-03-02T10:00:00.000Z", route: "(default)", backend: "legacy", ...traffic(0, null) },
  ];

  it("per hour, oldest first, of requests served, leaving out cutover's own answers and empty hours", () => {
    const points = legacyShareOverTime(hours, "legacy", "hour");
    expect(points.map((point) => [point.at, point.legacyServed, point.allServed, point.share.value])).toEqual([
      ["2026-03-01T10:00:00.000Z", 25_200, 31_200, 0.8077],
      ["2026-03-01T11:00:00.000Z", 3600, 3600, 1],
    ]);
    expect(points[0]?.share.formula).toBe("requests legacy served ÷ requests served");
  });

  it("per day", () => {
    // (25 200 + 3 600) ÷ (31 200 + 3 600) = 0.827586
    expect(legacyShareOverTime(hours, "legacy", "day").map((point) => [point.at, point.share.value])).toEqual([["2026-03-01", 0.8276]]);
  });

  describe("what the legacy bill could become", () => {
    it("needs the dynos of the busiest hour of what remains", () => {
      // 10:00 holds 18 000 × 0.8 s + 7 200 × 0.5 s = 18 000 s of work: 5 at once, 2 dynos of 4.
      const now = projectLegacyBill(PRICES, "legacy", hours, new Set());
      expect(now).toMatchObject({ peakHour: "2026-03-01T10:00:00.000Z", remaining: ["(default)", "accounts-read"] });
      expect(now.peakConcurrency).toMatchObject({ value: 5, unit: "at once", inputs: { busySeconds: 18_000 } });
      expect(now.dynosNeeded).toMatchObject({ value: 2, unit: "dynos", inputs: { peakConcurrency: 5, perDyno: 4, dynosNow: 2 } });
      expect(now.bill.value).toBe(150);
      expect(now.saving.value).toBe(0);
      // Without accounts-read both hours hold 3 600 s: one at once, one dyno.
      const after = projectLegacyBill(PRICES, "legacy", hours, new Set(["accounts-read"]));
      expect(after.dynosNeeded.value).toBe(1);
      expect(after.bill).toMatchObject({ value: 100, formula: "dynos needed × price per dyno + add-ons", inputs: { dynos: 1, pricePerDyno: 50, addOns: 50 } });
      expect(after.saving.value).toBe(50);
    });

    it("needs none once nothing remains, and the add-ons stay", () => {
      const gone = projectLegacyBill(PRICES, "legacy", hours, new Set(["accounts-read", "(default)"]));
      expect(gone).toMatchObject({ remaining: [], peakHour: null });
      expect(gone.dynosNeeded.value).toBe(0);
      expect(gone.bill.value).toBe(50);
      expect(projectLegacyBill(PRICES, "legacy", [], new Set()).dynosNeeded.value).toBe(0);
    });

    it("needs one dyno for the lightest traffic, and rounds an exact fit down, float error and all", () => {
      const light = projectLegacyBill(PRICES, "legacy", [{ at: "2026-03-01T10:00:00.000Z", route: "r", backend: "legacy", ...traffic(1, 1) }], new Set());
      expect(light.dynosNeeded.value).toBe(1);
      // 3 960 s in an hour is 1.1 at once; 1.1 ÷ 0.1 is 11.000000000000002 in floating point.
      const tenth: Prices = { ...PRICES, legacy: { ...PRICES.legacy, dyno: { ...PRICES.legacy.dyno, concurrency: 0.1 } } };
      expect(projectLegacyBill(tenth, "legacy", [{ at: "2026-03-01T10:00:00.000Z", route: "r", backend: "legacy", ...traffic(3960, 1000) }], new Set()).dynosNeeded.value).toBe(11);
      // Exactly 4 at once on dynos of 4: one.
      expect(projectLegacyBill(PRICES, "legacy", [{ at: "2026-03-01T10:00:00.000Z", route: "r", backend: "legacy", ...traffic(14_400, 1000) }], new Set()).dynosNeeded.value).toBe(1);
    });

    it("is unknown when a remaining route's legacy latency is not reported", () => {
      const projection = projectLegacyBill(PRICES, "legacy", [{ at: "2026-03-01T10:00:00.000Z", route: "r", backend: "legacy", ...traffic(10, null) }], new Set());
      expect(projection.bill).toMatchObject({ kind: "unknown", value: null, reason: "no latency measured for the legacy requests of r" });
    });
  });
});

describe("the whole report", () => {
  it("moves the routes with a new backend, names its window and says it is an estimate", () => {
    const report = costReport({
      prices: PRICES,
      defaultBackend: "legacy",
      from: "2026-03-01T00:00:00.000Z",
      until: "2026-03-02T00:00:00.000Z",
      routes: [
        { route: "accounts-read", backends: { legacy: traffic(1000, 200), accounts: traffic(3000, 100) } },
        { route: "(default)", backends: { legacy: traffic(4000, 150) } },
        { route: "orders", backends: { orders: traffic(100, 50) } },
      ],
      hours: [
        { at: "2026-03-01T10:00:00.000Z", route: "accounts-read", backend: "legacy", ...traffic(18_000, 800) },
        { at: "2026-03-01T10:00:00.000Z", route: "(default)", backend: "legacy", ...traffic(7200, 500) },
      ],
    });
    expect(report.notice).toMatch(/never a bill/);
    expect(report).toMatchObject({ currency: "USD", legacyBackend: "legacy", windowSeconds: DAY, legacyShare: { step: "hour" } });
    expect(report.monthFactor).toBeCloseTo(30.4167, 4);
    expect(report.projections.afterMigrating.moved).toEqual(["accounts-read", "orders"]);
    expect(report.projections.afterMigrating.dynosNeeded.value).toBe(1);
    expect(report.projections.allMoved.bill.value).toBe(50);
    expect(report.newBackendsTotal).toMatchObject({ kind: "unknown", reason: "not known for orders on orders" });
  });
});
