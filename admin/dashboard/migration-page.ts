import type { MigrationProgress } from "../../migration/progress.ts";
import type { DecommissionAnswer, DualWriteExample, LegacyBurndownAnswer, LegacyMapAnswer, MappedEndpointAnswer } from "../contract/index.ts";
import { costPanel } from "./migration-cost.ts";
import { hourBars, stackedChart } from "./migration-charts.ts";
import type { MigrationData, MigrationRollout, Panel, RouteProgress } from "./migration-data.ts";
import { h, layout, percent, when, type Html, type PageContext } from "./view.ts";

/**
 * The whole migration on one page (issue 25): the legacy surface's burndown, where each
 * endpoint stands, the rollouts under way and their evidence, each data migration's progress,
 * what still holds legacy up, and what it costs. Pictures first, numbers on hover; a part the
 * API could not give says so and the rest still shows.
 */
export function migrationPage(page: PageContext, data: MigrationData): Html {
  return layout(
    "Migration",
    page,
    h`<h1>Migration</h1>
${section("burndown", "Legacy endpoints by stage", data.burndown, burndownPanel)}
${section("endpoints", "Endpoints", data.map, endpointsPanel)}
${section("rollouts", "Rollouts", data.rollouts, rolloutsPanel)}
${section("progress", "Data migrations", data.progress, (routes) => progressPanel(routes, data.fallbackBound))}
${section("decommission", "Decommission", data.decommission, decommissionPanel)}
${section("cost", "Cost", data.cost, costPanel)}`,
    { path: "/_cutover/migration" },
  );
}

/** A panel, or the reason its data is missing. */
function section<T>(id: string, title: string, panel: Panel<T>, render: (value: T) => Html): Html {
  return h`<section data-panel="${id}"><h2>${title}</h2>${panel.ok ? render(panel.value) : h`<p class="muted" data-unavailable>not available: ${panel.message}</p>`}</section>`;
}

function burndownPanel(burndown: LegacyBurndownAnswer): Html {
  const steps = burndown.points.map((point) => ({
    at: point.at,
    id: String(point.version),
    counts: point.counts,
    hover: `v${point.version} from ${point.at}: ${burndownCounts(burndown.stages, point)}`,
  }));
  return h`<p class="muted">The endpoints of legacy surface import ${burndown.surfaceVersion}, by the stage of the route covering each, under every table version since ${burndown.since.slice(0, 10)} (hover for the numbers).</p>
${stackedChart("Endpoints by stage", burndown.stages, steps, burndown.until)}`;
}

/** `legacy 3 (2 unrouted) · split 1`: every stage with endpoints, legacy always. */
function burndownCounts(stages: readonly string[], point: LegacyBurndownAnswer["points"][number]): string {
  const counted = stages.filter((stage) => stage === "legacy" || (point.counts[stage] ?? 0) > 0);
  return counted.map((stage) => `${stage} ${point.counts[stage] ?? 0}${stage === "legacy" ? ` (${point.unrouted} unrouted)` : ""}`).join(" · ");
}

const card = (label: string, value: string | number, metric: string) => h`<div class="card"><div class="muted">${label}</div><div class="big" data-metric="${metric}">${value}</div></div>`;

function endpointsPanel(map: LegacyMapAnswer): Html {
  const { summary } = map;
  const byStage = Object.entries(summary.byStage).map(([stage, count]) => `${count} ${stage}`).join(" · ");
  return h`<div class="cards">${card("Endpoints", summary.endpoints, "endpoints")}${card("Covered by routes", summary.covered, "covered")}${card("Seen on legacy, unrouted", summary.seen, "seen")}${card(`Not seen in ${map.windowDays} days`, summary.unseen, "unseen")}</div>
<p class="muted">Covered: ${byStage || "none"}. ${summary.unexplained} path template${summary.unexplained === 1 ? "" : "s"} of traffic no endpoint explains (<a href="/_cutover/map">migration map</a>).</p>
<table><thead><tr><th>Method</th><th>Pattern</th><th>State</th><th>Route</th><th>Stage</th><th>Action</th></tr></thead><tbody>${map.endpoints.map(endpointRow)}</tbody></table>`;
}

