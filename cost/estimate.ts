/**
 * One figure of a cost estimate: its value with the formula and the inputs it came from, so
 * that an operator can check it by hand, or the reason it cannot be given. An estimate is
 * never a bill: it relates measured traffic to prices the operator entered (docs/cost.md).
 */
export type Inputs = Readonly<Record<string, number | string>>;

/** What a figure counts: money a month (in the prices' currency), dynos, requests in flight at once, or a share in [0, 1]. */
export type Unit = "per month" | "dynos" | "at once" | "share";

export type Estimate =
  | { readonly kind: "estimate"; readonly value: number; readonly unit: Unit; readonly formula: string; readonly inputs: Inputs }
  /** Not known, and not zero: `reason` says what is missing (a backend's prices, a measured latency). */
  | { readonly kind: "unknown"; readonly value: null; readonly unit: Unit; readonly reason: string; readonly formula: string; readonly inputs: Inputs };

/** A figure with its formula and inputs, rounded to 1/10 000 of the currency's unit (estimates, not cents). */
export function estimate(value: number, formula: string, inputs: Inputs, unit: Unit = "per month"): Estimate {
  return { kind: "estimate", value: roundTo(value, unit === "at once" ? 6 : 4), unit, formula, inputs };
}

/** A figure that cannot be estimated, and why. */
export function unknown(reason: string, formula: string, inputs: Inputs = {}, unit: Unit = "per month"): Estimate {
  return { kind: "unknown", value: null, unit, reason, formula, inputs };
}

/** `value` to `places` decimal places (for inputs shown beside a formula). */
export function roundTo(value: number, places: number): number {
  const scale = 10 ** places;
  return Math.round(value * scale) / scale;
}

/** Hours in a month as AWS prices them (730 = 8 760 / 12). */
export const HOURS_PER_MONTH = 730;
export const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600;
