/**
 * Route-table entries for unrouted path templates (`cutover inventory --suggest`): a route per
 * template, on the default backend, ready to edit and `routes plan`. `:id`, `:date`, `:email`
 * become parameters (numbered when a template repeats them); a truncated template ends in `*`.
 */
export function suggestRoute(template: string, methods: readonly string[], defaultBackend: string): Record<string, unknown> {
  const seen = new Map<string, number>();
  const path = template.replace(/:(id|date|email)\b/g, (_match, name: string) => {
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
