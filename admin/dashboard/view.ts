import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";

/** A piece of escaped HTML (hono/html: every interpolated string is escaped). */
export type Html = HtmlEscapedString;
export const h = html as (strings: TemplateStringsArray, ...values: unknown[]) => Html;

/** What every page knows: who is looking, their CSRF token, a notice to show. */
export interface PageContext {
  readonly name: string;
  readonly role: "viewer" | "operator";
  readonly csrf: string;
  readonly notice?: string;
  readonly error?: string;
}

const NAV = [
  ["/_cutover/", "Overview"],
  ["/_cutover/rollouts", "Rollouts"],
  ["/_cutover/migration", "Migration"],
  ["/_cutover/map", "Migration map"],
  ["/_cutover/versions", "Versions & audit"],
] as const;

/**
 * The page shell: a small stylesheet, the navigation, and the live-refresh script (every
 * 5 s the page fetches itself and swaps its <main>, unless a form field has focus).
 */
export function layout(title: string, page: PageContext | undefined, body: Html, options: { live?: boolean; path?: string } = {}): Html {
  return h`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title} · cutover</title><style>${raw(CSS)}</style></head>
<body data-page="${page ? "app" : "login"}">
<header><strong>cutover</strong>${page ? h`<nav>${NAV.map(([href, label]) => h`<a href="${href}"${options.path === href ? raw(' aria-current="page"') : ""}>${label}</a>`)}</nav>
<form method="post" action="/_cutover/logout" class="who"><span>${page.name} · ${page.role}</span><input type="hidden" name="_csrf" value="${page.csrf}"><button>Sign out</button></form>` : ""}</header>
<main${options.live ? raw(" data-live") : ""}>
${page?.notice ? h`<p class="notice">${page.notice}</p>` : ""}${page?.error ? h`<p class="error">${page.error}</p>` : ""}
${body}
</main>
${options.live ? raw(`<script>${LIVE_SCRIPT}</script>`) : ""}
</body></html>`;
}

/** A form that changes something: operators only, with the CSRF token and a reason. */
export function actionForm(page: PageContext, action: string, label: string, fields: Html | string = "", options: { danger?: boolean; reason?: boolean } = {}): Html {
  if (page.role !== "operator") return h``;
  return h`<form method="post" action="/_cutover/actions/${action}" class="action">
<input type="hidden" name="_csrf" value="${page.csrf}">${fields}
${options.reason === false ? "" : h`<input name="reason" placeholder="reason (audited)" required maxlength="500">`}
<button${options.danger ? raw(' class="danger"') : ""}>${label}</button></form>`;
}

export function percent(value: number | null | undefined): string {
  return value === null || value === undefined ? "–" : `${Math.round(value * 1000) / 10} %`;
}

export function ms(value: number | null | undefined): string {
  return value === null || value === undefined ? "–" : `${value} ms`;
}

/** `2026-12-07 18:18:36`: a time that fits a table cell. */
export function when(iso: string): string {
  return iso.slice(0, 19).replace("T", " ");
}

const COLORS = ["#2563eb", "#d97706", "#059669", "#7c3aed", "#dc2626"];

/**
 * A line chart of named series over time (inline SVG; no script): a y axis labelled with its
 * top value, a few time ticks, and gaps where no point was counted (a missing step, or a
 * null value, is not a line between its neighbours). A series with a single point is a bar
 * labelled with its value, not a dot on the axis. `stepMs`: the series' step (a gap is more
 * than one step between two points); each point's value is in its <title>.
 */
