import { logEvent } from "../lib/log.ts";
import { err, ok, type Result } from "../lib/result.ts";
import type { Hold } from "../migration/decommission.ts";
import type { Backend, RouteTable } from "../routes/schema.ts";
import type { SettingsStore } from "../store/settings-store.ts";
import { publishChange, type PublishDeps, type Refusal } from "./publish.ts";

const DAY = 86_400_000;
/** How often legacy is called during the grace period (the Cron Trigger runs every minute). */
const WARM_EVERY_MS = 5 * 60_000;
const WARM_TIMEOUT_MS = 10_000;

export interface DecommissionDeps extends PublishDeps {
  readonly settings: SettingsStore;
  readonly now: () => number;
  /** The propagation bound: the switch-off takes effect everywhere at one moment, this long after it is written. */
  readonly propagationMs: number;
}

export interface SwitchOffRequest {
  readonly actor: string;
  readonly reason: string;
  /** What holds legacy up now (migration/decommission.ts, read by the caller): none, or `force`. */
  readonly holds: readonly Hold[];
  readonly force: boolean;
  readonly graceDays: number;
  /** The static answer the default becomes, or the name of a backend of the table (an S3 page) to answer instead. */
  readonly gone: { readonly page: Pick<Backend, "status" | "body" | "contentType"> } | { readonly backend: string };
}

/** How legacy answered a keep-warm call (status null: it did not answer). */
export interface WarmCall {
  readonly at: string;
  readonly status: number | null;
  readonly error?: string;
}

/** The switch-off record (`settings/decommission`; admin/contract/decommission.ts `SwitchOffState` describes it). */
export interface SwitchOffRecord {
  readonly status: "switched-off" | "rolled-back";
  readonly legacy: string;
  readonly goneBackend: string;
  readonly at: string;
  readonly by: string;
  readonly reason: string;
  readonly version: number;
  readonly previousVersion: number;
  readonly graceUntil: string;
  readonly forced: boolean;
  readonly holdsAtSwitchOff: readonly Hold[];
  readonly lastWarm?: WarmCall;
  readonly rolledBack?: { readonly at: string; readonly by: string; readonly reason: string; readonly version: number };
}

type Stored = SwitchOffRecord;

/**
 * Switches legacy off (the story's last step): the table's default backend becomes a static
 * "gone" answer (or an S3 page), published like any change (audited, one moment everywhere);
 * the legacy backend stays in the table, so `rollBack` is one command, and during the grace
 * period the tick calls it (`keepWarm`) to show it still answers. Refused while anything
 * holds legacy up, unless forced (the holds are kept in the record and the audit entry).
 */
export async function switchOff(deps: DecommissionDeps, request: SwitchOffRequest): Promise<Result<{ state: Stored; version: number; effectiveAt: string }, Refusal>> {
  const stored = await deps.settings.get<Stored>("decommission");
  if (stored?.value.status === "switched-off") return err({ code: "already_switched_off", message: `Legacy ('${stored.value.legacy}') was switched off at ${stored.value.at} (version ${stored.value.version}); \`cutover decommission rollback\` brings it back.` });
  if (request.holds.length > 0 && !request.force) {
    return err({ code: "not_ready", message: `${request.holds.length} thing${request.holds.length === 1 ? "" : "s"} still hold${request.holds.length === 1 ? "s" : ""} legacy up (cutover decommission check); switch off anyway only with --force.`, extra: { holds: request.holds } });
  }
  let legacy = "";
  let goneBackend = "";
  const outcome = await publishChange(deps, {
    author: request.actor,
    reason: request.reason,
    action: "decommission",
    delayMs: deps.propagationMs,
    change: async (current) => {
      const table = await current.table();
      legacy = table.default;
      const gone = goneFor(table, request.gone);
      if (!gone.ok) return gone;
      goneBackend = gone.value.name;
      const backends = gone.value.backend === undefined ? table.backends : { ...table.backends, [gone.value.name]: gone.value.backend };
      const next: RouteTable = { ...table, backends, default: gone.value.name };
      return ok({ table: next, details: { legacy, goneBackend, forced: request.holds.length > 0, holds: request.holds.length }, result: current.version });
    },
  });
  if (!outcome.ok) return err(outcome.reason === "refused" ? outcome.refusal : outcome.reason === "no_table" ? { code: "no_table", message: "No route table is stored yet." } : { code: "stale_version", message: "The table changed while switching off: try again." });
  const at = new Date(deps.now()).toISOString();
  const state: Stored = {
    status: "switched-off",
    legacy,
    goneBackend,
    at,
    by: request.actor,
    reason: request.reason,
    version: outcome.published.version,
    previousVersion: outcome.result,
    graceUntil: new Date(deps.now() + request.graceDays * DAY).toISOString(),
    forced: request.holds.length > 0,
    holdsAtSwitchOff: request.holds,
  };
  await putState(deps, state, stored?.revision ?? 0);
  return ok({ state, version: outcome.published.version, effectiveAt: outcome.published.info?.effectiveAt ?? at });
}

/**
 * Brings legacy back as the default backend, at once (a rollback waits for nothing). Only a
 * switch-off that is in force; refused when the legacy backend has been taken out of the table.
 */
