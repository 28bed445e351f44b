import type { TableChange } from "../../routes/diff-tables.ts";
import type { Route } from "../../routes/schema.ts";
import type {
  AuditEntry,
  InventoryAnswer,
  MetricsOverviewAnswer,
  ProgressAnswer,
  RolloutDetail,
  RolloutSummary,
  RolloutVerdict,
  RouteMetricsAnswer,
  RoutesAnswer,
  SeriesPoint,
  ShadowListingAnswer,
  ShadowReportAnswer,
  VersionRow,
} from "../contract/index.ts";
import { shadowSection } from "./shadow-section.ts";
import { actionForm, barChart, h, layout, lineChart, ms, percent, when, type Html, type PageContext } from "./view.ts";

/** The active version and its table (what GET /routes answers). */
type ActiveRoutes = Pick<RoutesAnswer, "version" | "table">;

const weightsOf = (route: Route | undefined, fallback: string) =>
  route === undefined ? `→ ${fallback}` : typeof route.to === "string" ? `→ ${route.to}` : Object.entries(route.to).map(([b, w]) => `${b} ${w} %`).join(" · ");

export function overviewPage(
  page: PageContext,
  data: {
    table: ActiveRoutes | undefined;
    metrics: Pick<MetricsOverviewAnswer, "since" | "routes">;
    progress: Pick<ProgressAnswer, "legacyBackend" | "share" | "daily">;
    rollouts: readonly RolloutSummary[];
    shadow: ShadowListingAnswer | undefined;
    health: { status: string; version: number | undefined; ageMs: number | undefined; source: string };
  },
): Html {
  const routes = data.table?.table.routes ?? [];
  const rolloutOf = (id: string) => data.rollouts.find((r) => r.route === id && (r.status === "running" || r.status === "paused")) ?? data.rollouts.find((r) => r.route === id);
  const shadowOf = (id: string) => data.shadow?.routes.find((s) => s.route === id);
  const rows = data.metrics.routes.map((entry) => {
    const route = routes.find((r) => r.id === entry.route);
    const backends = Object.entries(entry.backends);
    const total = backends.reduce((sum, [, p]) => sum + p.served, 0);
    const rollout = rolloutOf(entry.route);
    const shadow = shadowOf(entry.route);
    const link = route ? h`<a href="/_cutover/routes/${entry.route}">${entry.route}</a>` : h`${entry.route}`;
    const traffic = backends.length === 0 ? h`<span class="muted">no traffic</span>` : backends.map(([backend, p]) => h`<div>${backend}: <b class="num">${p.served}</b> (${percent(total ? p.served / total : null)}) · errors ${percent(p.errorRate)} · p99 ${ms(p.latencyMs.p99)}</div>`);
    return h`<tr><td>${link}</td><td>${weightsOf(route, data.progress.legacyBackend)}</td><td>${traffic}</td>
<td>${rollout ? h`<a href="/_cutover/rollouts/${rollout.route}">${rollout.status}</a> ${rollout.step}/${rollout.steps}` : "–"}</td>
<td>${shadow ? h`<span class="${shadow.verdict.ready ? "pass" : "wait"}">${shadow.matchRate === null ? "–" : `${shadow.matchRate} %`}</span> of ${shadow.compared}${shadow.verdict.securityHeaders.length > 0 ? h` · <span class="fail" title="${shadow.verdict.securityHeaders.join(", ")}">security headers</span>` : ""}` : "–"}</td></tr>`;
  });
  return layout(
    "Overview",
    page,
    h`<h1>Overview</h1>
<div class="cards">
<div class="card"><div class="muted">Migrated, last 24 h</div><div class="big" data-metric="migrated-24h">${percent(data.progress.share.last24h)}</div></div>
<div class="card"><div class="muted">Migrated, last 7 days</div><div class="big">${percent(data.progress.share.last7d)}</div></div>
<div class="card"><div class="muted">Route table</div><div class="big">v${data.health.version ?? "–"}</div><div class="muted">${data.health.status} · ${data.health.source}${data.health.ageMs !== undefined ? ` · read ${Math.round(data.health.ageMs / 1000)} s ago` : ""}</div></div>
</div>
${barChart("Share of requests on new backends, per day", data.progress.daily.map((d) => ({ label: d.day, value: d.share })))}
<h2>Routes <span class="muted">(traffic since ${data.metrics.since.slice(11, 19)} UTC)</span></h2>
<table><thead><tr><th>Route</th><th>Weights</th><th>Traffic per backend</th><th>Rollout</th><th>Shadow match</th></tr></thead><tbody>${rows}</tbody></table>`,
    { live: true, path: "/_cutover/" },
  );
}

