import { estimate, unknown, type Estimate } from "./estimate.ts";
import { CUTOVER_BACKEND, type HourTraffic } from "./traffic.ts";

/** The share of traffic legacy served in one step of time. */
export interface SharePoint {
  /** The step's start: the hour (`2026-11-25T17:00:00.000Z`) or the day (`2026-11-25`). */
  readonly at: string;
  readonly legacyServed: number;
  readonly allServed: number;
  readonly share: Estimate;
}

/**
 * Legacy's share of the requests served, per hour or per day, oldest first: the migration's
 * progress in the unit the bill cares about. Steps without traffic are left out.
 */
export function legacyShareOverTime(hours: readonly HourTraffic[], legacyBackend: string, step: "hour" | "day"): SharePoint[] {
  const byStep = new Map<string, { legacy: number; all: number }>();
  for (const cell of hours) {
    if (cell.backend === CUTOVER_BACKEND) continue;
    const key = step === "day" ? cell.at.slice(0, 10) : cell.at;
    const sums = byStep.get(key) ?? { legacy: 0, all: 0 };
    sums.all += cell.served;
    if (cell.backend === legacyBackend) sums.legacy += cell.served;
    byStep.set(key, sums);
  }
  return [...byStep]
    .filter(([, sums]) => sums.all > 0)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([at, sums]) => ({ at, legacyServed: sums.legacy, allServed: sums.all, share: shareOf(sums.legacy, sums.all) }));
}

function shareOf(legacy: number, all: number): Estimate {
  const formula = "requests legacy served ÷ requests served";
  return all === 0 ? unknown("no traffic", formula, { legacyServed: legacy, allServed: all }, "share") : estimate(legacy / all, formula, { legacyServed: legacy, allServed: all }, "share");
}
