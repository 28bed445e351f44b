import { findRoute, routeIds } from "../routes/table-lines.ts";
import type { Context, Hono } from "hono";
import { canonicalJson } from "../lib/canonical-json.ts";
import { logEvent } from "../lib/log.ts";
import { didYouMean } from "../lib/nearest.ts";
import { changeWeights } from "../routes/change-weights.ts";
import { restoreRoute } from "../routes/restore-route.ts";
import type { RouteTable } from "../routes/schema.ts";
import { validateRouteTable } from "../routes/validate.ts";
import { NoRouteTableError } from "../store/no-route-table-error.ts";
import type { ActiveTable, PublishRequest, Published, RouteTableStore } from "../store/route-store.ts";
import type { AdminEnv } from "./auth.ts";
import type { AdminDeps } from "./deps.ts";
import { parseIfMatch, problem, readBody } from "./http.ts";
import { PutRoutesBody, RollbackBody, RouteRollbackBody, WeightsBody } from "./schemas.ts";

/** How often a targeted change (weights, rollback to a named version) is re-applied on a newer table. */
const RETRIES = 3;
/** How far back a per-route rollback looks for the route's previous definition. */
const ROUTE_HISTORY = 50;

/**
 * GET/PUT /routes, POST /routes/:id/weights, POST /routes/:id/rollback, POST /rollback.
 *
 * A change other than a rollback takes effect everywhere at one moment, one propagation
 * bound after it is written (`effectiveAt`): no user flaps between sides while isolates
 * catch up. A rollback takes effect at once: when something is wrong, every isolate should
 * stop it as soon as it reads the change, and a user moved back to legacy a second early
 * is the lesser harm.
 */
export function registerRoutes(api: Hono<AdminEnv>, deps: AdminDeps): void {
  const activated = (published: Published) => {
    if (!published.unchanged) deps.cache.accept(published);
    if (published.warnings) logEvent("error", "recording_failed", { version: published.version, warnings: published.warnings });
    return {
      version: published.version,
      info: published.info,
      ...(published.unchanged ? { unchanged: true } : {}),
      ...(published.info?.effectiveAt ? { effectiveAt: published.info.effectiveAt } : {}),
      ...(published.warnings ? { warnings: published.warnings } : {}),
    };
  };
  const author = (c: Context<AdminEnv>) => c.get("principal").name;

  api.get("/routes", async (c) => {
    try {
      const active = await deps.source.getActive();
      c.header("etag", `"${active.version}"`);
      return c.json({ version: active.version, info: active.info ?? null, table: active.table });
    } catch (error) {
      if (error instanceof NoRouteTableError) return problem(c, 404, "no_table", "No route table has been stored yet: PUT one with If-Match: 0.", { version: 0 });
      throw error;
    }
  });

  api.put("/routes", async (c) => {
    const store = deps.store;
    if (!store) return readOnly(c);
    const expected = parseIfMatch(c.req.header("if-match"));
    if (expected === undefined) {
      return problem(c, 428, "if_match_required", 'Send If-Match: "<version>" with the version your change is based on ("0" for the first table).');
    }
    const body = await readBody(c, PutRoutesBody);
    if (!body.ok) return body.response;
    const table = validateRouteTable(body.value.table);
    if (!table.ok) {
      const issues = table.error.map((issue) => ({ ...issue, path: issue.path.replace(/^\$/, "$.table") }));
      return problem(c, 400, "invalid_table", `The route table is invalid: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`, { issues });
    }
    const result = await store.publish({ table: table.value, expectedVersion: expected, author: author(c), reason: body.value.reason, action: "apply", delayMs: deps.propagationMs });
    if (!result.ok) return stale(c, store, result.error.activeVersion, expected);
    c.header("etag", `"${result.value.version}"`);
    return c.json(activated(result.value));
  });

  api.post("/routes/:id/weights", async (c) => {
    const store = deps.store;
    if (!store) return readOnly(c);
    const body = await readBody(c, WeightsBody);
    if (!body.ok) return body.response;
    const routeId = c.req.param("id");
    for (let attempt = 0; ; attempt++) {
      const active = await activeOrNone(store);
      if (!active) return problem(c, 404, "no_table", "No route table has been stored yet.");
      if (body.value.expectedVersion !== undefined && body.value.expectedVersion !== active.version) {
        return stale(c, store, active.version, body.value.expectedVersion);
      }
      const changed = changeWeights(active.table, routeId, body.value.weights);
      if (!changed.ok) {
        if (changed.error.reason === "unknown_route") return unknownRoute(c, routeId, active);
        const issues = changed.error.issues;
        return problem(c, 400, "invalid_weights", `These weights are not valid: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`, { issues });
      }
      const result = await store.publish({
        table: changed.value.table,
        expectedVersion: active.version,
        author: author(c),
        reason: body.value.reason,
        action: "weights",
        details: { route: routeId, before: changed.value.before, after: body.value.weights },
        delayMs: deps.propagationMs,
      });
      if (result.ok) return c.json(activated(result.value));
      if (body.value.expectedVersion !== undefined || attempt >= RETRIES) return stale(c, store, result.error.activeVersion, active.version);
    }
  });

  api.post("/routes/:id/rollback", async (c) => {
    const store = deps.store;
    if (!store) return readOnly(c);
    const body = await readBody(c, RouteRollbackBody);
    if (!body.ok) return body.response;
    const routeId = c.req.param("id");
    for (let attempt = 0; ; attempt++) {
      const active = await activeOrNone(store);
      if (!active) return problem(c, 404, "no_table", "No route table has been stored yet.");
      const source = body.value.toVersion !== undefined ? await store.getVersion(body.value.toVersion) : await lastDifferentVersion(store, active, routeId);
      if (!source) {
        return body.value.toVersion !== undefined
          ? problem(c, 404, "unknown_version", `There is no version ${body.value.toVersion} that was ever active.`)
          : problem(c, 409, "nothing_to_roll_back", `Route '${routeId}' is the same in the last ${ROUTE_HISTORY} versions: there is no earlier definition to restore.`);
      }
      const restored = restoreRoute(active.table, routeId, source.table);
      if (!restored.ok) {
        if (restored.error.reason === "unchanged") return problem(c, 409, "already_active", `Route '${routeId}' is already as it was in version ${source.version}.`);
        const issues = restored.error.issues;
        return problem(c, 409, "cannot_restore", `Route '${routeId}' of version ${source.version} does not fit the active table: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`, { issues });
      }
      const result = await store.publish({
        table: restored.value.table,
        expectedVersion: active.version,
        author: author(c),
        reason: body.value.reason,
        action: "route-rollback",
        restoredFrom: source.version,
        details: { route: routeId, before: restored.value.before ?? null, after: restored.value.after ?? null },
      });
      if (result.ok) return c.json({ ...activated(result.value), route: routeId, restoredFrom: source.version });
      if (attempt >= RETRIES) return stale(c, store, result.error.activeVersion, active.version);
    }
  });

  api.post("/rollback", async (c) => {
    const store = deps.store;
    if (!store) return readOnly(c);
    const body = await readBody(c, RollbackBody);
    if (!body.ok) return body.response;
    for (let attempt = 0; ; attempt++) {
      // The active version's info only, not its table: a rollback must work even when the
      // active table is the one that cannot be read.
      const active = await store.activeInfo();
      if (!active) return problem(c, 404, "no_table", "No route table has been stored yet.");
      const target = body.value.toVersion ?? active.parent;
      if (target === 0) return problem(c, 409, "nothing_to_roll_back", `Version ${active.version} is the first version: there is nothing before it.`);
      if (target === active.version) return problem(c, 409, "already_active", `Version ${target} is already active.`);
      const earlier = await store.getVersion(target);
      if (!earlier) return problem(c, 404, "unknown_version", `There is no version ${target} that was ever active.`);
      const request: PublishRequest = {
        table: earlier.table,
        expectedVersion: active.version,
        author: author(c),
        reason: body.value.reason,
        action: "rollback",
        restoredFrom: target,
      };
      const result = await store.publish(request);
      if (result.ok) return c.json({ ...activated(result.value), restoredFrom: target });
      // "Back to the previous version" means something else once another change landed.
      if (body.value.toVersion === undefined || attempt >= RETRIES) return stale(c, store, result.error.activeVersion, active.version);
    }
  });
}

