import type { ShadowReportAnswer } from "../contract/index.ts";
import { h, type Html } from "./view.ts";

const HEADER_ROWS = 20;

/**
 * A route page's shadow report: the verdict on status and body, the fields that differ, the
 * headers that differ (by name, apart from the verdict, security ones flagged) and the newest
 * mismatch side by side.
 */
export function shadowSection(shadow: ShadowReportAnswer): Html {
  const sample = shadow.latestSample;
  const security = shadow.verdict.securityHeaders;
  return h`<h2>Shadow: ${shadow.verdict.summary}</h2>
<p class="muted">epoch ${shadow.epoch}${shadow.firstAt ? ` since ${shadow.firstAt}` : ""} · compared ${shadow.compared}, matched in status and body ${shadow.matched}, candidate errors ${shadow.candidateErrors} · noise learned: ${shadow.noise.map((n) => n.field).join(", ") || "none"}</p>
${
  shadow.differences.length === 0
    ? ""
    : h`<table data-section="shadow-differences"><thead><tr><th>Differing field (status, body)</th><th>Count</th><th>Example</th></tr></thead><tbody>${shadow.differences.slice(0, 10).map(
        (d) => h`<tr><td><code>${d.field}</code></td><td class="num">${d.count}</td><td>${d.example ? h`<code>${json(d.example.control)}</code> → <code>${json(d.example.candidate)}</code> <span class="muted">(${d.example.method} ${d.example.path})</span>` : "–"}</td></tr>`,
      )}</tbody></table>`
}
${headersTable(shadow, security)}
${
  sample
    ? h`<h2>Latest difference, side by side <span class="muted">${sample.method} ${sample.path} at ${sample.at}</span></h2>
<table class="diff"><thead><tr><th>Field</th><th>Control (${sample.controlStatus}, ${sample.controlMs} ms)</th><th>Candidate (${sample.candidateStatus}, ${sample.candidateMs} ms)</th></tr></thead>
<tbody>${sample.differences.map((d) => h`<tr><td><code>${d.field}</code> <span class="muted">${d.kind}</span></td><td class="control"><code>${json(d.control)}</code></td><td class="candidate"><code>${json(d.candidate)}</code></td></tr>`)}</tbody></table>`
    : ""
}`;
}

function headersTable(shadow: ShadowReportAnswer, security: readonly string[]): Html | string {
  if (shadow.headers.length === 0) return "";
  return h`<h3>Headers <span class="muted">judged apart from the match rate</span></h3>
${security.length > 0 ? h`<p class="fail">Security headers the candidate drops or changes: ${security.join(", ")}. Add them to the candidate, or name them in shadow.ignore (header:NAME) to accept the difference.</p>` : ""}
<table data-section="shadow-headers"><thead><tr><th>Header</th><th>Differed in</th><th>Missing on candidate</th><th>Extra on candidate</th><th>Other value</th><th>Example</th></tr></thead><tbody>${shadow.headers.slice(0, HEADER_ROWS).map(
    (header) =>
      h`<tr><td><code>${header.name}</code>${header.security ? h` <span class="${security.includes(header.name) ? "fail" : "muted"}">security</span>` : ""}</td><td class="num">${header.count} of ${shadow.compared}</td><td class="num">${header.missing}</td><td class="num">${header.extra}</td><td class="num">${header.changed}</td><td>${header.example ? h`<code>${json(header.example.control)}</code> → <code>${json(header.example.candidate)}</code> <span class="muted">(${header.example.method} ${header.example.path})</span>` : "–"}</td></tr>`,
  )}</tbody></table>`;
}

function json(value: unknown): string {
  return value === undefined ? "(none)" : JSON.stringify(value);
}
