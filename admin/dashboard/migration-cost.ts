import type * as z from "zod/mini";
import type { CostAnswer, EstimateAnswer } from "../contract/index.ts";
import { hourBars } from "./migration-charts.ts";
import { h, percent, type Html } from "./view.ts";

type Estimate = z.infer<typeof EstimateAnswer>;

/** An estimate's formula and inputs, as its hover says them (`reason` first for an unknown one). */
export function estimateHover(estimate: Estimate): string {
  const inputs = Object.entries(estimate.inputs).map(([name, value]) => `${name} = ${value}`);
  return [...(estimate.reason ? [`unknown: ${estimate.reason}`] : []), estimate.formula, ...inputs].join("\n");
}

/** An estimate's value in its unit: money a month in the prices' currency, a share, dynos, requests at once. */
function valueText(estimate: Estimate, currency: string): string {
  const value = estimate.value;
  if (value === null) return "unknown";
  if (estimate.unit === "share") return percent(value);
  if (estimate.unit === "per month") return `${currency} ${value.toLocaleString("en-US", { maximumFractionDigits: 2 })}/month`;
  return `${Math.round(value * 100) / 100} ${estimate.unit}`;
}

/** A figure: its value, with the formula and inputs it came from on hover. */
function figure(estimate: Estimate, currency: string, metric?: string): Html {
  return h`<span class="figure${estimate.kind === "unknown" ? " muted" : ""}" title="${estimateHover(estimate)}"${metric ? h` data-metric="${metric}"` : ""}>${valueText(estimate, currency)}</span>`;
}

/** The cost panel: what legacy's bill could become, legacy's share of traffic over time, each route's cost on each side. */
export function costPanel(cost: CostAnswer): Html {
  const { projections, currency } = cost;
  const projection = (label: string, metric: string, p: CostAnswer["projections"]["now"]) =>
    h`<div class="card"><div class="muted">${label}</div><div class="big">${figure(p.bill, currency, `bill-${metric}`)}</div><div class="muted">saving ${figure(p.saving, currency, `saving-${metric}`)} · ${figure(p.dynosNeeded, currency)}</div></div>`;
  const share = cost.legacyShare.points.map((point) => ({
    at: point.at,
    value: point.share.value,
    hover: `${point.at}: ${point.legacyServed} of ${point.allServed} requests on ${cost.legacyBackend} (${percent(point.share.value)})\n${estimateHover(point.share)}`,
  }));
  return h`<p class="muted">${cost.notice} From ${cost.from} to ${cost.until}; hover a figure for its formula and inputs.</p>
<div class="cards">${projection(`${cost.legacyBackend} now`, "now", projections.now)}${projection("Once the routes in migration move", "after-migrating", projections.afterMigrating)}${projection("Once everything has moved", "all-moved", projections.allMoved)}
<div class="card"><div class="muted">New backends</div><div class="big">${figure(cost.newBackendsTotal, currency, "new-backends")}</div></div></div>
${hourBars(`${cost.legacyBackend}'s share of requests per ${cost.legacyShare.step}`, share, (max) => percent(max))}
<table><thead><tr><th>Route</th><th>Requests</th><th>On ${cost.legacyBackend}</th><th>On its new backends</th><th>All on a new backend</th></tr></thead><tbody>${cost.routes.map(
    (route) => h`<tr data-cost-route="${route.route}"><td>${route.route}</td><td class="num">${route.served}</td><td>${figure(route.legacy, currency)}</td>
<td>${perBackend(route.onNew, currency)}</td><td>${perBackend(route.allOnNew, currency)}</td></tr>`,
  )}</tbody></table>`;
}

function perBackend(estimates: Readonly<Record<string, Estimate>>, currency: string): Html {
  const entries = Object.entries(estimates);
  return entries.length === 0 ? h`–` : h`${entries.map(([backend, estimate]) => h`<div>${backend}: ${figure(estimate, currency)}</div>`)}`;
}