/** The newest earlier version in which the route is defined differently from now. */
async function lastDifferentVersion(store: RouteTableStore, active: ActiveTable, routeId: string): Promise<ActiveTable | undefined> {
  const now = canonicalJson(findRoute(active.table, routeId));
  const { versions } = await store.listVersions({ limit: ROUTE_HISTORY, before: active.version });
  for (const info of versions) {
    const earlier = await store.getVersion(info.version);
    if (earlier && canonicalJson(findRoute(earlier.table, routeId)) !== now) return earlier;
  }
  return undefined;
}

async function activeOrNone(store: RouteTableStore): Promise<ActiveTable | undefined> {
  try {
    return await store.getActive();
  } catch (error) {
    if (error instanceof NoRouteTableError) return undefined;
    throw error;
  }
}

export function unknownRoute(c: Context, routeId: string, active: { version: number; table: RouteTable }): Response {
  const ids = routeIds(active.table);
  return problem(c, 404, "unknown_route", `No route '${routeId}' in version ${active.version}${didYouMean(routeId, ids)}. Routes: ${ids.join(", ") || "none"}.`);
}

function readOnly(c: Context): Response {
  return problem(c, 409, "read_only", "The route table comes from the CUTOVER_ROUTES variable; configure the DynamoDB store (CUTOVER_DYNAMODB_TABLE) to change it at runtime.");
}

/** 412: someone else changed the routes first; says who, what and why, so the caller can decide. */
async function stale(c: Context, store: RouteTableStore, activeVersion: number, basedOn: number): Promise<Response> {
  const since = (await store.listAudit({ limit: 20 }).catch(() => [])).filter((entry) => entry.after !== undefined && entry.after > basedOn && entry.after <= activeVersion);
  const who = since.map((entry) => `version ${entry.after} by ${entry.actor} (${entry.action}): ${entry.reason}`).join("; ");
  return problem(c, 412, "stale_version", `Version ${activeVersion} is active, not ${basedOn}${who ? ` — changed since: ${who}` : ""}. Read the routes again and re-apply your change.`, {
    activeVersion,
    basedOn,
    changesSince: since,
  });
}
