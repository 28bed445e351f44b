import type { FieldChange, TableChange } from "../routes/diff-tables.ts";
import { formatWeights } from "./describe-table.ts";

/** A plan as people read it: `+` added, `-` removed, `~` changed, one field per line. */
export function formatPlan(changes: readonly TableChange[], fromVersion: number): string {
  if (changes.length === 0) return `No changes: the file matches version ${fromVersion}.`;
  const lines = [`Plan: ${changes.length} change${changes.length === 1 ? "" : "s"} to version ${fromVersion}`, ""];
  for (const change of changes) {
    switch (change.kind) {
      case "default":
        lines.push(`  ~ default backend: ${change.before} → ${change.after}`);
        break;
      case "backend-added":
        lines.push(`  + backend ${change.name}  ${show(change.value)}`);
        break;
      case "backend-removed":
        lines.push(`  - backend ${change.name}`);
        break;
      case "backend-changed":
        lines.push(`  ~ backend ${change.name}`, ...fields(change.fields));
        break;
      case "route-added":
        lines.push(`  + route ${change.id}  ${show(change.value)}`);
        break;
      case "route-removed":
        lines.push(`  - route ${change.id}`);
        break;
      case "route-changed":
        lines.push(`  ~ route ${change.id}`, ...fields(change.fields));
        break;
      case "route-order":
        lines.push(`  ~ route order: ${change.before.join(", ")} → ${change.after.join(", ")}`);
        break;
    }
  }
  return lines.join("\n");
}

function fields(changes: readonly FieldChange[]): string[] {
  return changes.map((change) => `      ${change.field}: ${show(change.before)} → ${show(change.after)}`);
}

function show(value: unknown): string {
  if (value === undefined) return "(none)";
  if (typeof value === "string") return value;
  if (value !== null && typeof value === "object" && !Array.isArray(value) && Object.values(value).every((v) => typeof v === "number")) {
    return formatWeights(value as Record<string, number>);
  }
  return JSON.stringify(value);
}
