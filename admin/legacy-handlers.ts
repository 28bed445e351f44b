import type { Context, Hono } from "hono";
import { parseDuration } from "../accounting/series.ts";
import { importLegacySurface } from "../control/legacy-surface.ts";
import { burndownVersions, BURNDOWN_STAGES, legacyBurndown, type BurndownVersion } from "../migration/burndown.ts";
import { diffSurfaces } from "../migration/diff-surfaces.ts";
import { migrationMap } from "../migration/migration-map.ts";
import { switchOffState } from "../control/decommission.ts";
import { compileTable, type CompiledTable } from "../routes/compile.ts";
import type { RouteTable } from "../routes/schema.ts";
import type { RouteTableStore } from "../store/route-store.ts";
import type { AdminEnv } from "./auth.ts";
import { ImportLegacyBody, type LegacyBurndownAnswer, type LegacyDiffAnswer, type LegacyImportAnswer, type LegacyImportsAnswer, type LegacyMapAnswer, type LegacySurfaceAnswer } from "./contract/index.ts";
import type { AdminDeps } from "./deps.ts";
import { problem, readBody } from "./http.ts";

const DAY = 86_400_000;
/** The longest window of the map: past the inventory's retention (14 days by default) it sees nothing more. */
const MAX_WINDOW = 90 * DAY;
/** The burndown reads at most this many versions (each a store read): the newest of the window. */
const MAX_BURNDOWN_VERSIONS = 100;
/** Versions read at once: a Worker keeps six connections open at most. */
const READS_AT_ONCE = 6;

/** GET /legacy, /legacy/imports, /legacy/diff, /legacy/map, /legacy/burndown (viewer); POST /legacy (operator, audited). */
export function registerLegacy(api: Hono<AdminEnv>, deps: AdminDeps): void {
  const noStore = (c: Context) => problem(c, 409, "no_store", "The legacy surface needs the DynamoDB store (CUTOVER_DYNAMODB_TABLE).");
  const noSurface = (c: Context) => problem(c, 404, "no_surface", "No legacy surface is imported yet: `cutover legacy import routes.txt --reason …` (what `bin/rails routes` prints, or an OpenAPI document as JSON).");
  const version = (text: string | undefined) => (text !== undefined && /^\d{1,9}$/.test(text) && Number(text) >= 1 ? Number(text) : undefined);

  api.post("/legacy", async (c) => {
    if (!deps.legacySurfaces || !deps.store) return noStore(c);
    const body = await readBody(c, ImportLegacyBody);
    if (!body.ok) return body.response;
    const { endpoints, format, sourceName, reason, expectedVersion } = body.value;
    const imported = await importLegacySurface(
      { surfaces: deps.legacySurfaces, store: deps.store },
      { endpoints, format, actor: c.get("principal").name, reason, ...(sourceName === undefined ? {} : { sourceName }), ...(expectedVersion === undefined ? {} : { expectedVersion }) },
    );
    if (!imported.ok) return problem(c, 412, "stale_version", `Import ${imported.error.latestVersion} is the newest now, not ${expectedVersion}: read it (cutover legacy show) and import again.`, { latestVersion: imported.error.latestVersion });
    const answer: LegacyImportAnswer = imported.value;
    return c.json(answer);
  });

  api.get("/legacy", async (c) => {
    if (!deps.legacySurfaces) return noStore(c);
    const asked = c.req.query("version");
    const wanted = version(asked);
    if (asked !== undefined && wanted === undefined) return problem(c, 400, "invalid_version", "`version` is an import number (cutover legacy imports).");
    const surface = wanted === undefined ? await deps.legacySurfaces.latest() : await deps.legacySurfaces.get(wanted);
    if (!surface) return wanted === undefined ? noSurface(c) : problem(c, 404, "unknown_version", `There is no legacy surface import ${wanted}.`);
    const answer: LegacySurfaceAnswer = surface;
    return c.json(answer);
  });

  api.get("/legacy/imports", async (c) => {
    if (!deps.legacySurfaces) return noStore(c);
    const limit = Math.min(200, Math.max(1, Number(c.req.query("limit") ?? 20) || 20));
    const answer: LegacyImportsAnswer = { imports: await deps.legacySurfaces.list(limit) };
    return c.json(answer);
  });

  api.get("/legacy/diff", async (c) => {
    if (!deps.legacySurfaces) return noStore(c);
    const from = version(c.req.query("from"));
    const to = version(c.req.query("to"));
    if (from === undefined || to === undefined) return problem(c, 400, "invalid_version", "`from` and `to` are import numbers (cutover legacy imports).");
    const [before, after] = await Promise.all([deps.legacySurfaces.get(from), deps.legacySurfaces.get(to)]);
    const missing = before === undefined ? from : after === undefined ? to : undefined;
    if (missing !== undefined || before === undefined || after === undefined) return problem(c, 404, "unknown_version", `There is no legacy surface import ${missing}.`);
    const answer: LegacyDiffAnswer = { from, to, changes: diffSurfaces(before.endpoints, after.endpoints) };
    return c.json(answer);
  });

  api.get("/legacy/map", async (c) => {
    if (!deps.legacySurfaces || !deps.metricsStore) return noStore(c);
    const windowMs = parseDuration(c.req.query("since") ?? "14d");
    if (windowMs === undefined || windowMs > MAX_WINDOW || windowMs < DAY / 24) return problem(c, 400, "invalid_request", "`since` is a duration such as 7d or 14d (from 1h to 90d).");
    const [surface, templates, table] = await Promise.all([deps.legacySurfaces.latest(), deps.metricsStore.inventory(), activeTable(deps)]);
    if (!surface) return noSurface(c);
    const now = deps.now();
    const map = migrationMap({ endpoints: surface.endpoints, table, templates, now, windowMs });
    const answer: LegacyMapAnswer = {
      since: new Date(now - windowMs).toISOString(),
      windowDays: Math.round((windowMs / DAY) * 100) / 100,
      surfaceVersion: surface.info.version,
      tableVersion: table?.version ?? null,
      summary: map.summary,
      endpoints: map.endpoints.map(({ endpoint, standing }) => {
        if (standing.state === "covered") return { ...endpoint, state: standing.state, route: standing.route, stage: standing.stage.stage, stageLabel: standing.stage.label, percent: standing.stage.percent };
        if (standing.state === "seen") return { ...endpoint, state: standing.state, requests: standing.requests, lastSeen: standing.lastSeen, templates: standing.templates };
        return { ...endpoint, state: standing.state, days: standing.days, lastSeen: standing.lastSeen };
      }),
      unexplained: map.unexplained,
    };
    return c.json(answer);
  });

  api.get("/legacy/burndown", async (c) => {
    const store = deps.store;
    if (!deps.legacySurfaces || !store) return noStore(c);
    const windowMs = parseDuration(c.req.query("since") ?? "30d");
    if (windowMs === undefined || windowMs > MAX_WINDOW || windowMs < DAY / 24) return problem(c, 400, "invalid_request", "`since` is a duration such as 7d or 30d (from 1h to 90d).");
    const now = deps.now();
    // One more than the cap: the version serving when the window began, when the cap leaves room for it.
    const [surface, listing] = await Promise.all([deps.legacySurfaces.latest(), store.listVersions({ limit: MAX_BURNDOWN_VERSIONS + 1 })]);
    if (!surface) return noSurface(c);
    const versions = await readVersions(store, burndownVersions(listing.versions, now - windowMs, MAX_BURNDOWN_VERSIONS), await switchedOffLegacy(deps));
    const answer: LegacyBurndownAnswer = {
      since: new Date(now - windowMs).toISOString(),
      until: new Date(now).toISOString(),
      surfaceVersion: surface.info.version,
      stages: [...BURNDOWN_STAGES],
      points: legacyBurndown(surface.endpoints, versions),
    };
    return c.json(answer);
  });
}