export async function rollBack(deps: DecommissionDeps, request: { readonly actor: string; readonly reason: string }): Promise<Result<{ state: Stored; version: number; effectiveAt: string }, Refusal>> {
  const stored = await deps.settings.get<Stored>("decommission");
  if (stored === undefined || stored.value.status !== "switched-off") return err({ code: "not_switched_off", message: "Legacy has not been switched off: there is nothing to roll back." });
  const record = stored.value;
  const outcome = await publishChange(deps, {
    author: request.actor,
    reason: request.reason,
    action: "decommission",
    change: async (current) => {
      const table = await current.table();
      if (!Object.hasOwn(table.backends, record.legacy)) return err({ code: "legacy_removed", message: `The table has no backend '${record.legacy}' any more: put it back (cutover routes apply) to roll back.` });
      return ok({ table: { ...table, default: record.legacy }, details: { legacy: record.legacy, rollbackOf: record.version }, result: undefined });
    },
  });
  if (!outcome.ok) return err(outcome.reason === "refused" ? outcome.refusal : { code: "stale_version", message: "The table changed while rolling back: try again." });
  const at = new Date(deps.now()).toISOString();
  const state: Stored = { ...record, status: "rolled-back", rolledBack: { at, by: request.actor, reason: request.reason, version: outcome.published.version } };
  await putState(deps, state, stored.revision);
  return ok({ state, version: outcome.published.version, effectiveAt: outcome.published.info?.effectiveAt ?? at });
}

/**
 * During the grace period after a switch-off, calls legacy now and then (GET / on its origin)
 * and records how it answered: the dyno stays warm, and the operator sees that a rollback
 * would find it up. After the grace period, nothing (the dyno may be scaled to zero).
 */
export async function keepWarm(deps: DecommissionDeps & { readonly table: RouteTable; readonly fetch: typeof fetch }): Promise<WarmCall | undefined> {
  const stored = await deps.settings.get<Stored>("decommission");
  const record = stored?.value;
  const now = deps.now();
  if (stored === undefined || record === undefined || record.status !== "switched-off" || now >= Date.parse(record.graceUntil)) return undefined;
  if (record.lastWarm !== undefined && now - Date.parse(record.lastWarm.at) < WARM_EVERY_MS) return undefined;
  const backend = deps.table.backends[record.legacy];
  if (backend?.url === undefined || backend.auth !== undefined) return undefined;
  let lastWarm: WarmCall;
  try {
    const response = await deps.fetch(new URL("/", backend.url), { headers: { "user-agent": "cutover-keep-warm", "x-cutover-keep-warm": "1" }, redirect: "manual", signal: AbortSignal.timeout(WARM_TIMEOUT_MS) });
    await response.body?.cancel();
    lastWarm = { at: new Date(now).toISOString(), status: response.status };
  } catch (error) {
    lastWarm = { at: new Date(now).toISOString(), status: null, error: error instanceof Error ? error.message : String(error) };
  }
  if (lastWarm.status === null || lastWarm.status >= 500) logEvent("warn", "legacy_keep_warm_failed", { legacy: record.legacy, ...lastWarm });
  await deps.settings.put("decommission", { ...record, lastWarm }, stored.revision, lastWarm.at);
  return lastWarm;
}

/** `keepWarm` on the active table, for the tick: never throws (a failed call is logged and recorded). */
export async function warmTick(deps: DecommissionDeps & { readonly fetch: typeof fetch }): Promise<WarmCall | undefined> {
  try {
    const active = await deps.store.getActive();
    return await keepWarm({ ...deps, table: active.table });
  } catch (error) {
    logEvent("error", "legacy_keep_warm_error", { error });
    return undefined;
  }
}

/** The switch-off record, if there is one. */
export async function switchOffState(settings: SettingsStore): Promise<Stored | undefined> {
  return (await settings.get<Stored>("decommission"))?.value;
}

/** The backend the default becomes: a new static one (named `gone`, or `gone-2`…), or one of the table's (an S3 page, a static answer). */
function goneFor(table: RouteTable, gone: SwitchOffRequest["gone"]): Result<{ name: string; backend?: Backend }, Refusal> {
  if ("backend" in gone) {
    const backend = table.backends[gone.backend];
    if (backend === undefined) return err({ code: "unknown_backend", message: `No backend '${gone.backend}' in the table (known: ${Object.keys(table.backends).join(", ")}).` });
    if (gone.backend === table.default) return err({ code: "unknown_backend", message: `'${gone.backend}' is the legacy backend itself.` });
    if (backend.type !== "s3" && backend.type !== "static") return err({ code: "not_static", message: `'${gone.backend}' is an app, not a page: switch off to a backend of type 's3' or 'static'.` });
    return ok({ name: gone.backend });
  }
  let name = "gone";
  for (let n = 2; Object.hasOwn(table.backends, name); n++) name = `gone-${n}`;
  const page = Object.fromEntries(Object.entries(gone.page).filter(([, value]) => value !== undefined));
  return ok({ name, backend: { type: "static", ...page } });
}

async function putState(deps: DecommissionDeps, state: Stored, expected: number): Promise<void> {
  // The table change is made and audited; a lost write of the record is logged, and `decommission status` reads the table too.
  for (let attempt = 0, revision = expected; attempt < 3; attempt++) {
    if (await deps.settings.put("decommission", state, revision, state.rolledBack?.at ?? state.at)) return;
    revision = (await deps.settings.get("decommission"))?.revision ?? 0;
  }
  logEvent("error", "decommission_record_lost", { state });
}