/** The time ranges a route's charts show: the window read and its step. */
export interface ChartRange {
  readonly name: string;
  readonly since: string;
  readonly step: string;
  readonly stepMs: number;
}
export const CHART_RANGES: readonly ChartRange[] = [
  { name: "1h", since: "1h", step: "1m", stepMs: 60_000 },
  { name: "24h", since: "24h", step: "15m", stepMs: 15 * 60_000 },
  { name: "7d", since: "7d", step: "60m", stepMs: 3_600_000 },
];

export function routePage(
  page: PageContext,
  data: {
    route: Route;
    table: ActiveRoutes;
    metrics: Pick<RouteMetricsAnswer, "step" | "series" | "totals">;
    shadow: ShadowReportAnswer | undefined;
    history: readonly AuditEntry[];
    rollout: RolloutSummary | undefined;
    range?: ChartRange;
  },
): Html {
  const range = data.range ?? (CHART_RANGES[0] as ChartRange);
  const { route } = data;
  const series = (pick: (p: SeriesPoint) => number | null) => Object.fromEntries(Object.entries(data.metrics.series).map(([backend, points]) => [backend, points.map((p) => ({ at: p.at, value: pick(p) }))]));
  const backends = Object.keys(data.table.table.backends);
  const weights = typeof route.to === "string" ? { [route.to]: 100 } : route.to;
  const totals = Object.entries(data.metrics.totals);
  return layout(
    `Route ${route.id}`,
    page,
    h`<h1>Route ${route.id} <span class="muted">${route.match.methods?.join(",") ?? ""} ${route.match.path}</span></h1>
<p>Weights: <b data-metric="weights">${weightsOf(route, data.table.table.default)}</b>${route.shadow ? h` · shadowed to ${route.shadow.to}` : ""}${route.fallback ? h` · falls back to ${typeof route.fallback === "string" ? route.fallback : route.fallback.to}` : ""} · version ${data.table.version}
${data.rollout ? h` · rollout <a href="/_cutover/rollouts/${route.id}">${data.rollout.status}, step ${data.rollout.step}/${data.rollout.steps}</a>` : ""}</p>
${
  page.role === "operator"
    ? h`<h2>Change</h2>
<form method="post" action="/_cutover/actions/weights/preview" class="action"><input type="hidden" name="_csrf" value="${page.csrf}"><input type="hidden" name="route" value="${route.id}">
${backends.map((b) => h`<label>${b} <input name="w:${b}" type="number" min="0" max="100" step="0.01" value="${weights[b] ?? 0}" style="width:5em"></label>`)}
<input name="reason" placeholder="reason (audited)" required maxlength="500"><button>Review the change…</button></form>
${actionForm(page, `routes/${route.id}/rollback`, "Roll this route back", "", { danger: true })}
${route.shadow ? actionForm(page, `shadow/${route.id}/reset`, "Reset shadow statistics") : ""}
${
  data.rollout?.status === "running" || data.rollout?.status === "paused"
    ? ""
    : actionForm(
        page,
        "rollouts/start",
        "Start a rollout",
        h`<input type="hidden" name="route" value="${route.id}"><select name="candidate" aria-label="candidate">${backends
          .filter((b) => (weights[b] ?? 0) < 100)
          .sort((a, b) => Number(a === data.table.table.default) - Number(b === data.table.table.default))
          .map((b) => h`<option>${b}</option>`)}</select>
<input name="steps" value="shadow,1,10,50,100" size="18" aria-label="steps"><input name="minUsers" placeholder="min users" size="10" aria-label="distinct users each arm needs per step"><input name="minDuration" placeholder="min duration" size="10">`,
      )
}`
    : ""
}
<h2>Traffic, last ${range.name}</h2>
${
  totals.length === 0
    ? h`<p class="muted">No traffic in the last ${range.name}.</p>`
    : h`<table><thead><tr><th>Backend</th><th>Requests</th><th>2xx</th><th>4xx</th><th>5xx</th><th>cutover's own</th><th>Fallbacks</th><th>Error rate</th><th>p50</th><th>p95</th><th>p99</th></tr></thead><tbody>
${totals.map(([backend, p]) => h`<tr><td>${backend}</td><td class="num" data-metric="requests-${backend}">${p.requests}</td><td class="num">${p.status["2xx"]}</td><td class="num">${p.status["4xx"]}</td><td class="num">${p.status["5xx"]}</td>
<td>${Object.entries(p.proxyErrors).map(([s, n]) => `${s}×${n}`).join(" ") || "–"}</td><td>${Object.entries(p.fallbacks).map(([t, n]) => `${t}×${n}`).join(" ") || "–"}</td>
<td class="num">${percent(p.errorRate)}</td><td class="num">${ms(p.latencyMs.p50)}</td><td class="num">${ms(p.latencyMs.p95)}</td><td class="num">${ms(p.latencyMs.p99)}</td></tr>`)}</tbody></table>`
}
<p class="ranges">${CHART_RANGES.map((r) => h`<a href="/_cutover/routes/${route.id}?range=${r.name}"${r.name === range.name ? h` aria-current="true"` : ""}>last ${r.name}</a>`)}<span class="muted">per ${range.step === "60m" ? "hour" : range.step}</span></p>
${lineChart("Requests", series((p) => p.requests), "", range.stepMs)}${lineChart("Error rate", series((p) => p.errorRate), "%", range.stepMs)}
${lineChart("p50 (ms)", series((p) => p.latencyMs.p50), "ms", range.stepMs)}${lineChart("p99 (ms)", series((p) => p.latencyMs.p99), "ms", range.stepMs)}
${data.shadow ? shadowSection(data.shadow) : ""}
<h2>History</h2>${auditTable(data.history)}`,
    { live: true },
  );
}

