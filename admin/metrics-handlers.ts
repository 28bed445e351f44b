import { routeIds } from "../routes/table-lines.ts";
import type { Context, Hono } from "hono";
import { samplePath } from "../accounting/path-template.ts";
import { migratedShare, parseDuration, periodOf, point, toSeries, totals, type PeriodCounts } from "../accounting/series.ts";
import type { CompiledTable } from "../routes/compile.ts";
import { compileTable } from "../routes/compile.ts";
import { DEFAULT_ROUTE_ID } from "../routes/plan.ts";
import { MAX_STORED_TEMPLATES, type Cell, type MetricsStore } from "../store/metrics-store.ts";
import type { AdminEnv } from "./auth.ts";
import type { InventoryAnswer, MetricsOverviewAnswer, ProgressAnswer, RouteMetricsAnswer } from "./contract/index.ts";
import type { AdminDeps } from "./deps.ts";
import { problem } from "./http.ts";

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
/** Minute-resolution series are read up to this far back; longer windows use hours. */
const MAX_MINUTE_WINDOW = 2 * DAY;

/** GET /metrics, /inventory, /progress: traffic accounting (viewer). */
export function registerMetrics(api: Hono<AdminEnv>, deps: AdminDeps): void {
  const noStore = (c: Context) => problem(c, 409, "no_store", "Traffic accounting needs the DynamoDB store (CUTOVER_DYNAMODB_TABLE).");

  api.get("/metrics", async (c) => {
    const store = deps.metricsStore;
    if (!store) return noStore(c);
    const now = deps.now();
    const window = parseDuration(c.req.query("since") ?? "1h");
    if (window === undefined || window > 14 * DAY) return problem(c, 400, "invalid_request", "`since` is a duration such as 15m, 1h or 7d (at most 14d).");
    const stepText = c.req.query("step");
    const step = stepText === undefined ? defaultStep(window) : parseDuration(stepText);
    if (step === undefined || step < MINUTE) return problem(c, 400, "invalid_request", "`step` is a duration of at least 1m, such as 1m, 5m or 1h.");
    const route = c.req.query("route");
    if (route === undefined) {
      // Every route: totals per backend over the window (what `cutover status` shows).
      const table = await activeTable(deps);
      const cellsByRoute = await everyRoute(store, now - window, now, step);
      // The table's routes, then those since removed that served in the window (legacy served them too).
      const current = [...(table ? routeIds(table.table) : []), DEFAULT_ROUTE_ID];
      const inTable = new Set(current);
      const ids = [...current, ...[...cellsByRoute.keys()].filter((id) => !inTable.has(id)).sort()];
      const byRoute = ids.map((id) => ({ route: id, cells: cellsByRoute.get(id) ?? [] }));
      const overview: MetricsOverviewAnswer = {
        since: new Date(now - window).toISOString(),
        defaultBackend: table?.table.default ?? null,
        routes: byRoute.map(({ route: id, cells }) => ({
          route: id,
          backends: Object.fromEntries([...totals(cells)].map(([backend, counts]) => [backend, point(new Date(now - window).toISOString(), counts)])),
        })),
      };
      return c.json(overview);
    }
    const cells = await cellsFor(store, route, now - window, now, step);
    const answer: RouteMetricsAnswer = {
      route,
      since: new Date(now - window).toISOString(),
      step: `${step / MINUTE}m`,
      series: toSeries(cells, step),
      totals: Object.fromEntries([...totals(cells)].map(([backend, counts]) => [backend, point(new Date(now - window).toISOString(), counts)])),
    };
    return c.json(answer);
  });

  api.get("/inventory", async (c) => {
    const store = deps.metricsStore;
    if (!store) return noStore(c);
    const limit = Math.min(1000, Math.max(1, Number(c.req.query("limit") ?? 100) || 100));
    const [templates, table] = await Promise.all([store.inventory(), activeTable(deps)]);
    const answer: InventoryAnswer = {
      // New templates are turned away once this many are stored (until old ones expire).
      stored: templates.length,
      maxStored: MAX_STORED_TEMPLATES,
      templates: templates.slice(0, limit).map((item) => {
        const covered = table?.matcher.match(item.methods[0] ?? "GET", "", samplePath(item.template));
        const [s2, s3, s4, s5] = item.status;
        return { ...item, status: { "2xx": s2, "3xx": s3, "4xx": s4, "5xx": s5 }, coveredBy: covered?.id ?? null };
      }),
    };
    return c.json(answer);
  });

  api.get("/progress", async (c) => {
    const store = deps.metricsStore;
    if (!store) return noStore(c);
    const days = Math.min(14, Math.max(1, Number(c.req.query("days") ?? 7) || 7));
    const now = deps.now();
    const table = await activeTable(deps);
    const legacy = table?.table.default ?? "legacy";
    const dayNames = Array.from({ length: days }, (_, i) => new Date(now - (days - 1 - i) * DAY).toISOString().slice(0, 10));
    const perDay = await Promise.all(dayNames.map((day) => store.hours(day)));
    const all = perDay.flat();
    const lastDay = all.filter((cell) => Date.parse(`${cell.period}:00Z`) >= now - DAY);
    const byRoute = new Map<string, Cell[]>();
    for (const cell of all) (byRoute.get(cell.route) ?? byRoute.set(cell.route, []).get(cell.route))?.push(cell);
    const answer: ProgressAnswer = {
      legacyBackend: legacy,
      share: { last24h: migratedShare(totals(lastDay), legacy), [`last${days}d`]: migratedShare(totals(all), legacy) },
      daily: dayNames.map((day, i) => ({ day, share: migratedShare(totals(perDay[i] ?? []), legacy), requests: sum(perDay[i] ?? []) })),
      hourly: hourly(lastDay, now, legacy),
      routes: [...byRoute].map(([route, cells]) => ({ route, share: migratedShare(totals(cells), legacy), requests: sum(cells) })).sort((a, b) => b.requests - a.requests),
    };
    return c.json(answer);
  });
}

