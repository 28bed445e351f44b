import { templateSegment } from "../accounting/template-segment.ts";
import type { LegacyEndpoint } from "./legacy-endpoint.ts";

/**
 * How closely an endpoint's pattern matches a path template of the migration map, segment by
 * segment from the left: `c` a literal, `b` a parameter, `a` the rest (`*`). Compared as
 * strings, the greater one is the more specific (literal > parameter > rest, as the route
 * matcher decides between routes), so `/users/search` explains `/users/search` rather than
 * `/users/:id`. Undefined when the endpoint cannot have served the template's requests.
 *
 * A template's parameters (`:id`, `:token`, …, accounting/template-segment.ts) match an
 * endpoint's parameter, or a literal the template would have made the same parameter (a
 * 24-letter literal is `:token` in a template). A template cut short (`/*` after 8 segments)
 * matches an endpoint that goes on. For an endpoint that takes a format (`(.:format)`), the
 * last segment may carry an extension: `/users.json` is `/users`.
 */
export function matchTemplate(template: string, endpoint: Pick<LegacyEndpoint, "pattern" | "format">): string | undefined {
  const path = template.split("/").slice(1);
  if (path.length > 1 && path.at(-1) === "") path.pop(); // `/users/` is `/users`
  const pattern = endpoint.pattern === "/" ? [] : endpoint.pattern.split("/").slice(1);
  const rootPath = path.length === 1 && path[0] === "";
  const segments = rootPath ? [] : path;
  let score = "";
  for (let i = 0; i < pattern.length; i++) {
    const want = pattern[i] as string;
    if (want === "*") return `${score}a`;
    const got = segments[i];
    if (got === undefined) return undefined;
    if (got === "*" && i === segments.length - 1) return `${score}a`;
    if (want.startsWith(":")) score += "b";
    else if (literalMatches(got, want, endpoint.format === true && i === pattern.length - 1 && i === segments.length - 1)) score += "c";
    else return undefined;
  }
  return segments.length === pattern.length ? score : undefined;
}

function literalMatches(got: string, want: string, formatAllowed: boolean): boolean {
  if (got === want) return true;
  if (got.startsWith(":") && templateSegment(want) === got) return true;
  return formatAllowed && got.startsWith(`${want}.`) && /^[A-Za-z0-9]{1,8}$/.test(got.slice(want.length + 1));
}

/** Whether an endpoint takes requests of `method`: its own, any for `*`, and HEAD for GET (Rails answers HEAD with the GET route). */
export function takesMethod(endpoint: Pick<LegacyEndpoint, "method">, method: string): boolean {
  return endpoint.method === "*" || endpoint.method === method || (method === "HEAD" && endpoint.method === "GET");
}
