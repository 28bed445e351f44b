import { samplePath } from "../accounting/path-template.ts";
import type { CompiledTable } from "../routes/compile.ts";
import { endpointCoverage } from "./endpoint-coverage.ts";
import type { LegacyEndpoint } from "./legacy-endpoint.ts";
import type { RouteStage } from "./route-stage.ts";
import { matchTemplate, takesMethod } from "./template-match.ts";

const DAY = 86_400_000;

/** A path template of unrouted traffic, as the inventory stores it (store/metrics-store.ts). */
export interface TrafficTemplate {
  readonly template: string;
  readonly count: number;
  readonly methods: readonly string[];
  readonly lastSeen: string;
}

/** Where one legacy endpoint stands. */
export type EndpointStanding =
  | { readonly state: "covered"; readonly route: string; readonly stage: RouteStage }
  /** Unrouted requests matched it within the window: served by the default backend, to migrate. */
  | { readonly state: "seen"; readonly requests: number; readonly lastSeen: string; readonly templates: readonly string[] }
  /** No request within the window: a candidate to retire, not to migrate. `lastSeen` when older traffic is still known. */
  | { readonly state: "unseen"; readonly days: number; readonly lastSeen: string | null };

export interface MappedEndpoint {
  readonly endpoint: LegacyEndpoint;
  readonly standing: EndpointStanding;
}

/** A template of traffic in the window that no endpoint explains for some of its methods. */
export interface UnexplainedTemplate {
  readonly template: string;
  readonly methods: readonly string[];
  readonly count: number;
  readonly lastSeen: string;
  /** The route that matches it now (traffic recorded before the route existed), if any. */
  readonly coveredBy: string | null;
}

export interface MigrationMap {
  readonly endpoints: readonly MappedEndpoint[];
  readonly unexplained: readonly UnexplainedTemplate[];
  readonly summary: { readonly endpoints: number; readonly covered: number; readonly seen: number; readonly unseen: number; readonly unexplained: number; readonly byStage: Readonly<Record<string, number>> };
}

/**
 * The migration map: the legacy surface joined with routes and traffic. Each endpoint is
 *
 * - **covered** by the route the table's matcher picks for a concrete path of its pattern
 *   and its method, at that route's stage (endpoint-coverage.ts);
 * - else **seen**, when templates of unrouted traffic last seen within the window match it
 *   (template-match.ts) for one of their methods, it being the most specific endpoint that
 *   does: those requests went to the default backend;
 * - else **unseen** for `days` (the window, or the days since older traffic last matched it).
 *
 * The reverse: templates within the window that no endpoint explains for some method —
 * scanners, or endpoints the import missed. The inventory counts a template over its
 * retention, not per day: `requests` is that count. Pure: `now` is an argument.
 */
export function migrationMap(input: {
  readonly endpoints: readonly LegacyEndpoint[];
  readonly table: CompiledTable | undefined;
  readonly templates: readonly TrafficTemplate[];
  readonly now: number;
  readonly windowMs: number;
}): MigrationMap {
  const { endpoints, table, templates, now, windowMs } = input;
  const since = now - windowMs;
  /** Per endpoint index: what matched it within the window, and the latest match before. */
  const hits = new Map<number, { requests: number; lastSeen: string; templates: string[] }>();
  const older = new Map<number, string>();
  const unexplained: UnexplainedTemplate[] = [];

  for (const template of templates) {
    const recent = Date.parse(template.lastSeen) >= since;
    const missing: string[] = [];
    for (const method of template.methods) {
      const best = bestEndpoint(endpoints, template.template, method);
      if (best === undefined) {
        missing.push(method);
        continue;
      }
      if (!recent) {
        if ((older.get(best) ?? "") < template.lastSeen) older.set(best, template.lastSeen);
        continue;
      }
      const hit = hits.get(best) ?? { requests: 0, lastSeen: "", templates: [] };
      if (!hit.templates.includes(template.template)) {
        hit.templates.push(template.template);
        hit.requests += template.count;
      }
      if (hit.lastSeen < template.lastSeen) hit.lastSeen = template.lastSeen;
      hits.set(best, hit);
    }
    if (recent && missing.length > 0) {
      const covered = table?.matcher.match(missing[0] as string, "", samplePath(template.template));
      unexplained.push({ template: template.template, methods: missing, count: template.count, lastSeen: template.lastSeen, coveredBy: covered?.id ?? null });
    }
  }

  const windowDays = Math.round(windowMs / DAY);
  const mapped = endpoints.map((endpoint, index): MappedEndpoint => {
    const coverage = table === undefined ? undefined : endpointCoverage(endpoint, table);
    if (coverage !== undefined) return { endpoint, standing: { state: "covered", route: coverage.route, stage: coverage.stage } };
    const hit = hits.get(index);
    if (hit !== undefined) return { endpoint, standing: { state: "seen", requests: hit.requests, lastSeen: hit.lastSeen, templates: hit.templates } };
    const last = older.get(index);
    return { endpoint, standing: { state: "unseen", days: last === undefined ? windowDays : Math.floor((now - Date.parse(last)) / DAY), lastSeen: last ?? null } };
  });

  const byStage: Record<string, number> = {};
  for (const { standing } of mapped) if (standing.state === "covered") byStage[standing.stage.stage] = (byStage[standing.stage.stage] ?? 0) + 1;
  const count = (state: EndpointStanding["state"]) => mapped.filter((entry) => entry.standing.state === state).length;
  return {
    endpoints: mapped,
    unexplained: unexplained.sort((a, b) => b.count - a.count),
    summary: { endpoints: mapped.length, covered: count("covered"), seen: count("seen"), unseen: count("unseen"), unexplained: unexplained.length, byStage },
  };
}

/** The index of the most specific endpoint that takes `method` on the template's paths (an exact method beats `*`). */
function bestEndpoint(endpoints: readonly LegacyEndpoint[], template: string, method: string): number | undefined {
  let best: { index: number; score: string; exact: boolean } | undefined;
  endpoints.forEach((endpoint, index) => {
    if (!takesMethod(endpoint, method)) return;
    const score = matchTemplate(template, endpoint);
    if (score === undefined) return;
    const exact = endpoint.method !== "*";
    if (best === undefined || score > best.score || (score === best.score && exact && !best.exact)) best = { index, score, exact };
  });
  return best?.index;
}
