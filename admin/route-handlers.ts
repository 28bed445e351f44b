import { findRoute } from "../routes/table-lines.ts";
import type { Context, Hono } from "hono";
import { publishChange, unknownRouteRefusal, type PublishOutcome } from "../control/publish.ts";
import { canonicalJson } from "../lib/canonical-json.ts";
import { logEvent } from "../lib/log.ts";
import { err, ok } from "../lib/result.ts";
import { changeWeights } from "../routes/change-weights.ts";
import { restoreRoute } from "../routes/restore-route.ts";
import type { RouteTable } from "../routes/schema.ts";
import { validateRouteTable } from "../routes/validate.ts";
import { InvalidRouteTableError } from "../store/invalid-route-table-error.ts";
import { NoRouteTableError } from "../store/no-route-table-error.ts";
import type { ActiveTable, Published, RouteTableStore } from "../store/route-store.ts";
import type { AdminEnv } from "./auth.ts";
import type { AdminDeps } from "./deps.ts";
import { PutRoutesBody, RollbackBody, RouteRollbackBody, WeightsBody, issuesText, type Activated, type RollbackAnswer, type RouteRollbackAnswer, type RoutesAnswer } from "./contract/index.ts";
import { parseIfMatch, problem, readBody } from "./http.ts";

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
  const activated = (published: Published): Activated => {
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
  const publishDeps = { store: deps.store as RouteTableStore, accept: (published: Published) => deps.cache.accept(published) };

  api.get("/routes", async (c) => {
    try {
      const active = await deps.source.getActive();
      c.header("etag", `"${active.version}"`);
      const answer: RoutesAnswer = { version: active.version, info: active.info ?? null, table: active.table };
      return c.json(answer);
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
      return problem(c, 400, "invalid_table", `The route table is invalid: ${issuesText(issues)}`, { issues });
    }
    const outcome = await publishChange(publishDeps, {
      author: author(c),
      reason: body.value.reason,
      action: "apply",
      delayMs: deps.propagationMs,
      expectedVersion: expected,
      change: () => ok({ table: table.value, result: undefined }),
    });
    if (!outcome.ok) return failed(c, store, outcome);
    c.header("etag", `"${outcome.published.version}"`);
    return c.json(activated(outcome.published));
  });

  api.post("/routes/:id/weights", async (c) => {
    const store = deps.store;
    if (!store) return readOnly(c);
    const body = await readBody(c, WeightsBody);
    if (!body.ok) return body.response;
    const routeId = c.req.param("id");
    const outcome = await publishChange(publishDeps, {
      author: author(c),
      reason: body.value.reason,
      action: "weights",
      delayMs: deps.propagationMs,
      ...(body.value.expectedVersion === undefined ? {} : { expectedVersion: body.value.expectedVersion }),
      change: async (current) => {
        const table = await current.table();
        const changed = changeWeights(table, routeId, body.value.weights);
        if (changed.ok) return ok({ table: changed.value.table, details: { route: routeId, before: changed.value.before, after: body.value.weights }, result: undefined });
        if (changed.error.reason === "unknown_route") return err(unknownRouteRefusal(routeId, current.version, table));
        const issues = changed.error.issues;
        return err({ code: "invalid_weights", message: `These weights are not valid: ${issuesText(issues)}`, issues });
      },
    });
    return outcome.ok ? c.json(activated(outcome.published)) : failed(c, store, outcome);
  });

  api.post("/routes/:id/rollback", async (c) => {
    const store = deps.store;
    if (!store) return readOnly(c);
    const body = await readBody(c, RouteRollbackBody);
    if (!body.ok) return body.response;
    const routeId = c.req.param("id");
    const outcome = await publishChange(publishDeps, {
      author: author(c),
      reason: body.value.reason,
      action: "route-rollback",
      change: async (current) => {
        const table = await current.table();
        const source = body.value.toVersion !== undefined ? await store.getVersion(body.value.toVersion) : await lastDifferentVersion(store, current.version, table, routeId);
        if (!source) {
          return err(
            body.value.toVersion !== undefined
              ? { code: "unknown_version", message: `There is no version ${body.value.toVersion} that was ever active.` }
              : { code: "nothing_to_roll_back", message: `Route '${routeId}' is the same in the last ${ROUTE_HISTORY} versions: there is no earlier definition to restore.` },
          );
        }
        const restored = restoreRoute(table, routeId, source.table);
        if (restored.ok) return ok({ table: restored.value.table, restoredFrom: source.version, details: { route: routeId, before: restored.value.before ?? null, after: restored.value.after ?? null }, result: source.version });
        if (restored.error.reason === "unchanged") return err({ code: "already_active", message: `Route '${routeId}' is already as it was in version ${source.version}.` });
        const issues = restored.error.issues;
        return err({ code: "cannot_restore", message: `Route '${routeId}' of version ${source.version} does not fit the active table: ${issuesText(issues)}`, issues });
      },
    });
    if (!outcome.ok) return failed(c, store, outcome);
    const answer: RouteRollbackAnswer = { ...activated(outcome.published), route: routeId, restoredFrom: outcome.result };
    return c.json(answer);
  });

  api.post("/rollback", async (c) => {
    const store = deps.store;
    if (!store) return readOnly(c);
    const body = await readBody(c, RollbackBody);
    if (!body.ok) return body.response;
    const outcome = await publishChange(publishDeps, {
      author: author(c),
      reason: body.value.reason,
      action: "rollback",
      // "Back to the previous version" means something else once another change landed.
      retry: body.value.toVersion !== undefined,
      // The active version's info only, not its table: a rollback must work even when the
      // active table is the one that cannot be read.
      change: async (current) => {
        if (body.value.toVersion === undefined) {
          // The one before, or the newest earlier one that can still be read: a damaged version is never a target by default.
          const earlier = await previousReadable(store, current.info?.parent ?? 0);
          if (!earlier) return err({ code: "nothing_to_roll_back", message: `Version ${current.version} has no earlier version that can be read: there is nothing to roll back to.` });
          return ok({ table: earlier.table, restoredFrom: earlier.version, result: earlier.version });
        }
        const target = body.value.toVersion;
        if (target === current.version) return err({ code: "already_active", message: `Version ${target} is already active.` });
        const earlier = await store.getVersion(target);
        if (!earlier) return err({ code: "unknown_version", message: `There is no version ${target} that was ever active.` });
        return ok({ table: earlier.table, restoredFrom: target, result: target });
      },
    });
    if (!outcome.ok) return failed(c, store, outcome);
    const answer: RollbackAnswer = { ...activated(outcome.published), restoredFrom: outcome.result };
    return c.json(answer);
  });
}

