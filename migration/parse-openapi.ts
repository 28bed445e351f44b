import type { LegacyEndpoint, SurfaceProblem } from "./legacy-endpoint.ts";
import { railsPatterns } from "./rails-path.ts";

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/**
 * An OpenAPI 3 document (or Swagger 2), already parsed from JSON, as endpoints: one per path
 * and operation, `{id}` as `:id` (a parameter inside a segment, `{id}.json`, takes the whole
 * segment), the operationId as the action. The path of the first server URL (`/v1` of
 * `https://api.example.com/v1`, or Swagger 2's `basePath`) comes first: that is what a
 * client sends. YAML is not read: convert it to JSON first (no YAML parser is bundled).
 */
export function parseOpenApi(document: unknown): { endpoints: LegacyEndpoint[]; problems: SurfaceProblem[] } {
  const problems: SurfaceProblem[] = [];
  const endpoints: LegacyEndpoint[] = [];
  if (!isObject(document) || !(typeof document.openapi === "string" || typeof document.swagger === "string") || !isObject(document.paths)) {
    return { endpoints, problems: [{ line: 0, text: "", message: "not an OpenAPI document: expected `openapi` (or `swagger`) and `paths`" }] };
  }
  const base = basePath(document);
  const seen = new Set<string>();
  for (const [path, item] of Object.entries(document.paths)) {
    if (!isObject(item)) continue;
    // `{id}` is Rails' `:id` with another spelling: the same rules make it a pattern.
    const made = railsPatterns(path.replace(/\{([^}/]*)\}/g, (_all, name: string) => `:${/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : "param"}`), base);
    if (!made.ok) {
      problems.push({ line: 0, text: path, message: `the path ${made.error}` });
      continue;
    }
    for (const method of METHODS) {
      const operation = item[method];
      if (!isObject(operation)) continue;
      for (const pattern of made.value.patterns) {
        const key = `${method.toUpperCase()} ${pattern}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const summary = typeof operation.summary === "string" ? operation.summary : undefined;
        endpoints.push({
          method: method.toUpperCase(),
          pattern,
          source: `${base}${path}`,
          action: typeof operation.operationId === "string" ? operation.operationId : "",
          kind: "action",
          ...(summary === undefined ? {} : { name: summary.slice(0, 200) }),
        });
      }
    }
  }
  return { endpoints, problems };
}

function basePath(document: Record<string, unknown>): string {
  if (typeof document.basePath === "string") return trimSlash(document.basePath);
  const servers = document.servers;
  const first = Array.isArray(servers) ? (servers[0] as unknown) : undefined;
  if (!isObject(first) || typeof first.url !== "string") return "";
  // Server variables (`{stage}`) are left to their default value when there is one.
  const variables = isObject(first.variables) ? first.variables : {};
  const url = first.url.replace(/\{([^}]*)\}/g, (_all, name: string) => {
    const variable = variables[name];
    return isObject(variable) && typeof variable.default === "string" ? variable.default : "";
  });
  try {
    return trimSlash(new URL(url, "http://relative.invalid").pathname);
  } catch {
    return "";
  }
}

const trimSlash = (path: string) => (path === "/" ? "" : path.replace(/\/+$/, ""));
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
