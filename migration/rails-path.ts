import { err, ok, type Result } from "../lib/result.ts";
import { normalizePath } from "../routes/normalize-path.ts";
import { parsePattern } from "../routes/path-pattern.ts";

/** Forms of one path at most: `(/:a)(/:b)(/:c)` is 8; more is a path no app means. */
const MAX_FORMS = 16;

/** A Rails path as cutover patterns: one per form of its optional groups. */
export interface RailsPatterns {
  readonly patterns: readonly string[];
  /** The path allowed a format extension, `(.:format)`, dropped from the patterns. */
  readonly format: boolean;
}

/**
 * `/users/:user_id/orders/:id(.:format)` → `/users/:user_id/orders/:id`. Rails' journey
 * syntax has more than cutover's patterns, so each piece is mapped to the nearest pattern
 * that matches the same requests or more:
 *
 * - `(.:format)` is dropped: cutover matches whole segments, `/users/1.json` is `/users/:id`
 *   already, and `/users.json` is told apart where traffic is joined (migration-map.ts);
 * - another optional group, `(/:locale)/catalog` or `/reports/:year(/:month)`, gives one
 *   pattern per form (`/catalog`, `/:locale/catalog`);
 * - a glob `*path` becomes `*`, the rest of the path (a glob inside a path, `/a/*b/c`, too:
 *   cutover's `*` ends a pattern);
 * - a segment mixing text and parameters (`:id-:slug`, `page-:n`) becomes its first
 *   parameter (`:id`, `:n`): one segment, any value.
 *
 * `mount`: the engine's mount point (`/blog`), put before the path.
 */
export function railsPatterns(path: string, mount = ""): Result<RailsPatterns, string> {
  const format = path.includes("(.:format)");
  const forms = expandOptional(path.replaceAll("(.:format)", ""));
  if (forms === undefined) return err(`has unbalanced parentheses or more than ${MAX_FORMS} optional forms`);
  const patterns: string[] = [];
  for (const form of forms) {
    const pattern = toPattern(`${mount}${form.startsWith("/") ? "" : "/"}${form}`);
    const parsed = parsePattern(pattern);
    if (!parsed.ok) return err(`gives the pattern '${pattern}', which ${parsed.error}`);
    if (!patterns.includes(pattern)) patterns.push(pattern);
  }
  return ok({ patterns, format });
}

function toPattern(path: string): string {
  const segments: string[] = [];
  for (const raw of path.split("/").slice(1)) {
    if (raw === "") continue;
    if (raw.startsWith("*")) {
      segments.push("*");
      break;
    }
    const param = /:([A-Za-z_][A-Za-z0-9_]*)/.exec(raw);
    segments.push(param ? `:${param[1]}` : raw);
  }
  return normalizePath(`/${segments.join("/")}`);
}

/** Every form of a path's optional `( … )` groups, nested ones included; undefined when unbalanced or too many. */
export function expandOptional(path: string): string[] | undefined {
  const open = path.indexOf("(");
  if (open === -1) return path.includes(")") ? undefined : [path];
  let depth = 0;
  let close = -1;
  for (let i = open; i < path.length; i++) {
    if (path[i] === "(") depth++;
    else if (path[i] === ")" && --depth === 0) {
      close = i;
      break;
    }
  }
  if (close === -1) return undefined;
  const head = path.slice(0, open);
  if (head.includes(")")) return undefined;
  const inner = expandOptional(path.slice(open + 1, close));
  const tail = expandOptional(path.slice(close + 1));
  if (inner === undefined || tail === undefined) return undefined;
  const forms: string[] = [];
  for (const middle of ["", ...inner]) for (const end of tail) forms.push(`${head}${middle}${end}`);
  return forms.length > MAX_FORMS ? undefined : forms;
}
