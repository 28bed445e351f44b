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

const COLORS = ["#2563eb", "#d97706", "#059669", "#7c3aed", "#dc2626"];

/** A line chart of named series over time (inline SVG; no script). */
export function lineChart(title: string, series: Readonly<Record<string, readonly { at: string; value: number | null }[]>>, unit = ""): Html {
  const width = 560;
  const height = 120;
  const all = Object.values(series).flat();
  const times = all.map((p) => Date.parse(p.at));
  const values = all.map((p) => p.value ?? 0);
  if (all.length === 0) return h`<figure class="chart"><figcaption>${title}</figcaption><p class="muted">no traffic yet</p></figure>`;
  const t0 = Math.min(...times);
  const t1 = Math.max(...times, t0 + 60_000);
  const max = Math.max(...values, unit === "%" ? 0.01 : 1);
  const x = (t: number) => ((t - t0) / (t1 - t0)) * (width - 50) + 45;
  const y = (v: number) => height - 18 - (v / max) * (height - 30);
  const lines = Object.entries(series).map(([name, points], i) => {
    const d = points
      .filter((p) => p.value !== null)
      .map((p, j) => `${j === 0 ? "M" : "L"}${x(Date.parse(p.at)).toFixed(1)},${y(p.value as number).toFixed(1)}`)
      .join(" ");
    const dots = points.filter((p) => p.value !== null).map((p) => h`<circle cx="${x(Date.parse(p.at)).toFixed(1)}" cy="${y(p.value as number).toFixed(1)}" r="2.5" fill="${COLORS[i % COLORS.length]}"/>`);
    return h`<path d="${d}" fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="2"/>${dots}`;
  });
  const label = unit === "%" ? percent(max) : `${Math.round(max * 100) / 100}${unit ? ` ${unit}` : ""}`;
  return h`<figure class="chart"><figcaption>${title}</figcaption>
<svg viewBox="0 0 ${width} ${height}" role="img" aria-label="${title}"><line x1="45" y1="${height - 18}" x2="${width - 5}" y2="${height - 18}" stroke="#ccc"/>
<text x="0" y="16" font-size="11">${label}</text><text x="0" y="${height - 18}" font-size="11">0</text>
<text x="45" y="${height - 3}" font-size="11">${new Date(t0).toISOString().slice(11, 16)}</text><text x="${width - 40}" y="${height - 3}" font-size="11">${new Date(t1).toISOString().slice(11, 16)}</text>
${lines}</svg>
<div class="legend">${Object.keys(series).map((name, i) => h`<span style="color:${COLORS[i % COLORS.length]}">■ ${name}</span>`)}</div></figure>`;
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
th{font-size:12px;color:#64748b;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums}
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