export function lineChart(title: string, series: Readonly<Record<string, readonly { at: string; value: number | null }[]>>, unit = "", stepMs = 60_000): Html {
  const width = 560;
  const height = 130;
  const left = 62;
  const bottom = height - 22;
  const all = Object.values(series).flat();
  const times = all.map((p) => Date.parse(p.at));
  const values = all.map((p) => p.value ?? 0);
  if (all.length === 0) return h`<figure class="chart"><figcaption>${title}</figcaption><p class="muted">no traffic yet</p></figure>`;
  // One step of data: the axis spans a step either side, so its bars stand in the middle, not on the edge.
  const single = Math.max(...times) - Math.min(...times) < stepMs;
  const t0 = Math.min(...times) - (single ? stepMs : 0);
  const t1 = Math.max(...times, t0 + stepMs) + (single ? stepMs : 0);
  const max = Math.max(...values, unit === "%" ? 0.01 : 1);
  const x = (t: number) => ((t - t0) / (t1 - t0)) * (width - left - 12) + left;
  const y = (v: number) => bottom - (v / max) * (bottom - 12);
  const format = (v: number) => (unit === "%" ? percent(v) : `${v >= 10 ? Math.round(v) : Math.round(v * 100) / 100}${unit ? ` ${unit}` : ""}`);
  const lines = Object.entries(series).map(([name, points], i) => {
    const color = COLORS[i % COLORS.length];
    const counted = [...points].filter((p) => p.value !== null).sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
    if (counted.length === 1) {
      const only = counted[0] as { at: string; value: number };
      // Side by side, one bar per series, each labelled with its value above it.
      const cx = x(Date.parse(only.at)) + (i - (Object.keys(series).length - 1) / 2) * 44;
      const top = y(only.value);
      return h`<rect x="${(cx - 14).toFixed(1)}" y="${top.toFixed(1)}" width="28" height="${(bottom - top).toFixed(1)}" fill="${color}"><title>${name} at ${only.at.slice(11, 16)}: ${format(only.value)}</title></rect>
<text x="${cx.toFixed(1)}" y="${(top - 3).toFixed(1)}" font-size="10" text-anchor="middle" fill="${color}">${format(only.value)}</text>`;
    }
    let previous = Number.NaN;
    const d = counted
      .map((p) => {
        const at = Date.parse(p.at);
        const jump = !(at - previous <= stepMs * 1.5);
        previous = at;
        return `${jump ? "M" : "L"}${x(at).toFixed(1)},${y(p.value as number).toFixed(1)}`;
      })
      .join(" ");
    const dots = counted.map((p) => h`<circle cx="${x(Date.parse(p.at)).toFixed(1)}" cy="${y(p.value as number).toFixed(1)}" r="2.5" fill="${color}"><title>${name} at ${p.at.slice(11, 16)}: ${format(p.value as number)}</title></circle>`);
    return h`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>${dots}`;
  });
  const ticks = timeTicks(t0, t1).map((t) => h`<line x1="${x(t).toFixed(1)}" y1="${bottom}" x2="${x(t).toFixed(1)}" y2="${bottom + 4}" stroke="#94a3b8"/><text x="${x(t).toFixed(1)}" y="${height - 4}" font-size="10" text-anchor="${x(t) > width - 30 ? "end" : "middle"}">${tickLabel(t, t1 - t0)}</text>`);
  return h`<figure class="chart"><figcaption>${title}</figcaption>
<svg viewBox="0 0 ${width} ${height}" role="img" aria-label="${title}"><line x1="${left}" y1="${bottom}" x2="${width - 5}" y2="${bottom}" stroke="#ccc"/><line x1="${left}" y1="10" x2="${left}" y2="${bottom}" stroke="#ccc"/>
<text x="${left - 4}" y="16" font-size="10" text-anchor="end">${format(max)}</text><text x="${left - 4}" y="${bottom}" font-size="10" text-anchor="end">0</text>
${ticks}${lines}</svg>
<div class="legend">${Object.keys(series).map((name, i) => h`<span style="color:${COLORS[i % COLORS.length]}">■ ${name}</span>`)}</div></figure>`;
}

/** Four or five round times between t0 and t1 (on minutes, hours or days, as the span asks). */
function timeTicks(t0: number, t1: number): number[] {
  const span = t1 - t0;
  const steps = [60_000, 5 * 60_000, 15 * 60_000, 30 * 60_000, 3_600_000, 3 * 3_600_000, 6 * 3_600_000, 12 * 3_600_000, 86_400_000];
  const step = steps.find((s) => span / s <= 5) ?? 86_400_000;
  const ticks: number[] = [];
  for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) ticks.push(t);
  return ticks.length > 0 ? ticks : [t0];
}

/** `18:05` within a day, `12-07 18:00` over more. */
function tickLabel(t: number, span: number): string {
  const iso = new Date(t).toISOString();
  return span > 86_400_000 ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(11, 16);
}

