import { TEMPLATE_PARAMETERS } from "./path-template.ts";

const PARAMETER = new RegExp(`:(${TEMPLATE_PARAMETERS.join("|")})\\b`, "g");

/**
 * Route-table entries for unrouted path templates (`cutover inventory --suggest`): a route per
 * template, on the default backend, ready to edit and `routes plan`. A template's parameters
 * (`:id`, `:date`, `:email`, `:token`, …) become route parameters (numbered when a template
 * repeats one); a truncated template ends in `*`.
 */
export function suggestRoute(template: string, methods: readonly string[], defaultBackend: string): Record<string, unknown> {
  const seen = new Map<string, number>();
  const path = template.replace(PARAMETER, (_match, name: string) => {
    const count = (seen.get(name) ?? 0) + 1;
    seen.set(name, count);
    return `:${name}${count === 1 ? "" : count}`;
  });
  const id = template
    .replace(/\/:[a-z]+|:hash/g, "")
    .replace(/[^A-Za-z0-9]+/g, "-")
    .replace(/^-|-$/g, "")
    .slice(0, 60) || "root";
  return { id, match: { path: path.replace(/\.:hash/g, "*").replace(/\*.*$/, "*"), ...(methods.length > 0 ? { methods: [...methods].sort() } : {}) }, to: defaultBackend };
}
