import { estimate, roundTo, unknown, type Estimate } from "./estimate.ts";
import type { Prices } from "./prices.ts";
import { legacyBill } from "./route-costs.ts";
import type { HourTraffic } from "./traffic.ts";

/** What the legacy bill could become once some routes no longer reach legacy. */
export interface LegacyProjection {
  /** Routes whose legacy traffic is taken away. */
  readonly moved: readonly string[];
  /** Routes whose legacy traffic stays (measured in the window). */
  readonly remaining: readonly string[];
  /** The busiest hour of what stays on legacy, or null without any. */
  readonly peakHour: string | null;
  /** Requests legacy would serve at once in that hour, on average. */
  readonly peakConcurrency: Estimate;
  readonly dynosNeeded: Estimate;
  readonly bill: Estimate;
  /** The bill now minus the projected one. */
  readonly saving: Estimate;
}

const HOUR_SECONDS = 3600;

/**
 * The legacy bill once the `moved` routes stop reaching legacy: dynos needed at the peak of
 * what remains (the busiest hour's legacy busy time ÷ 3 600 s is the requests in flight on
 * average in it, ÷ one dyno's concurrency, rounded up; at least one while anything remains,
 * none when nothing does), × the dyno's price, + the add-ons, which stay until removed.
 */
export function projectLegacyBill(prices: Prices, legacyBackend: string, hours: readonly HourTraffic[], moved: ReadonlySet<string>): LegacyProjection {
  const busyByHour = new Map<string, number>();
  const remaining = new Set<string>();
  const unmeasured = new Set<string>();
  for (const cell of hours) {
    if (cell.backend !== legacyBackend || moved.has(cell.route) || cell.requests === 0) continue;
    remaining.add(cell.route);
    if (cell.meanMs === null) unmeasured.add(cell.route);
    else busyByHour.set(cell.at, (busyByHour.get(cell.at) ?? 0) + (cell.requests * cell.meanMs) / 1000);
  }
  const [peakHour, peakBusySeconds] = [...busyByHour].reduce<[string | null, number]>((best, [at, busy]) => (busy > best[1] ? [at, busy] : best), [null, 0]);
  const { dyno } = prices.legacy;
  const addOns = (prices.legacy.addOns ?? []).reduce((sum, addOn) => sum + addOn.monthlyPrice, 0);
  const now = legacyBill(prices);
  const concurrencyFormula = "busiest hour's legacy busy time ÷ 3 600 s (busy time = requests × mean latency, of the routes that stay)";
  const dynoFormula = "⌈peak concurrency ÷ requests one dyno serves at once⌉, at least 1 while legacy serves anything, 0 when it serves nothing";
  const billFormula = "dynos needed × price per dyno + add-ons";
  const base = { moved: [...moved].sort(), remaining: [...remaining].sort(), peakHour };
  if (unmeasured.size > 0) {
    const reason = `no latency measured for the legacy requests of ${[...unmeasured].sort().join(", ")}`;
    return { ...base, peakConcurrency: unknown(reason, concurrencyFormula, {}, "at once"), dynosNeeded: unknown(reason, dynoFormula, {}, "dynos"), bill: unknown(reason, billFormula), saving: unknown(reason, "legacy bill now − projected bill") };
  }
  const concurrency = peakBusySeconds / HOUR_SECONDS;
  // Rounded to 1e-9 first: 2.0000000001 dynos' worth of float error is two dynos, not three.
  const dynos = remaining.size === 0 ? 0 : Math.max(1, Math.ceil(roundTo(concurrency / dyno.concurrency, 9)));
  const bill = dynos * dyno.monthlyPrice + addOns;
  return {
    ...base,
    peakConcurrency: estimate(concurrency, concurrencyFormula, { peakHour: peakHour ?? "-", busySeconds: roundTo(peakBusySeconds, 3) }, "at once"),
    dynosNeeded: estimate(dynos, dynoFormula, { peakConcurrency: roundTo(concurrency, 6), perDyno: dyno.concurrency, dynosNow: dyno.count }, "dynos"),
    bill: estimate(bill, billFormula, { dynos, dynoType: dyno.type, pricePerDyno: dyno.monthlyPrice, addOns }),
    saving: estimate((now.value ?? 0) - bill, "legacy bill now − projected bill", { billNow: now.value ?? 0, projected: bill }),
  };
}