/** Bars of shares (0–1) per label, e.g. the share migrated per day. */
export function barChart(title: string, bars: readonly { label: string; value: number | null }[]): Html {
  const width = 560;
  const height = 110;
  const step = (width - 10) / Math.max(1, bars.length);
  return h`<figure class="chart"><figcaption>${title}</figcaption><svg viewBox="0 0 ${width} ${height}" role="img" aria-label="${title}">
${bars.map((bar, i) => {
  const v = bar.value ?? 0;
  const barHeight = v * (height - 30);
  return h`<rect x="${(5 + i * step + 2).toFixed(1)}" y="${(height - 18 - barHeight).toFixed(1)}" width="${(step - 4).toFixed(1)}" height="${barHeight.toFixed(1)}" fill="#2563eb"><title>${bar.label}: ${percent(bar.value)}</title></rect>
<text x="${(5 + i * step + step / 2).toFixed(1)}" y="${height - 4}" font-size="10" text-anchor="middle">${bar.label.slice(5)}</text>`;
})}</svg></figure>`;
}

const CSS = `body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1f2937;background:#f8fafc}
header{display:flex;gap:1.5em;align-items:center;padding:.6em 1.2em;background:#0f172a;color:#fff}
header a{color:#cbd5e1;text-decoration:none;margin-right:1em}header a[aria-current]{color:#fff;font-weight:600}
.who{margin-left:auto;display:flex;gap:.6em;align-items:center}.who button{font-size:12px}
main{padding:1em 1.2em;max-width:1100px}h1{font-size:20px;margin:.2em 0 .6em}h2{font-size:16px;margin:1.4em 0 .4em}
table{border-collapse:collapse;background:#fff;width:100%}th,td{text-align:left;padding:.3em .6em;border-bottom:1px solid #e5e7eb;vertical-align:top}
th{font-size:12px;color:#64748b;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums}td.when{white-space:nowrap;font-variant-numeric:tabular-nums}
.ranges a{margin-right:.6em}.ranges a[aria-current]{font-weight:600;color:#0f172a;text-decoration:none}
.big{font-size:28px;font-weight:600}.muted{color:#64748b}.cards{display:flex;gap:1em;flex-wrap:wrap}
.card{background:#fff;border:1px solid #e5e7eb;border-radius:6px;padding:.7em 1em;min-width:160px}
.chart{background:#fff;border:1px solid #e5e7eb;border-radius:6px;margin:.6em 0;padding:.5em;max-width:580px;display:inline-block;vertical-align:top}
.chart svg{display:block;width:560px;max-width:100%;height:auto}.chart figcaption{font-size:12px;color:#64748b}.legend span{margin-right:1em;font-size:12px}
.action{display:inline-flex;gap:.4em;margin:.3em .6em .3em 0;flex-wrap:wrap}input,select,textarea{font:inherit;padding:.2em .4em}
button{font:inherit;padding:.25em .8em;border:1px solid #1d4ed8;background:#2563eb;color:#fff;border-radius:4px;cursor:pointer}
button.danger{background:#dc2626;border-color:#b91c1c}.notice{background:#ecfdf5;border:1px solid #6ee7b7;padding:.5em}
.error{background:#fef2f2;border:1px solid #fca5a5;padding:.5em}.pass{color:#059669}.fail{color:#dc2626;font-weight:600}.wait{color:#d97706}
.diff td.control{background:#fef2f2}.diff td.candidate{background:#ecfdf5}code,pre{font-family:ui-monospace,monospace;font-size:12px}
pre{background:#fff;border:1px solid #e5e7eb;padding:.6em;overflow:auto}`;

/** The live refresh (its hash is in the pages' Content-Security-Policy). */
export const LIVE_SCRIPT = `setInterval(async()=>{if(document.hidden||document.activeElement.matches("input,select,textarea"))return;
try{const r=await fetch(location.href,{headers:{"x-cutover-live":"1"}});const d=new DOMParser().parseFromString(await r.text(),"text/html");
if(d.body.dataset.page!=="app")return location.reload();const m=d.querySelector("main");if(m)document.querySelector("main").innerHTML=m.innerHTML}catch{}},5000)`;
