import type { Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { parseDuration } from "../accounting/series.ts";
import { rollBack, switchOff, switchOffState } from "../control/decommission.ts";
import { decommissionCheck, type DecommissionVerdict } from "../migration/decommission.ts";
import type { Published } from "../store/route-store.ts";
import type { AdminEnv } from "./auth.ts";
import {
  DecommissionRollbackBody,
  LegacyMapAnswer,
  MetricsOverviewAnswer,
  RolloutsAnswer,
  RoutesAnswer,
  SwitchOffBody,
  type DecommissionAnswer,
  type Problem,
  type SwitchOffAnswer,
} from "./contract/index.ts";
import { inProcessApi } from "./dashboard/in-process-api.ts";
import type { AdminDeps } from "./deps.ts";
import { problem, readBody } from "./http.ts";

const DAY = 86_400_000;
const DEFAULT_WINDOW_DAYS = 14;
const DEFAULT_GRACE_DAYS = 14;

type Gathered = { ok: true; legacy: string; tableVersion: number; verdict: DecommissionVerdict } | { ok: false; status: number; problem: Problem };

/**
 * GET /decommission (viewer): what still holds legacy up (migration/decommission.ts) over the
 * last `since` days, and the switch-off when there was one. POST /decommission/switch-off and
 * /decommission/rollback (operator, audited): the story's last step and its way back
 * (control/decommission.ts). The check reads what `cutover status`, `rollout list` and
 * `legacy map` read, through the same handlers, for the same caller.
 */
export function registerDecommission(api: Hono<AdminEnv>, deps: AdminDeps): void {
  const calls = inProcessApi(api);
  const noStore = (c: Context) => problem(c, 409, "no_store", "Decommissioning needs the DynamoDB store (CUTOVER_DYNAMODB_TABLE).");
  const failed = (c: Context, gathered: Extract<Gathered, { ok: false }>) => c.json(gathered.problem, gathered.status as ContentfulStatusCode, { "cache-control": "no-store" });

  async function gather(c: Context<AdminEnv>, days: number): Promise<Gathered> {
    const principal = c.get("principal");
    const since = `${days}d`;
    const [routes, metrics, rollouts, map] = await Promise.all([
      calls.call(c, principal, "GET", "/routes", RoutesAnswer),
      calls.call(c, principal, "GET", `/metrics?since=${since}`, MetricsOverviewAnswer),
      calls.call(c, principal, "GET", "/rollouts", RolloutsAnswer),
      calls.call(c, principal, "GET", `/legacy/map?since=${since}`, LegacyMapAnswer),
    ]);
    for (const answer of [routes, metrics, rollouts]) if (!answer.ok) return answer;
    if (!map.ok && map.problem.error !== "no_surface") return map;
    if (!routes.ok || !metrics.ok || !rollouts.ok) throw new Error("unreachable");
    const record = deps.settings ? await switchOffState(deps.settings) : undefined;
    // After a switch-off the default is the "gone" answer: legacy is the backend switched off.
    const legacy = record?.status === "switched-off" ? record.legacy : routes.value.table.default;
    const verdict = decommissionCheck({
      legacy,
      routes: routes.value.table.routes,
      traffic: metrics.value.routes,
      rollouts: rollouts.value.rollouts,
      endpoints: map.ok ? map.value.endpoints : undefined,
      windowDays: days,
    });
    return { ok: true, legacy, tableVersion: routes.value.version, verdict };
  }

  api.get("/decommission", async (c) => {
    if (!deps.settings) return noStore(c);
    const days = daysOf(c.req.query("since") ?? `${DEFAULT_WINDOW_DAYS}d`);
    if (days === undefined) return problem(c, 400, "invalid_request", "`since` is a number of days from 1d to 14d, such as 14d (the metrics' retention).");
    const [gathered, record] = await Promise.all([gather(c, days), switchOffState(deps.settings)]);
    if (!gathered.ok) return failed(c, gathered);
    const answer: DecommissionAnswer = {
      since: new Date(deps.now() - days * DAY).toISOString(),
      windowDays: days,
      legacy: gathered.legacy,
      tableVersion: gathered.tableVersion,
      ...gathered.verdict,
      switchOff: record ?? null,
    };
    return c.json(answer);
  });

  const decommissionDeps = () =>
    deps.store && deps.settings ? { store: deps.store, accept: (published: Published) => deps.cache.accept(published), settings: deps.settings, now: deps.now, propagationMs: deps.propagationMs } : undefined;

  api.post("/decommission/switch-off", async (c) => {
    const control = decommissionDeps();
    if (!control) return noStore(c);
    const body = await readBody(c, SwitchOffBody);
    if (!body.ok) return body.response;
    const { reason, force, page, backend } = body.value;
    if (page !== undefined && backend !== undefined) return problem(c, 400, "invalid_request", "Give either `page` (a static answer) or `backend` (one of the table's, such as an S3 page), not both.");
    const gathered = await gather(c, body.value.windowDays ?? DEFAULT_WINDOW_DAYS);
    if (!gathered.ok) return failed(c, gathered);
    const outcome = await switchOff(control, {
      actor: c.get("principal").name,
      reason,
      holds: gathered.verdict.holds,
      force: force === true,
      graceDays: body.value.graceDays ?? DEFAULT_GRACE_DAYS,
      gone: backend !== undefined ? { backend } : { page: page ?? {} },
    });
    if (!outcome.ok) return problem(c, statusOf(outcome.error.code), outcome.error.code, outcome.error.message, { ...outcome.error.extra, ...(outcome.error.issues ? { issues: outcome.error.issues } : {}) });
    const answer: SwitchOffAnswer = { switchOff: outcome.value.state, version: outcome.value.version, effectiveAt: outcome.value.effectiveAt };
    return c.json(answer);
  });

  api.post("/decommission/rollback", async (c) => {
    const control = decommissionDeps();
    if (!control) return noStore(c);
    const body = await readBody(c, DecommissionRollbackBody);
    if (!body.ok) return body.response;
    const outcome = await rollBack(control, { actor: c.get("principal").name, reason: body.value.reason });
    if (!outcome.ok) return problem(c, statusOf(outcome.error.code), outcome.error.code, outcome.error.message);
    const answer: SwitchOffAnswer = { switchOff: outcome.value.state, version: outcome.value.version, effectiveAt: outcome.value.effectiveAt };
    return c.json(answer);
  });
}

function daysOf(text: string): number | undefined {
  const window = parseDuration(text);
  if (window === undefined || window % DAY !== 0) return undefined;
  const days = window / DAY;
  return days >= 1 && days <= 14 ? days : undefined;
}

function statusOf(code: string): ContentfulStatusCode {
  if (code === "no_table") return 404;
  if (code === "stale_version") return 412;
  if (code === "invalid_table" || code === "unknown_backend" || code === "not_static") return 400;
  return 409;
}
