import { estimate, roundTo, SECONDS_PER_MONTH, unknown, type Estimate } from "./estimate.ts";
import type { NewBackendPrices, Prices } from "./prices.ts";
import { CUTOVER_BACKEND, type BackendTraffic, type RouteTraffic } from "./traffic.ts";

/** One route's monthly estimates: its share of the legacy bill, and on each new backend. */
export interface RouteCost {
  readonly route: string;
  /** Requests served to clients over the window, all backends. */
  readonly served: number;
  /** Of those, requests legacy served. */
  readonly legacyServed: number;
  /** Its share of the legacy bill, by its share of legacy busy time. */
  readonly legacy: Estimate;
  /** What the traffic measured on each new backend costs there, for a month. */
  readonly onNew: Readonly<Record<string, Estimate>>;
  /** What all of the route's traffic would cost on each of its new backends, for a month. */
  readonly allOnNew: Readonly<Record<string, Estimate>>;
}

export interface RouteCostInput {
  readonly prices: Prices;
  readonly legacyBackend: string;
  /** Length of the measured window, in seconds (what is extrapolated to a month). */
  readonly windowSeconds: number;
  readonly routes: readonly RouteTraffic[];
}

/** The legacy bill of a month: dynos × price + add-ons. */
export function legacyBill(prices: Prices): Estimate {
  const addOns = (prices.legacy.addOns ?? []).reduce((sum, addOn) => sum + addOn.monthlyPrice, 0);
  const { count, monthlyPrice, type } = prices.legacy.dyno;
  return estimate(count * monthlyPrice + addOns, "dynos × price per dyno + add-ons", { dynoType: type, dynos: count, pricePerDyno: monthlyPrice, addOns });
}

/**
 * Each route's monthly cost on legacy and on its new backends. Legacy costs a month whatever
 * the traffic: a route's part of it is the bill apportioned by the route's share of legacy
 * busy time (requests × mean latency), a measure of the dyno time it takes. A new backend
 * costs per request: the window's requests extrapolated to a month.
 */
export function routeCosts(input: RouteCostInput): RouteCost[] {
  const bill = legacyBill(input.prices).value ?? 0;
  const legacyOf = (route: RouteTraffic) => route.backends[input.legacyBackend];
  const busyMs = input.routes.reduce((sum, route) => sum + busyTimeMs(legacyOf(route)), 0);
  const allBusySeconds = roundTo(busyMs / 1000, 3);
  const monthFactor = SECONDS_PER_MONTH / input.windowSeconds;
  return input.routes.map((route) => {
    const measured = Object.entries(route.backends).filter(([backend]) => backend !== input.legacyBackend && backend !== CUTOVER_BACKEND);
    const served = Object.entries(route.backends).reduce((sum, [backend, traffic]) => (backend === CUTOVER_BACKEND ? sum : sum + traffic.served), 0);
    const candidates = [...new Set([...measured.map(([backend]) => backend), ...(route.candidates ?? [])])].filter((backend) => backend !== input.legacyBackend);
    const legacyMean = legacyOf(route)?.meanMs ?? null;
    return {
      route: route.route,
      served,
      legacyServed: legacyOf(route)?.served ?? 0,
      legacy: legacyShare(legacyOf(route), bill, allBusySeconds),
      onNew: Object.fromEntries(measured.map(([backend, traffic]) => [backend, newBackendCost(backend, input.prices.backends[backend], traffic.requests, traffic.meanMs, monthFactor, "measured")])),
      allOnNew: Object.fromEntries(
        candidates.map((backend) => {
          const own = route.backends[backend];
          const measuredHere = own !== undefined && own.requests > 0 && own.meanMs !== null;
          return [backend, newBackendCost(backend, input.prices.backends[backend], served, measuredHere ? own.meanMs : legacyMean, monthFactor, measuredHere ? "measured" : `legacy's (none measured on ${backend})`)];
        }),
      ),
    };
  });
}

function busyTimeMs(traffic: BackendTraffic | undefined): number {
  return traffic === undefined || traffic.meanMs === null ? 0 : traffic.requests * traffic.meanMs;
}

function legacyShare(traffic: BackendTraffic | undefined, bill: number, allBusySeconds: number): Estimate {
  const formula = "legacy bill × route's legacy busy time ÷ all legacy busy time (busy time = requests × mean latency)";
  const requests = traffic?.requests ?? 0;
  if (requests === 0) return estimate(0, formula, { legacyBill: bill, requests: 0, busySeconds: 0, allBusySeconds });
  if (traffic?.meanMs === null || traffic === undefined) return unknown("no latency measured for its legacy requests", formula, { legacyBill: bill, requests });
  const busySeconds = roundTo(busyTimeMs(traffic) / 1000, 3);
  const share = allBusySeconds === 0 ? 0 : busySeconds / allBusySeconds;
  return estimate(bill * share, formula, { legacyBill: bill, requests, meanMs: traffic.meanMs, busySeconds, allBusySeconds, share: roundTo(share, 6) });
}

/**
 * A month of `requests` (measured over the window) on a new backend: Lambda's duration and
 * request prices, API Gateway's, and DynamoDB's request units; unknown without its prices or
 * a latency.
 */
function newBackendCost(backend: string, prices: NewBackendPrices | undefined, requests: number, meanMs: number | null, monthFactor: number, latencyFrom: string): Estimate {
  const formula =
    "requests a month × (memory GB × billed seconds × price per GB-s + price per request + API Gateway per request + DynamoDB units per request × price per unit); requests a month = requests × month ÷ window";
  const requestsPerMonth = Math.round(requests * monthFactor);
  if (prices === undefined) return unknown(`no prices for backend '${backend}' (add it under "backends" in the prices)`, formula, { requests, requestsPerMonth });
  if (requests === 0) return estimate(0, formula, { requests: 0, requestsPerMonth: 0 });
  if (meanMs === null) return unknown(`no latency measured on '${backend}' or legacy for this route`, formula, { requests, requestsPerMonth });
  const { lambda, apiGateway, dynamodb } = prices;
  // Lambda bills at least 1 ms an invocation; a mean below that is a fast handler's.
  const billedMs = Math.max(1, meanMs - (lambda.overheadMs ?? 0));
  const memoryGb = lambda.memoryMb / 1024;
  const duration = memoryGb * (billedMs / 1000) * lambda.pricePerGbSecond;
  const invocation = lambda.pricePerMillionRequests / 1e6;
  const gateway = (apiGateway?.pricePerMillionRequests ?? 0) / 1e6;
  const dynamo = dynamodb === undefined ? 0 : (dynamodb.readUnitsPerRequest * dynamodb.pricePerMillionReadUnits + dynamodb.writeUnitsPerRequest * dynamodb.pricePerMillionWriteUnits) / 1e6;
  const perRequest = duration + invocation + gateway + dynamo;
  return estimate(requests * monthFactor * perRequest, formula, {
    requests,
    requestsPerMonth,
    meanMs,
    latencyFrom,
    billedMs: roundTo(billedMs, 3),
    memoryGb: roundTo(memoryGb, 6),
    pricePerGbSecond: lambda.pricePerGbSecond,
    pricePerMillionRequests: lambda.pricePerMillionRequests,
    apiGatewayPerMillion: apiGateway?.pricePerMillionRequests ?? 0,
    dynamodbPerRequest: roundTo(dynamo, 12),
    perRequest: roundTo(perRequest, 12),
  });
}