/**
 * Every route's cells over a window, by route, read in proportion to the routes that had
 * traffic, not to the table: the day partitions of hour cells (one query per day, every
 * route's) say which routes had any, and only those are read at minute resolution. Hour cells
 * are flushed at most 20 s late, so a route whose first request in the hour came later than
 * that shows from the next refresh. (One query per route of a 1 000-route table cost the
 * dashboard's overview 1 000 DynamoDB reads and about a second of CPU per view: bench/dashboard.ts.)
 */
async function everyRoute(store: MetricsStore, from: number, until: number, step: number): Promise<Map<string, PeriodCounts[]>> {
  const fromHour = periodOf(from, "h");
  const hourCells = (await Promise.all(daysOf(from, until).map((day) => store.hours(day)))).flat().filter((cell) => cell.period >= fromHour);
  const byRoute = new Map<string, Cell[]>();
  for (const cell of hourCells) {
    const cells = byRoute.get(cell.route);
    if (cells === undefined) byRoute.set(cell.route, [cell]);
    else cells.push(cell);
  }
  if (!(step < HOUR && until - from <= MAX_MINUTE_WINDOW)) return byRoute;
  const routes = [...byRoute.keys()];
  const minutes = await Promise.all(routes.map((route) => store.minutes(route, periodOf(from, "m"), periodOf(until, "m"))));
  return new Map(routes.map((route, i) => [route, minutes[i] ?? []]));
}

function daysOf(from: number, until: number): string[] {
  const days: string[] = [];
  for (let at = from - (from % DAY); at <= until; at += DAY) days.push(new Date(at).toISOString().slice(0, 10));
  return days;
}

/** The cells of a route over a window, at minute resolution when the step allows it, else hours. */
async function cellsFor(store: MetricsStore, route: string, from: number, until: number, step: number): Promise<PeriodCounts[]> {
  if (step < HOUR && until - from <= MAX_MINUTE_WINDOW) return store.minutes(route, periodOf(from, "m"), periodOf(until, "m"));
  const cells = (await Promise.all(daysOf(from, until).map((day) => store.hours(day, route)))).flat();
  const fromHour = periodOf(from, "h");
  return cells.filter((cell) => cell.period >= fromHour);
}

function defaultStep(window: number): number {
  if (window <= 3 * HOUR) return MINUTE;
  if (window <= DAY) return 5 * MINUTE;
  return HOUR;
}

function hourly(cells: readonly Cell[], now: number, legacy: string): { at: string; share: number | null; requests: number }[] {
  const out: { at: string; share: number | null; requests: number }[] = [];
  for (let i = 23; i >= 0; i--) {
    const hour = periodOf(now - i * HOUR, "h");
    const inHour = cells.filter((cell) => cell.period === hour);
    out.push({ at: `${hour}:00:00.000Z`, share: migratedShare(totals(inHour), legacy), requests: sum(inHour) });
  }
  return out;
}

function sum(cells: readonly PeriodCounts[]): number {
  return cells.reduce((total, cell) => total + cell.counts.requests - cell.counts.fellBack, 0);
}

/** The active table compiled (for coverage and route ids); undefined while there is none. */
async function activeTable(deps: AdminDeps): Promise<CompiledTable | undefined> {
  try {
    const active = await deps.source.getActive();
    return compileTable(active.table, active.version);
  } catch {
    return undefined;
  }
}