export function weightsConfirmPage(
  page: PageContext,
  route: Route,
  weights: Record<string, number>,
  reason: string,
  version: number,
  checked: { readonly problems: readonly string[]; readonly unchanged: boolean } = { problems: [], unchanged: false },
): Html {
  const before: Record<string, number> = typeof route.to === "string" ? { [route.to]: 100 } : route.to;
  const back = h`<a href="/_cutover/routes/${route.id}">Back to ${route.id}</a>`;
  if (checked.problems.length > 0) {
    return layout("Not a valid change", page, h`<h1>This change of ${route.id} would be refused</h1><ul class="problems">${checked.problems.map((problem) => h`<li><code>${problem}</code></li>`)}</ul><p>${back}</p>`);
  }
  if (checked.unchanged) {
    return layout("Nothing to change", page, h`<h1>${route.id} already sends ${weightsOf(route, "")}</h1><p class="muted">Nothing would change: no version is made.</p><p>${back}</p>`);
  }
  const moved = [...new Set([...Object.keys(before), ...Object.keys(weights)])].map((b) => `${b}: ${before[b] ?? 0} % → ${weights[b] ?? 0} %`);
  return layout(
    "Confirm",
    page,
    h`<h1>Change the weights of ${route.id}?</h1>
<p>The plan, on version ${version}:</p><pre>~ route ${route.id}
  to: ${weightsOf(route, "")} → ${Object.entries(weights).map(([b, w]) => `${b} ${w} %`).join(" · ")}
${moved.join("\n")}</pre>
<p class="muted">It takes effect everywhere at one moment, one propagation bound after it is written. Reason: ${reason}</p>
<form method="post" action="/_cutover/actions/weights" class="action"><input type="hidden" name="_csrf" value="${page.csrf}"><input type="hidden" name="route" value="${route.id}">
<input type="hidden" name="expectedVersion" value="${version}"><input type="hidden" name="reason" value="${reason}">
${Object.entries(weights).map(([b, w]) => h`<input type="hidden" name="w:${b}" value="${w}">`)}<button>Apply</button> <a href="/_cutover/routes/${route.id}">Cancel</a></form>`,
  );
}