function endpointRow(endpoint: MappedEndpointAnswer): Html {
  const stage = endpoint.state === "covered" ? (endpoint.stage ?? "legacy") : "legacy";
  const label = endpoint.state === "covered" ? (endpoint.stageLabel ?? stage) : endpoint.state === "seen" ? `legacy, unrouted (${endpoint.requests ?? 0} request${endpoint.requests === 1 ? "" : "s"})` : `not seen for ${endpoint.days ?? "?"} days: retire it`;
  return h`<tr data-endpoint="${endpoint.method} ${endpoint.pattern}"><td>${endpoint.method}</td><td><code>${endpoint.pattern}</code></td><td>${endpoint.state}</td>
<td>${endpoint.route ? h`<a href="/_cutover/routes/${endpoint.route}">${endpoint.route}</a>` : "–"}</td><td data-stage="${stage}">${label}</td><td>${endpoint.action || "–"}</td></tr>`;
}

function rolloutsPanel(rollouts: readonly MigrationRollout[]): Html {
  if (rollouts.length === 0) return h`<p class="muted">No rollout has been started.</p>`;
  return h`<table><thead><tr><th>Route</th><th>Move</th><th>Status</th><th>Step</th><th>Evidence now</th></tr></thead><tbody>${rollouts.map(rolloutRow)}</tbody></table>`;
}

function rolloutRow({ summary, detail }: MigrationRollout): Html {
  const judged = detail?.ok ? detail.value.now : undefined;
  const verdict = judged?.verdict;
  const evidence = detail !== undefined && !detail.ok
    ? h`<span class="muted">not available: ${detail.message}</span>`
    : verdict
      ? h`<span class="${verdict.outcome}">${verdict.outcome}</span> — ${verdict.summary}<ul>${verdict.checks.map((check) => h`<li title="${numbersText(check.numbers)}"><span class="${check.outcome}">${check.gate}</span>: ${check.summary}</li>`)}</ul>`
      : (judged?.reason ?? summary.pausedReason ?? summary.lastVerdict?.summary ?? (judged ? `next tick: ${judged.decision}` : "–"));
  return h`<tr data-rollout="${summary.route}"><td><a href="/_cutover/rollouts/${summary.route}">${summary.route}</a></td><td>${summary.control} → ${summary.candidate}</td><td>${summary.status}</td>
<td data-metric="rollout-step">${summary.step}/${summary.steps} ${summary.stepLabel}</td><td>${evidence}</td></tr>`;
}

const numbersText = (numbers: Readonly<Record<string, number | null>>) => Object.entries(numbers).map(([name, value]) => `${name} = ${value ?? "–"}`).join(", ");

function progressPanel(routes: readonly RouteProgress[], bound: MigrationData["fallbackBound"]): Html {
  if (routes.length === 0) return h`<p class="muted">No route reads through to legacy or copies its writes: no data migration under way.</p>`;
  return h`<p class="muted">Ready to remove the fallback once every hour of the last ${bound.days} days with reads fell back at most ${percent(bound.maxFallbackRate)}.</p>${routes.map(routeProgress)}`;
}

function routeProgress({ route, why, progress, examples }: RouteProgress): Html {
  return h`<div data-progress="${route}"><h3><a href="/_cutover/routes/${route}">${route}</a> <span class="muted">${why}</span></h3>${progress.ok ? progressFigures(progress.value) : h`<p class="muted" data-unavailable>not available: ${progress.message}</p>`}
${examples === undefined ? "" : examples.ok ? examplesTable(examples.value) : h`<p class="muted" data-unavailable>examples not available: ${examples.message}</p>`}</div>`;
}

