import type { Hono } from "hono";
import type { AdminDeps } from "./deps.ts";
import type { AdminEnv } from "./auth.ts";
import type { AuditAnswer, VersionAnswer, VersionsAnswer } from "./contract/index.ts";
import { problem } from "./http.ts";

/** GET /versions, GET /versions/:n, GET /audit. */
export function registerHistory(api: Hono<AdminEnv>, deps: AdminDeps): void {
  api.get("/versions", async (c) => {
    if (!deps.store) return problem(c, 409, "read_only", "A static route table (CUTOVER_ROUTES) has no version history.");
    const limit = boundedInt(c.req.query("limit"), 20, 1, 200);
    const beforeText = c.req.query("before");
    const before = beforeText === undefined ? undefined : Number(beforeText);
    if (before !== undefined && (!Number.isInteger(before) || before < 1)) return problem(c, 400, "invalid_version", "`before` is a version number.");
    const [listing, activeVersion] = await Promise.all([deps.store.listVersions({ limit, before }), deps.store.activeVersion()]);
    const answer: VersionsAnswer = { activeVersion, versions: listing.versions.map((info) => ({ ...info, active: info.version === activeVersion })), skipped: listing.skipped };
    return c.json(answer);
  });

  api.get("/versions/:n", async (c) => {
    if (!deps.store) return problem(c, 409, "read_only", "A static route table (CUTOVER_ROUTES) has no version history.");
    const version = Number(c.req.param("n"));
    if (!Number.isInteger(version) || version < 1) return problem(c, 400, "invalid_version", "A version is a positive whole number.");
    const found = await deps.store.getVersion(version);
    if (!found) return problem(c, 404, "unknown_version", `There is no version ${version}.`);
    const answer: VersionAnswer = { version: found.version, info: found.info ?? null, table: found.table };
    return c.json(answer);
  });

  api.get("/audit", async (c) => {
    if (!deps.store) return problem(c, 409, "read_only", "A static route table (CUTOVER_ROUTES) has no audit log.");
    const limit = boundedInt(c.req.query("limit"), 50, 1, 500);
    const answer: AuditAnswer = { entries: await deps.store.listAudit({ limit }) };
    return c.json(answer);
  });
}

function boundedInt(value: string | undefined, fallback: number, min: number, max: number): number {
  const number = Number(value);
  if (value === undefined || !Number.isInteger(number)) return fallback;
  return Math.min(max, Math.max(min, number));
}