export function rolloutsPage(page: PageContext, rollouts: readonly RolloutSummary[]): Html {
  return layout(
    "Rollouts",
    page,
    h`<h1>Rollouts</h1>${
      rollouts.length === 0
        ? h`<p class="muted">No rollout has been started. Start one from a route's page, or with <code>cutover rollout start</code>.</p>`
        : h`<table><thead><tr><th>Route</th><th>To</th><th>Status</th><th>Step</th><th>Last verdict</th><th>Updated</th></tr></thead><tbody>${rollouts.map(
            (r) => h`<tr><td><a href="/_cutover/rollouts/${r.route}">${r.route}</a></td><td>${r.control} → ${r.candidate}</td><td>${r.status}</td><td>${r.step}/${r.steps} ${r.stepLabel}</td><td>${r.pausedReason ?? r.lastVerdict?.summary ?? "–"}</td><td>${r.updatedAt}</td></tr>`,
          )}</tbody></table>`
    }`,
    { live: true, path: "/_cutover/rollouts" },
  );
}

export function rolloutPage(page: PageContext, r: RolloutDetail): Html {
  const live = r.status === "running" || r.status === "paused";
  const verdict = r.now.verdict;
  return layout(
    `Rollout ${r.route}`,
    page,
    h`<h1>Rollout of <a href="/_cutover/routes/${r.route}">${r.route}</a>: ${r.control} → ${r.candidate} <span data-metric="rollout-status">${r.status}</span></h1>
<p>Steps: ${r.plan.steps.map((s, i) => h`${i > 0 ? " → " : ""}${i + 1 === r.step ? h`<b>[${stepLabel(s)}]</b>` : stepLabel(s)}`)} · on failure: ${r.plan.onFailure}</p>
${r.pausedReason ? h`<p class="wait">Paused: ${r.pausedReason}</p>` : ""}
${
  live
    ? h`${actionForm(page, `rollouts/${r.route}/promote`, "Promote")}${r.status === "running" ? actionForm(page, `rollouts/${r.route}/pause`, "Pause") : actionForm(page, `rollouts/${r.route}/resume`, "Resume")}${actionForm(page, `rollouts/${r.route}/abort`, "Abort and restore", "", { danger: true })}`
    : ""
}
<h2>Now: ${verdict ? h`<span class="${verdict.outcome}">${verdict.outcome}</span> — ${verdict.summary}` : r.now.reason ?? nowText(r)}</h2>
${verdict && verdict.checks.length > 0 ? checksTable(verdict.checks) : ""}
${r.stepVersions && r.stepVersions.length > 0 ? h`<p class="muted">Evidence: the users the split sent to each arm under table version${r.stepVersions.length > 1 ? "s" : ""} ${r.stepVersions.map((v) => `v${v}`).join(", ")}.</p>` : ""}
${!live && r.lastVerdict?.checks && r.lastVerdict.checks.length > 0 ? h`<h2 data-metric="last-verdict">Last judged: step ${r.lastVerdict.step ?? "?"} at ${when(r.lastVerdict.at)} — <span class="${r.lastVerdict.outcome}">${r.lastVerdict.outcome}</span></h2>${checksTable(r.lastVerdict.checks)}` : ""}
<h2>History</h2><table><tbody>${[...r.events].reverse().map((e) => h`<tr><td class="when" title="${e.at}">${when(e.at)}</td><td>${e.kind}</td><td>${e.message}${e.version !== undefined ? ` (v${e.version})` : ""}</td></tr>`)}</tbody></table>`,
    { live: live },
  );
}

/** A verdict's gates: each one's outcome and evidence, its numbers on hover. */
function checksTable(checks: RolloutVerdict["checks"]): Html {
  return h`<table><thead><tr><th>Gate</th><th>Result</th><th>Evidence</th></tr></thead><tbody>${checks.map(
    (c) => h`<tr><td>${c.gate}</td><td class="${c.outcome}">${c.outcome}</td><td title="${Object.entries(c.numbers ?? {}).map(([name, value]) => `${name} = ${value ?? "–"}`).join(", ")}">${c.summary}</td></tr>`,
  )}</tbody></table>`;
}

export function mapPage(page: PageContext, inventory: InventoryAnswer, defaultBackend: string): Html {
  return layout(
    "Migration map",
    page,
    h`<h1>Migration map</h1><p class="muted">Requests no route matches, by path template, busiest first (${inventory.stored} of at most ${inventory.maxStored} templates stored). They all go to ${defaultBackend}.</p>
<table><thead><tr><th>Template</th><th>Requests</th><th>Methods</th><th>Covered by</th><th>Last seen</th><th></th></tr></thead><tbody>${inventory.templates.map(
      (t) => h`<tr><td><code>${t.template}</code></td><td class="num">${t.count}</td><td>${t.methods.join(", ")}</td><td>${t.coveredBy ?? "–"}</td><td>${t.lastSeen}</td>
<td>${t.coveredBy === null && page.role === "operator" ? h`<a href="/_cutover/map/new?template=${encodeURIComponent(t.template)}&methods=${encodeURIComponent(t.methods.join(","))}">Create route…</a>` : ""}</td></tr>`,
    )}</tbody></table>`,
    { path: "/_cutover/map" },
  );
}

/** The prefilled route entry for a template, to edit; "Review" shows the plan before anything is written. */
export function newRoutePage(page: PageContext, entry: unknown, version: number, changes?: readonly TableChange[]): Html {
  return layout(
    "Create route",
    page,
    h`<h1>Create a route</h1><p class="muted">On the default backend, so that adding it changes nothing; move it with a rollout afterwards.</p>
<form method="post" action="/_cutover/actions/routes/${changes ? "add" : "preview"}"><input type="hidden" name="_csrf" value="${page.csrf}"><input type="hidden" name="expectedVersion" value="${version}">
<textarea name="entry" rows="8" cols="80">${JSON.stringify(entry, null, 2)}</textarea><br>
${changes ? h`<h2>Plan on version ${version}</h2><pre>${changes.map(describeChange).join("\n")}</pre>` : ""}
<input name="reason" placeholder="reason (audited)" required maxlength="500"><button>${changes ? "Apply" : "Review the plan…"}</button></form>`,
  );
}

export function versionsPage(page: PageContext, data: { versions: readonly VersionRow[]; audit: readonly AuditEntry[]; diff?: { a: number; b: number; changes: TableChange[] } }): Html {
  return layout(
    "Versions & audit",
    page,
    h`<h1>Versions</h1>
<form method="get" action="/_cutover/versions" class="action">Compare version <input name="a" size="4" value="${data.diff?.a ?? ""}"> with <input name="b" size="4" value="${data.diff?.b ?? ""}"><button>Diff</button></form>
${data.diff ? h`<pre data-metric="diff">${data.diff.changes.length === 0 ? "No changes." : data.diff.changes.map(describeChange).join("\n")}</pre>` : ""}
${rollbackForm(page, data.versions)}
<table><thead><tr><th>Version</th><th>When</th><th>Who</th><th>What</th><th>Why</th></tr></thead><tbody>${data.versions.map(
      (v) => h`<tr data-version="${v.version}"><td>${v.version}${v.active ? " (active)" : ""}</td><td class="when">${when(v.createdAt)}</td><td>${v.author}</td><td>${v.action}</td><td>${v.reason}</td></tr>`,
    )}</tbody></table>
<h1>Audit</h1>${auditTable(data.audit)}`,
    { path: "/_cutover/versions" },
  );
}

export function loginPage(error?: string, accessHint?: boolean): Html {
  return layout(
    "Sign in",
    undefined,
    h`<h1>Sign in to cutover</h1>${error ? h`<p class="error">${error}</p>` : ""}
<form method="post" action="/_cutover/login" class="action"><input type="password" name="token" placeholder="admin token" autocomplete="current-password" required size="40"><button>Sign in</button></form>
<p class="muted">An admin token (from <code>cutover token create</code>, or a bootstrap token) is exchanged for a session cookie; it never appears in a URL or a page.${accessHint ? " Behind Cloudflare Access, you are signed in by Access." : ""}</p>`,
  );
}

/**
 * One rollback form, not a red button on every row: to the version before the active one (what
 * `cutover rollback` restores), or to another older one chosen by number.
 */
function rollbackForm(page: PageContext, versions: readonly VersionRow[]): Html {
  if (page.role !== "operator") return h``;
  const active = versions.find((v) => v.active);
  const older = versions.filter((v) => active !== undefined && v.version < active.version);
  if (active === undefined || older.length === 0) return h``;
  const previous = active.parent > 0 ? active.parent : (older[0] as VersionRow).version;
  return actionForm(
    page,
    "rollback",
    "Roll back",
    h`<label>to version <select name="toVersion">${older.map((v) => h`<option value="${v.version}"${v.version === previous ? h` selected` : ""}>${v.version}${v.version === previous ? " (the one before)" : ""}</option>`)}</select></label>`,
    { danger: true },
  );
}

function auditTable(entries: readonly AuditEntry[]): Html {
  if (entries.length === 0) return h`<p class="muted">Nothing yet.</p>`;
  return h`<table><thead><tr><th>When</th><th>Who</th><th>What</th><th>Why</th><th>Versions</th></tr></thead><tbody>${entries.map(
    (e) => h`<tr><td class="when" title="${e.at}">${when(e.at)}</td><td>${e.actor}</td><td>${e.action}${e.details?.route ? ` ${String(e.details.route)}` : ""}</td><td>${e.reason}</td><td>${e.before !== undefined ? `${e.before} → ${e.after}` : ""}</td></tr>`,
  )}</tbody></table>`;
}

/** A field's value in a diff line: `(none)` where it is absent on that side. */
function shown(value: unknown): string {
  return value === undefined ? "(none)" : JSON.stringify(value);
}

function describeChange(change: TableChange): string {
  switch (change.kind) {
    case "default":
      return `~ default: ${change.before} → ${change.after}`;
    case "backend-added":
    case "route-added":
      return `+ ${change.kind.split("-")[0]} ${"name" in change ? change.name : change.id}: ${JSON.stringify(change.value)}`;
    case "backend-removed":
    case "route-removed":
      return `- ${change.kind.split("-")[0]} ${"name" in change ? change.name : change.id}`;
    case "backend-changed":
    case "route-changed":
      return [`~ ${change.kind.split("-")[0]} ${"name" in change ? change.name : change.id}`, ...change.fields.map((f) => `    ${f.field}: ${shown(f.before)} → ${shown(f.after)}`)].join("\n");
    case "route-order":
      return `~ route order: ${change.before.join(", ")} → ${change.after.join(", ")}`;
  }
}

function nowText(r: RolloutDetail): string {
  if (r.now.decision === "settling") return "the step is taking effect everywhere";
  if (r.now.decision === "open-window") return "the next tick opens the step's evidence window";
  if (r.status === "paused") return "paused — promote or resume to continue";
  if (r.status === "succeeded") return `completed: ${r.route} is served by ${r.candidate}`;
  return r.status.replace("_", " ");
}

function stepLabel(step: { type: string; weight?: number }): string {
  return step.type === "weight" ? `${step.weight} %` : step.type;
}
