import type { Hono } from "hono";
import { changeWeights } from "../routes/change-weights.ts";
import { validateRouteTable } from "../routes/validate.ts";
import { NoRouteTableError } from "../store/no-route-table-error.ts";
import type { ActiveTable, PublishRequest, RouteTableStore } from "../store/route-store.ts";
import { logEvent } from "../lib/log.ts";
import type { AdminDeps } from "./deps.ts";
import type { AdminEnv } from "./auth.ts";
import { parseIfMatch, problem, readBody } from "./http.ts";
import { PutRoutesBody, RollbackBody, WeightsBody } from "./schemas.ts";

/** How often a targeted change (weights, rollback to a named version) is re-applied on a newer table. */
const RETRIES = 3;

/** GET/PUT /routes, POST /routes/:id/weights, POST /rollback. */
export function registerRoutes(api: Hono<AdminEnv>, deps: AdminDeps): void {
  const activated = (active: ActiveTable) => {
    deps.cache.accept(active);
    if (active.recordingProblems) {
      logEvent("error", "audit_write_failed", { version: active.version, problems: active.recordingProblems });
    }
    return { version: active.version, info: active.info };
  };

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
    const result = await store.publish({ table: table.value, expectedVersion: expected, author: c.get("principal").name, reason: body.value.reason, action: "apply" });
    if (!result.ok) return stale(c, result.error.activeVersion, expected);
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
        return stale(c, active.version, body.value.expectedVersion);
      }
      const changed = changeWeights(active.table, routeId, body.value.weights);
      if (!changed.ok) {
        if (changed.error.reason === "unknown_route") return problem(c, 404, "unknown_route", `No route '${routeId}' in version ${active.version}.`);
        const issues = changed.error.issues;
        return problem(c, 400, "invalid_weights", `These weights are not valid: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`, { issues });
      }
      const result = await store.publish({
        table: changed.value.table,
        expectedVersion: active.version,
        author: c.get("principal").name,
        reason: body.value.reason,
        action: "weights",
        details: { route: routeId, before: changed.value.before, after: body.value.weights },
      });
      if (result.ok) return c.json(activated(result.value));
      if (body.value.expectedVersion !== undefined || attempt >= RETRIES) return stale(c, result.error.activeVersion, active.version);
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
        author: c.get("principal").name,
        reason: body.value.reason,
        action: "rollback",
        restoredFrom: target,
      };
      const result = await store.publish(request);
      if (result.ok) return c.json({ ...activated(result.value), restoredFrom: target });
      // "Back to the previous version" means something else once another change landed.
      if (body.value.toVersion === undefined || attempt >= RETRIES) return stale(c, result.error.activeVersion, active.version);
    }
  });
}

async function activeOrNone(store: RouteTableStore): Promise<ActiveTable | undefined> {
  try {
    return await store.getActive();
  } catch (error) {
    if (error instanceof NoRouteTableError) return undefined;
    throw error;
  }
}

function readOnly(c: Parameters<typeof problem>[0]): Response {
  return problem(c, 409, "read_only", "The route table comes from the CUTOVER_ROUTES variable; configure the DynamoDB store (CUTOVER_DYNAMODB_TABLE) to change it at runtime.");
}

function stale(c: Parameters<typeof problem>[0], activeVersion: number, basedOn: number): Response {
  return problem(c, 412, "stale_version", `Version ${activeVersion} is active, not ${basedOn}: read the routes again and re-apply your change.`, { activeVersion });
}
