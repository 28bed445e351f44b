import { isPlainObject } from "../lib/plain-object.ts";
import type { FieldChange, TableChange } from "../routes/diff-tables.ts";
import type { RouteTable } from "../routes/schema.ts";
import { formatWeights } from "./describe-table.ts";

export interface PlanStyle {
  /** ANSI colours (a terminal, and NO_COLOR unset). */
  readonly color: boolean;
}

/** Whether output to `stream` may be coloured. */
export function colorFor(stream: NodeJS.WriteStream): PlanStyle {
  return { color: stream.isTTY === true && !process.env.NO_COLOR };
}

const paint = (style: PlanStyle, code: number, text: string) => (style.color ? `\x1b[${code}m${text}\x1b[0m` : text);

/**
 * A plan as people read it, like `terraform plan`: `+` added, `-` removed, `~` changed, nested
 * fields one per line (`shadow.percent: 10 → 50`), then what it does to traffic.
 */
export function formatPlan(changes: readonly TableChange[], fromVersion: number, before: RouteTable, after: RouteTable, style: PlanStyle = { color: false }): string {
  if (changes.length === 0) return `No changes: the file matches version ${fromVersion}.`;
  const added = (text: string) => paint(style, 32, text);
  const removed = (text: string) => paint(style, 31, text);
  const changed = (text: string) => paint(style, 33, text);
  const lines = [`Plan: ${changes.length} change${changes.length === 1 ? "" : "s"} to version ${fromVersion}`, ""];
  for (const change of changes) {
    switch (change.kind) {
      case "default":
        lines.push(changed(`  ~ default backend: ${change.before} → ${change.after}`));
        break;
      case "backend-added":
        lines.push(added(`  + backend ${change.name}`), ...leaves(change.value).map(([field, value]) => added(`      ${field}: ${show(value)}`)));
        break;
      case "backend-removed":
        lines.push(removed(`  - backend ${change.name}`));
        break;
      case "backend-changed":
        lines.push(changed(`  ~ backend ${change.name}`), ...fields(change.fields));
        break;
      case "route-added":
        lines.push(added(`  + route ${change.id}`), ...leaves(change.value, ["id"]).map(([field, value]) => added(`      ${field}: ${show(value)}`)));
        break;
      case "route-removed":
        lines.push(removed(`  - route ${change.id}`));
        break;
      case "route-changed":
        lines.push(changed(`  ~ route ${change.id}`), ...fields(change.fields));
        break;
      case "route-order":
        lines.push(changed(`  ~ route order: ${change.before.join(", ")} → ${change.after.join(", ")}`));
        break;
    }
  }
  const impact = trafficImpact(changes, before, after);
  if (impact.length > 0) lines.push("", "Traffic:", ...impact.map((line) => `  • ${line}`));
  return lines.join("\n");
}

/** What the changes do to requests, in words: where traffic moves. */
export function trafficImpact(changes: readonly TableChange[], before: RouteTable, after: RouteTable): string[] {
  const notes: string[] = [];
  for (const change of changes) {
    if (change.kind === "default") notes.push(`every request no route matches moves from '${change.before}' to '${change.after}'`);
    else if (change.kind === "route-removed") {
      const route = before.routes.find((r) => r.id === change.id);
      notes.push(`requests to ${route?.match.path ?? change.id} fall to the default backend '${after.default}'`);
    } else if (change.kind === "route-added") {
      const route = after.routes.find((r) => r.id === change.id);
      if (route) notes.push(`requests to ${route.match.path} now go to ${typeof route.to === "string" ? `'${route.to}'` : formatWeights(route.to)} (before: whatever matched them)`);
    } else if (change.kind === "route-changed") {
      const to = change.fields.find((field) => field.field === "to");
      if (to) notes.push(`route ${change.id}: ${describeTo(to.before)} → ${describeTo(to.after)}`);
      const match = change.fields.find((field) => field.field === "match");
      if (match) notes.push(`route ${change.id} now takes other requests (match changed): check what falls to neighbouring routes`);
    } else if (change.kind === "backend-changed" && change.fields.some((field) => ["url", "addPrefix", "stripPrefix"].includes(field.field))) {
      const users = after.routes.filter((route) => usesBackend(route, change.name)).map((route) => route.id);
      const isDefault = after.default === change.name ? " and every unmatched request" : "";
      notes.push(`backend ${change.name} moves to another address: ${users.length > 0 ? `routes ${users.join(", ")}` : "no route"}${isDefault} reach the new one`);
    }
  }
  return notes;
}

function usesBackend(route: RouteTable["routes"][number], name: string): boolean {
  const names = typeof route.to === "string" ? [route.to] : Object.keys(route.to);
  const fallback = route.fallback === undefined ? undefined : typeof route.fallback === "string" ? route.fallback : route.fallback.to;
  return names.includes(name) || fallback === name || route.shadow?.to === name;
}

function describeTo(value: unknown): string {
  if (typeof value === "string") return `all to '${value}'`;
  return isWeights(value) ? formatWeights(value) : show(value);
}

/** Field changes one leaf per line: nested objects become dotted paths. */
function fields(changes: readonly FieldChange[]): string[] {
  const lines: string[] = [];
  for (const change of changes) {
    const objects = (isPlainObject(change.before) || change.before === undefined) && (isPlainObject(change.after) || change.after === undefined);
    if (change.field === "to" || !objects) {
      lines.push(`      ${change.field}: ${show(change.before)} → ${show(change.after)}`);
      continue;
    }
    const before = new Map(change.before === undefined ? [] : leaves(change.before));
    const after = new Map(change.after === undefined ? [] : leaves(change.after));
    for (const key of new Set([...before.keys(), ...after.keys()])) {
      const old = before.get(key);
      const next = after.get(key);
      if (JSON.stringify(old) !== JSON.stringify(next)) lines.push(`      ${change.field}.${key}: ${show(old)} → ${show(next)}`);
    }
  }
  return lines;
}

/** `{ a: { b: 1 }, c: [1] }` → `a.b = 1`, `c = [1]` (arrays are leaves). */
function leaves(value: unknown, skip: readonly string[] = [], prefix = ""): [string, unknown][] {
  if (!isPlainObject(value) || (prefix !== "" && isWeights(value))) return [[prefix, value]];
  return Object.entries(value)
    .filter(([key]) => !skip.includes(key))
    .flatMap(([key, inner]) => leaves(inner, [], prefix === "" ? key : `${prefix}.${key}`));
}

function isWeights(value: unknown): value is Record<string, number> {
  return isPlainObject(value) && Object.keys(value).length > 0 && Object.values(value).every((v) => typeof v === "number");
}

function show(value: unknown): string {
  if (value === undefined) return "(none)";
  if (typeof value === "string") return value;
  if (isWeights(value)) return formatWeights(value);
  return JSON.stringify(value);
}