/** The newest dual-write copies that failed or disagreed: what legacy answered, what the new backend did, the ids to look up. */
function examplesTable(examples: readonly DualWriteExample[]): Html {
  if (examples.length === 0) return h`<p class="muted" data-examples="0">No copy failed or disagreed with legacy's write (examples are kept 14 days).</p>`;
  return h`<table data-examples="${examples.length}"><thead><tr><th>When</th><th>Request</th><th>Legacy</th><th>New backend</th><th>Record id</th><th>Its answer</th></tr></thead><tbody>${examples.map(
    (example) => h`<tr data-example="${example.outcome}"><td class="when">${when(example.at)}</td><td><code>${example.method} ${example.path}</code></td><td class="num">${example.legacyStatus}</td>
<td>${example.outcome}: ${example.candidateStatus ?? example.candidateError ?? "–"}</td><td><code>${example.legacyId ?? "–"}</code></td><td><code>${(example.candidateBody ?? "").slice(0, 120)}</code></td></tr>`,
  )}</tbody></table>`;
}

function progressFigures(progress: MigrationProgress): Html {
  const sum = (pick: (hour: MigrationProgress["hours"][number]) => number) => progress.hours.reduce((total, hour) => total + pick(hour), 0);
  const reads = sum((hour) => hour.reads);
  const fellBack = sum((hour) => hour.fellBack);
  const bars = progress.hours.map((hour) => ({
    at: hour.at,
    value: hour.fallbackRate,
    hover: `${hour.at.slice(0, 13).replace("T", " ")}h: ${hour.fellBack} of ${hour.reads} reads fell back (${percent(hour.fallbackRate)}); ${hour.copies} copies, ${hour.copiesFailed} failed, ${hour.copiesDisagreed} disagreed`,
  }));
  return h`<p class="${progress.readyToRemoveFallback ? "pass" : "wait"}" data-metric="fallback-verdict">${progress.readyToRemoveFallback ? "Ready to remove the fallback" : "Not ready to remove the fallback"}: ${progress.reason}.</p>
<div class="cards">${card("Reads on the new backend", reads, "reads")}${card("Fell back to legacy", fellBack, "fell-back")}${card("Copies sent", sum((hour) => hour.copies), "copies")}${card("Copies failed", sum((hour) => hour.copiesFailed), "copies-failed")}${card("Copies disagreed", sum((hour) => hour.copiesDisagreed), "copies-disagreed")}</div>
${hourBars("Fallback rate per hour", bars, (max) => percent(max))}`;
}

function decommissionPanel(answer: DecommissionAnswer): Html {
  const off = answer.switchOff;
  return h`<p class="${answer.ready ? "pass" : "wait"}" data-metric="decommission-ready">${answer.ready ? `Nothing holds ${answer.legacy} up over the last ${answer.windowDays} days.` : `${answer.holds.length} thing${answer.holds.length === 1 ? "" : "s"} still hold ${answer.legacy} up.`}</p>
${off ? h`<p data-metric="switch-off">${answer.legacy} ${off.status} at ${off.at} by ${off.by} (v${off.version}); grace until ${off.graceUntil}${off.lastWarm ? `; last kept warm ${off.lastWarm.at}` : ""}.</p>` : ""}
${answer.holds.length > 0 ? h`<table><thead><tr><th>Kind</th><th>What</th><th>Detail</th></tr></thead><tbody>${answer.holds.map((hold) => h`<tr><td>${hold.kind}</td><td><code>${hold.subject}</code></td><td>${hold.detail}</td></tr>`)}</tbody></table>` : ""}
${answer.retired.length > 0 ? h`<details><summary>${answer.retired.length} endpoint${answer.retired.length === 1 ? "" : "s"} retired with ${answer.legacy} (no traffic)</summary><p>${answer.retired.join(", ")}</p></details>` : ""}`;
}