/** The versions' tables compiled, a few reads at a time; a version the store no longer has is left out. */
async function readVersions(store: RouteTableStore, picked: readonly { version: number; at: string }[], legacy: string | undefined): Promise<BurndownVersion[]> {
  const out: BurndownVersion[] = [];
  for (let i = 0; i < picked.length; i += READS_AT_ONCE) {
    const batch = picked.slice(i, i + READS_AT_ONCE);
    const read = await Promise.all(batch.map((entry) => store.getVersion(entry.version)));
    read.forEach((found, j) => {
      if (found) out.push({ at: (batch[j] as { at: string }).at, table: compileTable(withLegacy(found.table, legacy), found.version) });
    });
  }
  return out;
}

/** The active table compiled (for coverage); undefined while there is none. */
async function activeTable(deps: AdminDeps): Promise<CompiledTable | undefined> {
  try {
    const [active, legacy] = await Promise.all([deps.source.getActive(), switchedOffLegacy(deps)]);
    return compileTable(withLegacy(active.table, legacy), active.version);
  } catch {
    return undefined;
  }
}

/** The legacy backend while it is switched off (the table's default is then the "gone" answer), else undefined. */
async function switchedOffLegacy(deps: AdminDeps): Promise<string | undefined> {
  const record = deps.settings ? await switchOffState(deps.settings) : undefined;
  return record?.status === "switched-off" ? record.legacy : undefined;
}

/**
 * The table as stages are judged (for coverage only, never served): after legacy's switch-off,
 * a route is on legacy when it sends to the legacy backend, not to the "gone" default.
 */
function withLegacy(table: RouteTable, legacy: string | undefined): RouteTable {
  return legacy === undefined || !Object.hasOwn(table.backends, legacy) ? table : { ...table, default: legacy };
}
