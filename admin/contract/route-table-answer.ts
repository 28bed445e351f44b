import * as z from "zod/mini";
import { isPlainObject } from "../../lib/plain-object.ts";
import type { RouteTable } from "../../routes/schema.ts";
import { storedHeaderIssues, storedRouteIssues } from "../../routes/validate.ts";

/**
 * A route table in an answer (GET /routes, GET /versions/:n): checked the way an isolate
 * checks a table it stored itself (routes/validate.ts `acceptStoredTable`): every shape a
 * reader walks (backends, default, each route's id, match.path, to, fallback and shadow, and
 * that they name known backends), not the full validation again, which at 10 000 routes costs
 * some 40 ms each time the dashboard shows a page. The API only ever answers tables that
 * passed that validation.
 */
export const RouteTableAnswer = z.custom<RouteTable>().check(
  z.superRefine((value: unknown, context) => {
    if (!isPlainObject(value)) {
      context.issues.push({ code: "custom", message: "must be a route table (an object)", input: value });
      return;
    }
    const issues = storedHeaderIssues(value);
    if (!Array.isArray(value.routes)) issues.push({ path: "$.routes", message: "must be a list" });
    else {
      const backends = isPlainObject(value.backends) ? value.backends : {};
      value.routes.forEach((route: unknown, index) => issues.push(...storedRouteIssues(route, `$.routes[${index}]`, backends)));
    }
    for (const issue of issues) context.issues.push({ code: "custom", message: issue.message, input: value, path: pathOf(issue.path) });
  }),
);

/** `$.routes[3].to.legacy` → ["routes", 3, "to", "legacy"] (names in a table hold no '.' nor '['). */
function pathOf(jsonPath: string): (string | number)[] {
  return (jsonPath.slice(1).match(/[^.[\]]+|\[\d+\]/g) ?? []).map((part) => (part.startsWith("[") ? Number(part.slice(1, -1)) : part));
}
