/**
 * A route's data migration hour by hour (`cutover migration progress`): reads that fell back to
 * legacy on a 404 while the backfill runs (the records the new store does not have yet), and
 * dual-write copies that failed or disagreed with legacy's write. "Ready to remove the
 * fallback" once every hour with reads in the last `days` held the fallback rate under its
 * bound — the story's signal that the backfill is complete. Pure: the caller reads the
 * route's hourly series.
 */
export interface HourPoint {
  readonly at: string;
  readonly requests: number;
  readonly fallbacks: Readonly<Record<string, number>>;
  readonly dualWrite?: { readonly sent: number; readonly failed: number; readonly disagreed: number } | undefined;
}

export interface ProgressHour {
  readonly at: string;
  /** Requests the new backends took, and those of them that fell back to legacy on a 404. */
  readonly reads: number;
  readonly fellBack: number;
  /** fellBack ÷ reads; null without reads. */
  readonly fallbackRate: number | null;
  readonly copies: number;
  readonly copiesFailed: number;
  readonly copiesDisagreed: number;
}

export interface MigrationProgress {
  readonly hours: readonly ProgressHour[];
  /** Whether the fallback may go: `days` of hours with reads, each under `maxFallbackRate`. */
  readonly readyToRemoveFallback: boolean;
  /** Why not, when not. */
  readonly reason: string;
}

const HOUR_MS = 3_600_000;

export function migrationProgress(
  series: Readonly<Record<string, readonly HourPoint[]>>,
  options: { readonly legacy: string; readonly maxFallbackRate: number; readonly days: number; readonly now: number },
): MigrationProgress {
  const byHour = new Map<string, { reads: number; fellBack: number; copies: number; copiesFailed: number; copiesDisagreed: number }>();
  for (const [backend, points] of Object.entries(series)) {
    if (backend === options.legacy) continue;
    for (const point of points) {
      const hour = byHour.get(point.at) ?? { reads: 0, fellBack: 0, copies: 0, copiesFailed: 0, copiesDisagreed: 0 };
      hour.reads += point.requests;
      hour.fellBack += point.fallbacks["404"] ?? 0;
      hour.copies += point.dualWrite?.sent ?? 0;
      hour.copiesFailed += point.dualWrite?.failed ?? 0;
      hour.copiesDisagreed += point.dualWrite?.disagreed ?? 0;
      byHour.set(point.at, hour);
    }
  }
  const hours = [...byHour]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([at, hour]): ProgressHour => ({ at, ...hour, fallbackRate: hour.reads > 0 ? hour.fellBack / hour.reads : null }));
  const since = options.now - options.days * 24 * HOUR_MS;
  const withReads = hours.filter((hour) => hour.reads > 0);
  const first = withReads[0];
  const over = withReads.filter((hour) => Date.parse(hour.at) >= since && (hour.fallbackRate ?? 0) > options.maxFallbackRate);
  const pct = (rate: number) => `${Math.round(rate * 100_000) / 1000} %`;
  if (first === undefined) return { hours, readyToRemoveFallback: false, reason: "no reads on the new backend yet" };
  if (Date.parse(first.at) > since) return { hours, readyToRemoveFallback: false, reason: `reads on the new backend only since ${first.at}: wait for ${options.days} days of them` };
  const last = over.at(-1);
  if (last !== undefined) {
    return { hours, readyToRemoveFallback: false, reason: `${over.length} hour${over.length === 1 ? "" : "s"} of the last ${options.days} days fell back more than ${pct(options.maxFallbackRate)} (the latest ${last.at}: ${pct(last.fallbackRate ?? 0)})` };
  }
  return { hours, readyToRemoveFallback: true, reason: `every hour of the last ${options.days} days fell back at most ${pct(options.maxFallbackRate)}: the backfill is complete` };
}
