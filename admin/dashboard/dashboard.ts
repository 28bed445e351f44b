import type { Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { suggestRoute } from "../../accounting/suggest-routes.ts";
import { logEvent } from "../../lib/log.ts";
import { sha256, sha256Hex } from "../../lib/sha256.ts";
import { canonicalJson } from "../../lib/canonical-json.ts";
import { changeWeights } from "../../routes/change-weights.ts";
import { diffTables } from "../../routes/diff-tables.ts";
import type { Route } from "../../routes/schema.ts";
import { validateRouteTable } from "../../routes/validate.ts";
import type { AccessConfig } from "../access-jwt.ts";
import { createAccessVerifier } from "../access-jwt.ts";
import { requestIdOf, type AdminEnv } from "../auth.ts";
import {
  Activated,
  AuditAnswer,
  InventoryAnswer,
  MetricsOverviewAnswer,
  planFromOptions,
  ProgressAnswer,
  RollbackAnswer,
  RolloutDetail,
  RolloutsAnswer,
  RolloutSummary,
  RouteMetricsAnswer,
  RouteRollbackAnswer,
  RoutesAnswer,
  ShadowListingAnswer,
  ShadowReportAnswer,
  ShadowResetAnswer,
  VersionAnswer,
  VersionsAnswer,
  type PutRoutesBody,
  type RollbackBody,
  type RolloutActionBody,
  type RouteRollbackBody,
  type ShadowResetBody,
  type StartRolloutBody,
  type WeightsBody,
} from "../contract/index.ts";
import type { AdminDeps } from "../deps.ts";
import type { Identifier, Identity } from "../identify.ts";
import { newSession, readSession, sessionCookie, sessionKey, signSession, type Session } from "../session.ts";
import type { Principal } from "../tokens.ts";
import { inProcessApi, type Answer } from "./in-process-api.ts";
import { loadMigration } from "./migration-data.ts";
import { migrationPage } from "./migration-page.ts";
import { noticeText, withNotice, type NoticeCode } from "./notices.ts";
import { CHART_RANGES, loginPage, mapPage, newRoutePage, overviewPage, rolloutPage, rolloutsPage, routePage, versionsPage, weightsConfirmPage, type ChartRange } from "./pages.ts";
import { h, layout, LIVE_SCRIPT, type Html, type PageContext } from "./view.ts";

type DashboardContext = Context<AdminEnv>;

/**
 * The dashboard under /_cutover/ on the admin host only (DESIGN.md "Dashboard", "Where the
 * operator's surfaces live"; admin/app.ts answers 404 for it on any other host):
 * server-rendered pages over the admin API, which it calls in-process for the signed-in user
 * — every action goes through the same handlers, checks and audit log as the CLI's. Sign-in
 * exchanges an admin token for a session cookie signed with CUTOVER_SESSION_SECRET (or trusts
 * Cloudflare Access's JWT); every POST, sign-out included, checks Origin and the session's
 * CSRF token, and its body is capped before it is parsed. Nothing here runs on proxied requests.
 */
export function registerDashboard(
  app: Hono<AdminEnv>,
  api: Hono<AdminEnv>,
  deps: AdminDeps,
  options: { identifier: Identifier; secret: string | undefined; access: AccessConfig | undefined },
): void {
  const key = options.secret ? sessionKey(options.secret) : undefined;
  const access = options.access ? createAccessVerifier(options.access) : undefined;
  const scriptHash = sha256(LIVE_SCRIPT).then((digest) => btoa(String.fromCharCode(...digest)));
  const nowSeconds = () => Math.floor(deps.now() / 1000);

  /** An HTML answer with the headers every dashboard page gets. */
  const page = async (c: DashboardContext, body: Html, status: ContentfulStatusCode = 200) => {
    c.header("cache-control", "no-store");
    c.header("x-frame-options", "DENY");
    c.header("content-security-policy", `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${await scriptHash}'; connect-src 'self'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`);
    return c.html(body, status);
  };

  // Forms are a few fields: anything larger is refused before it is parsed (sign-in is open to anyone).
  app.use("/login", formLimit);
  app.use("/logout", formLimit);
  app.use("/actions/*", formLimit);

  /** Who is signed in (and their session), or undefined. */
  const whoIs = async (c: DashboardContext): Promise<{ principal: Principal; session: Session } | undefined> => {
    if (key === undefined) return undefined;
    const url = new URL(c.req.url);
    const session = await readSession(await key, c.req.header("cookie") ?? null, url, nowSeconds());
    if (access !== undefined) {
      const principal = await access.verify(c.req.header("cf-access-jwt-assertion"));
      if (principal === undefined) return undefined;
      if (session && session.tokenHash === null && session.name === principal.name && session.role === principal.role) return { principal, session };
      // First request of an Access identity: a session for its CSRF token.
      const fresh = newSession(principal, null, nowSeconds());
      logEvent("info", "dashboard_session_started", { sid: fresh.sid, name: fresh.name, via: "access" });
      c.header("set-cookie", sessionCookie(url, await signSession(await key, fresh)), { append: true });
      return { principal, session: fresh };
    }
    if (session?.tokenHash == null) return undefined;
    const principal = await options.identifier.identifyHash(session.tokenHash);
    return principal && { principal, session };
  };

  /**
   * The request came from a page of this origin (the admin host's, never the site's): its
   * Origin says so, or — since the dashboard's `Referrer-Policy: no-referrer` makes browsers
   * send `Origin: null` with its own forms — the browser's `Sec-Fetch-Site: same-origin` does.
   * Any other Origin or Sec-Fetch-Site is refused, and so is a request that shows neither.
   */
  const sameOrigin = (c: DashboardContext) => {
    const origin = c.req.header("origin");
    const site = c.req.header("sec-fetch-site");
    if (origin !== undefined && origin !== "null") return origin === new URL(c.req.url).origin && (site === undefined || site === "same-origin");
    return site === "same-origin";
  };

  const { call: apiCall, get } = inProcessApi(api);

  const signInOff = "Dashboard sign-in is off: set the CUTOVER_SESSION_SECRET secret (32 bytes or more: openssl rand -hex 32).";
  app.get("/login", async (c) => page(c, loginPage(key === undefined ? signInOff : undefined, access !== undefined)));

  app.post("/login", async (c) => {
    if (key === undefined) return page(c, loginPage(signInOff), 400);
    if (!sameOrigin(c)) return page(c, loginPage("This sign-in did not come from this site."), 403);
    const form = await c.req.parseBody();
    const token = typeof form.token === "string" ? form.token.trim() : "";
    let identity: Identity = { unknown: true };
    try {
      if (token) identity = await options.identifier.identify(token);
    } catch (error) {
      const requestId = requestIdOf(c);
      logEvent("error", "dashboard_sign_in_failed", { requestId, error });
      return page(c, loginPage(`cutover could not check this token just now; try again shortly (request id ${requestId}).`), 503);
    }
    if ("limited" in identity) {
      c.header("retry-after", String(identity.retryAfterSeconds));
      return page(c, loginPage("Too many unknown tokens were tried here in the last minute: try again shortly."), 429);
    }
    if (!("principal" in identity)) {
      logEvent("warn", "dashboard_sign_in_refused", {});
      return page(c, loginPage("This token is not known: it may be mistyped, expired or revoked."), 401);
    }
    const session = newSession(identity.principal, await sha256Hex(token), nowSeconds());
    logEvent("info", "dashboard_session_started", { sid: session.sid, name: session.name, via: "token" });
    c.header("set-cookie", sessionCookie(new URL(c.req.url), await signSession(await key, session)));
    return c.redirect("/_cutover/", 303);
  });

  // Signing out is an action too: another page must not be able to sign the operator out (or in as someone else).
  app.post("/logout", async (c) => {
    const who = await whoIs(c);
    if (!who) return c.redirect("/_cutover/login", 303);
    const form = await c.req.parseBody();
    if (!sameOrigin(c) || form._csrf !== who.session.csrf) return refused(c);
    logEvent("info", "dashboard_session_ended", { sid: who.session.sid, name: who.session.name });
    c.header("set-cookie", sessionCookie(new URL(c.req.url), undefined));
    return c.redirect("/_cutover/login", 303);
  });

  /** A page for a signed-in user; others go to the sign-in page. */
  const view = (path: string, render: (c: DashboardContext, context: PageContext, principal: Principal) => Promise<Html | Response>) =>
    app.get(path, async (c) => {
      const who = await whoIs(c);
      if (!who) return c.redirect("/_cutover/login", 303);
      const notice = noticeText((name) => c.req.query(name));
      const context: PageContext = { name: who.principal.name, role: who.principal.role, csrf: who.session.csrf, ...(notice ? { notice } : {}) };
      const out = await render(c, context, who.principal);
      return out instanceof Response ? out : page(c, out);
    });

  view("/", async (c, context, principal) => {
    const [table, metrics, progress, rollouts, shadow] = await Promise.all([
      get(c, principal, "/routes", RoutesAnswer),
      get(c, principal, "/metrics?since=15m", MetricsOverviewAnswer),
      get(c, principal, "/progress?days=7", ProgressAnswer),
      get(c, principal, "/rollouts", RolloutsAnswer),
      get(c, principal, "/shadow?minComparisons=200", ShadowListingAnswer),
    ]);
    // As /_cutover/health does: an idle isolate reads the store first, so it is not shown degraded for being idle.
    await deps.cache.confirm();
    const health = deps.cache.health();
    return overviewPage(context, {
      table,
      metrics: metrics ?? { since: new Date(deps.now()).toISOString(), routes: [] },
      progress: progress ?? { legacyBackend: table?.table.default ?? "legacy", share: {}, daily: [] },
      rollouts: rollouts?.rollouts ?? [],
      shadow,
      health: { status: health.status, version: health.version, ageMs: health.ageMs, source: deps.sourceKind },
    });
  });

  view("/routes/:id", async (c, context, principal) => {
    const id = c.req.param("id") ?? "";
    const table = await get(c, principal, "/routes", RoutesAnswer);
    const route = table?.table.routes.find((r) => r.id === id);
    if (!table || !route) return page(c, notFound(context, `No route '${id}'.`), 404);
    const range = CHART_RANGES.find((r) => r.name === c.req.query("range")) ?? (CHART_RANGES[0] as ChartRange);
    const [metrics, shadow, audit, rollout] = await Promise.all([
      get(c, principal, `/metrics?route=${encodeURIComponent(id)}&since=${range.since}&step=${range.step}`, RouteMetricsAnswer),
      route.shadow ? get(c, principal, `/shadow?route=${encodeURIComponent(id)}&minComparisons=200`, ShadowReportAnswer) : Promise.resolve(undefined),
      get(c, principal, "/audit?limit=200", AuditAnswer),
      get(c, principal, `/rollouts/${encodeURIComponent(id)}`, RolloutSummary),
    ]);
    const history = (audit?.entries ?? []).filter((e) => e.details?.route === id || e.action === "apply" || e.action === "rollback").slice(0, 20);
    return routePage(context, { route, table, metrics: metrics ?? { step: range.step, series: {}, totals: {} }, shadow, history, rollout, range });
  });

  view("/rollouts", async (c, context, principal) => rolloutsPage(context, (await get(c, principal, "/rollouts", RolloutsAnswer))?.rollouts ?? []));

  view("/rollouts/:route", async (c, context, principal) => {
    const route = c.req.param("route") ?? "";
    const detail = await get(c, principal, `/rollouts/${encodeURIComponent(route)}`, RolloutDetail);
    return detail ? rolloutPage(context, detail) : page(c, notFound(context, `No rollout of '${route}'.`), 404);
  });

  view("/map", async (c, context, principal) => {
    const [inventory, table] = await Promise.all([get(c, principal, "/inventory?limit=200", InventoryAnswer), get(c, principal, "/routes", RoutesAnswer)]);
    return mapPage(context, inventory ?? { stored: 0, maxStored: 0, templates: [] }, table?.table.default ?? "legacy");
  });

  view("/migration", async (c, context, principal) => migrationPage(context, await loadMigration(apiCall, c, principal, deps.now())));

  view("/map/new", async (c, context, principal) => {
    const table = await get(c, principal, "/routes", RoutesAnswer);
    const template = c.req.query("template") ?? "/";
    const methods = (c.req.query("methods") ?? "GET").split(",").filter(Boolean);
    return newRoutePage(context, suggestRoute(template, methods, table?.table.default ?? "legacy"), table?.version ?? 0);
  });

  view("/versions", async (c, context, principal) => {
    const [versions, audit] = await Promise.all([get(c, principal, "/versions?limit=30", VersionsAnswer), get(c, principal, "/audit?limit=30", AuditAnswer)]);
    const a = Number(c.req.query("a"));
    const b = Number(c.req.query("b"));
    let diff: { a: number; b: number; changes: ReturnType<typeof diffTables> } | undefined;
    if (Number.isInteger(a) && Number.isInteger(b) && a > 0 && b > 0) {
      const [va, vb] = await Promise.all([get(c, principal, `/versions/${a}`, VersionAnswer), get(c, principal, `/versions/${b}`, VersionAnswer)]);
      if (va && vb) diff = { a, b, changes: diffTables(va.table, vb.table) };
      else context = { ...context, error: `No version ${va ? b : a}.` };
    }
    return versionsPage(context, { versions: versions?.versions ?? [], audit: audit?.entries ?? [], ...(diff ? { diff } : {}) });
  });

  /** A state-changing POST: signed in, same site, CSRF token, operator (the API checks the role again). */
  const action = (path: string, run: (c: DashboardContext, form: Record<string, string>, principal: Principal, context: PageContext) => Promise<Response | Html>) =>
    app.post(`/actions/${path}`, async (c) => {
      const who = await whoIs(c);
      if (!who) return c.redirect("/_cutover/login", 303);
      const raw = await c.req.parseBody();
      const form = Object.fromEntries(Object.entries(raw).filter((entry): entry is [string, string] => typeof entry[1] === "string"));
      if (!sameOrigin(c) || form._csrf !== who.session.csrf) return refused(c);
      // A viewer sees no buttons, and a forged request gets no further.
      if (who.principal.role !== "operator") return c.text(`Refused: '${who.principal.name}' is a viewer; this needs an operator.`, 403);
      const context: PageContext = { name: who.principal.name, role: who.principal.role, csrf: who.session.csrf };
      const out = await run(c, form, who.principal, context);
      return out instanceof Response ? out : page(c, out);
    });

  /** A page that says an action was not done, with a way back (nothing a link could make the dashboard say). */
  const notDone = (c: DashboardContext, context: PageContext, to: string, message: string, status: number) =>
    page(c, layout("Not done", { ...context, error: message }, h`<p><a href="${to}">Back</a></p>`), (status >= 400 && status <= 599 ? status : 502) as ContentfulStatusCode);

  /**
   * After an action: on success back to a page, with a notice from the fixed list
   * (notices.ts) and parameters from the answer; on failure a page of its own with the API's answer.
   */
  const done = async <T>(c: DashboardContext, context: PageContext, to: string, result: Answer<T>, notice: NoticeCode, params: (value: T) => Record<string, unknown> = () => ({})) =>
    result.ok ? c.redirect(withNotice(to, notice, params(result.value)), 303) : notDone(c, context, to, result.problem.message, result.status);

  const weightsFrom = (form: Record<string, string>) => Object.fromEntries(Object.entries(form).filter(([name]) => name.startsWith("w:")).map(([name, value]) => [name.slice(2), Number(value)]).filter(([, w]) => (w as number) > 0));

  action("weights/preview", async (c, form, principal, context) => {
    const table = await get(c, principal, "/routes", RoutesAnswer);
    const route = table?.table.routes.find((r) => r.id === form.route);
    if (!table || !route) return page(c, notFound(context, `No route '${form.route}'.`), 404);
    // Checked as the API will check it (and the CLI does), before Apply is offered at all.
    const weights = weightsFrom(form);
    const reason = (form.reason ?? "").trim();
    const changed = changeWeights(table.table, route.id, weights);
    const problems = changed.ok ? [] : changed.error.reason === "invalid" ? changed.error.issues.map((issue) => `${issue.path}: ${issue.message}`) : [`No route '${changed.error.route}'.`];
    if (reason === "") problems.push("reason: is required: say why (it goes to the audit log)");
    const unchanged = changed.ok && canonicalJson(changed.value.before) === canonicalJson(changed.value.table.routes.find((r) => r.id === route.id)?.to);
    return page(c, weightsConfirmPage(context, route, weights, reason, table.version, { problems, unchanged }), problems.length > 0 ? 400 : 200);
  });
  action("weights", async (c, form, principal, context) => {
    const result = await apiCall(c, principal, "POST", `/routes/${encodeURIComponent(form.route ?? "")}/weights`, Activated, { weights: weightsFrom(form), reason: form.reason ?? "", expectedVersion: Number(form.expectedVersion) } satisfies WeightsBody);
    return done(c, context, routePath(form.route ?? ""), result, "weights-changed", (value) => ({ version: value.version, at: value.effectiveAt }));
  });
  action("routes/:id/rollback", async (c, form, principal, context) => {
    const id = c.req.param("id") ?? "";
    const result = await apiCall(c, principal, "POST", `/routes/${encodeURIComponent(id)}/rollback`, RouteRollbackAnswer, { reason: form.reason ?? "" } satisfies RouteRollbackBody);
    return done(c, context, routePath(id), result, "route-restored", (value) => ({ version: value.version, from: value.restoredFrom }));
  });
  action("shadow/:id/reset", async (c, form, principal, context) => {
    const id = c.req.param("id") ?? "";
    const result = await apiCall(c, principal, "POST", `/shadow/${encodeURIComponent(id)}/reset`, ShadowResetAnswer, { reason: form.reason ?? "" } satisfies ShadowResetBody);
    return done(c, context, routePath(id), result, "shadow-reset", (value) => ({ epoch: value.epoch }));
  });
  action("rollback", async (c, form, principal, context) => {
    const result = await apiCall(c, principal, "POST", "/rollback", RollbackAnswer, { toVersion: Number(form.toVersion), reason: form.reason ?? "" } satisfies RollbackBody);
    return done(c, context, "/_cutover/versions", result, "rolled-back", (value) => ({ version: value.version, from: value.restoredFrom }));
  });
  action("rollouts/start", async (c, form, principal, context) => {
    const route = form.route ?? "";
    // `minRequests`: the field's old name, from a page rendered before the rename.
    const plan = planFromOptions({ route, candidate: form.candidate ?? "", steps: form.steps ?? "", minUsers: form.minUsers || form.minRequests, minDuration: form.minDuration });
    if (!plan.ok) return notDone(c, context, routePath(route), `The field '${plan.error.option === "minUsers" ? "min users" : plan.error.option}' ${plan.error.message}.`, 400);
    const result = await apiCall(c, principal, "POST", "/rollouts", RolloutSummary, { plan: plan.value, reason: form.reason ?? "" } satisfies StartRolloutBody);
    return done(c, context, result.ok ? rolloutPath(route) : routePath(route), result, "rollout-started");
  });
  for (const verb of ["promote", "pause", "resume", "abort"] as const) {
    action(`rollouts/:route/${verb}`, async (c, form, principal, context) => {
      const route = c.req.param("route") ?? "";
      const result = await apiCall(c, principal, "POST", `/rollouts/${encodeURIComponent(route)}/${verb}`, RolloutSummary, { reason: form.reason ?? "" } satisfies RolloutActionBody);
      return done(c, context, rolloutPath(route), result, "rollout-changed", (value) => ({ status: value.status, step: value.step, steps: value.steps }));
    });
  }
  action("routes/preview", async (c, form, principal, context) => {
    const added = await tableWithRoute(c, principal, form);
    if (typeof added === "string") return newRoutePage({ ...context, error: added }, safeJson(form.entry), Number(form.expectedVersion));
    return newRoutePage(context, added.route, added.version, diffTables(added.before, added.after));
  });
  action("routes/add", async (c, form, principal, context) => {
    const added = await tableWithRoute(c, principal, form);
    if (typeof added === "string") return newRoutePage({ ...context, error: added }, safeJson(form.entry), Number(form.expectedVersion));
    const result = await apiCall(c, principal, "PUT", "/routes", Activated, { table: added.after, reason: form.reason ?? "" } satisfies PutRoutesBody, { "if-match": `"${form.expectedVersion}"` });
    return done(c, context, result.ok ? routePath(added.route.id) : "/_cutover/map", result, "route-added", (value) => ({ version: value.version }));
  });

  /** The active table plus the form's route entry, validated; or why not. */
  async function tableWithRoute(c: DashboardContext, principal: Principal, form: Record<string, string>) {
    const route = safeJson(form.entry) as Route | undefined;
    if (route === undefined || typeof route !== "object") return "The route entry is not JSON.";
    const table = await get(c, principal, "/routes", RoutesAnswer);
    if (!table) return "No route table is stored yet.";
    if (table.version !== Number(form.expectedVersion)) return `The routes changed since (version ${table.version} is active): review the plan again.`;
    const after = validateRouteTable({ ...table.table, routes: [...table.table.routes, route] });
    if (!after.ok) return after.error.map((issue) => `${issue.path.replace("$.routes[" + table.table.routes.length + "]", "$.entry")}: ${issue.message}`).join("; ");
    return { route, version: table.version, before: table.table, after: after.value };
  }
}

function notFound(context: PageContext, message: string): Html {
  return layout("Not found", { ...context, error: message }, h`<p><a href="/_cutover/">Back to the overview</a></p>`);
}

const routePath = (id: string) => `/_cutover/routes/${encodeURIComponent(id)}`;
const rolloutPath = (route: string) => `/_cutover/rollouts/${encodeURIComponent(route)}`;

/** A dashboard form is a few fields (a route entry at most): 16 KiB, refused before parsing. */
const FORM_BYTES = 16 * 1024;
const formLimit = bodyLimit({ maxSize: FORM_BYTES, onError: (c) => c.text(`Refused: a dashboard form is at most ${FORM_BYTES} bytes.`, 413) });

/** A POST that did not come from a dashboard page of this origin (Origin, or the session's CSRF token). */
function refused(c: DashboardContext): Response {
  logEvent("warn", "dashboard_csrf_refused", { path: c.req.path, origin: c.req.header("origin") ?? null });
  return c.text("Refused: this request did not come from the dashboard (Origin or CSRF token).", 403);
}

function safeJson(text: string | undefined): unknown {
  try {
    return JSON.parse(text ?? "");
  } catch {
    return undefined;
  }
}