/** What a refused or lost change answers: the refusal's own status, or 412 naming who changed the routes first. */
export async function failed(c: Context, store: RouteTableStore, outcome: Exclude<PublishOutcome<unknown>, { ok: true }>): Promise<Response> {
  if (outcome.reason === "no_table") return problem(c, 404, "no_table", "No route table has been stored yet.");
  if (outcome.reason === "stale_version") return stale(c, store, outcome.activeVersion, outcome.basedOn);
  const { code, message, issues, extra } = outcome.refusal;
  return problem(c, REFUSAL_STATUS[code] ?? 409, code, message, { ...(issues ? { issues } : {}), ...extra });
}

/** The status of each refusal a route change can meet. */
const REFUSAL_STATUS: Readonly<Record<string, 400 | 404 | 409>> = {
  invalid_weights: 400,
  invalid_table: 400,
  unknown_route: 404,
  unknown_version: 404,
  nothing_to_roll_back: 409,
  already_active: 409,
  cannot_restore: 409,
  no_shadow: 409,
};

/**
 * `version` when its table can be read, else the newest version before it that served and
 * can be read (a version damaged by hand, or stored by a release whose rules this one does
 * not accept, is skipped); undefined when there is none.
 */
async function previousReadable(store: RouteTableStore, version: number): Promise<ActiveTable | undefined> {
  const read = (candidate: number) =>
    store.getVersion(candidate).catch((error: unknown) => {
      if (error instanceof InvalidRouteTableError) return undefined;
      throw error;
    });
  if (version === 0) return undefined;
  const first = await read(version);
  if (first !== undefined) return first;
  const { versions } = await store.listVersions({ limit: ROUTE_HISTORY, before: version });
  for (const info of versions) {
    const earlier = await read(info.version);
    if (earlier !== undefined) return earlier;
  }
  return undefined;
}

/** The newest earlier version in which the route is defined differently from `table` (version `version`). */
async function lastDifferentVersion(store: RouteTableStore, version: number, table: RouteTable, routeId: string): Promise<ActiveTable | undefined> {
  const now = canonicalJson(findRoute(table, routeId));
  const { versions } = await store.listVersions({ limit: ROUTE_HISTORY, before: version });
  for (const info of versions) {
    const earlier = await store.getVersion(info.version);
    if (earlier && canonicalJson(findRoute(earlier.table, routeId)) !== now) return earlier;
  }
  return undefined;
}

export function unknownRoute(c: Context, routeId: string, active: { version: number; table: RouteTable }): Response {
  return problem(c, 404, "unknown_route", unknownRouteRefusal(routeId, active.version, active.table).message);
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
