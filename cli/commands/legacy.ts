import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Command } from "commander";
import { LegacyDiffAnswer, LegacyImportAnswer, LegacyImportsAnswer, LegacyMapAnswer, LegacySurfaceAnswer, type ImportLegacyBody, type MappedEndpointAnswer } from "../../admin/contract/index.ts";
import { SURFACE_FORMATS, type SurfaceFormat } from "../../migration/legacy-endpoint.ts";
import { readLegacySurface } from "../../migration/read-legacy-surface.ts";
import { clientFor, print, warn } from "../context.ts";
import { alignColumns } from "../table-output.ts";
import { UsageError } from "../usage-error.ts";
import { parseVersion } from "./routes.ts";

/** `cutover legacy …`: the legacy app's own route list, versioned beside the route table, and the migration map by endpoint. */
export function registerLegacy(program: Command): void {
  const legacy = program.command("legacy").description("the legacy app's endpoints (bin/rails routes, OpenAPI) and the migration map by endpoint");

  legacy
    .command("import")
    .description("read FILE (what `bin/rails routes` prints, --expanded too, or an OpenAPI document as JSON) and store its endpoints as a new import")
    .argument("<file>", "the route list or OpenAPI document")
    .option("--format <format>", `${SURFACE_FORMATS.join(" | ")} (default: detected)`)
    .option("--reason <reason>", "why (default: the file's name)")
    .option("--expect-version <n>", "refuse unless import N is still the newest", (value) => parseVersion(value))
    .action(async (file: string, options: { format?: string; reason?: string; expectVersion?: number }, command: Command) => {
      const { client, json } = clientFor(command);
      if (options.format !== undefined && !SURFACE_FORMATS.includes(options.format as SurfaceFormat)) throw new UsageError(`--format is one of ${SURFACE_FORMATS.join(", ")}`);
      let text: string;
      try {
        text = await readFile(file, "utf8");
      } catch (error) {
        throw new UsageError(`Cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
      }
      const read = readLegacySurface(text, options.format as SurfaceFormat | undefined);
      for (const problem of read.problems) console.error(`cutover: warning: ${file}${problem.line > 0 ? `:${problem.line}` : ""}: ${problem.message}${problem.text ? ` (${problem.text.trim().slice(0, 120)})` : ""}`);
      if (read.endpoints.length === 0) throw new UsageError(`${file} holds no endpoint cutover could read (as ${read.format}).`);
      const body: ImportLegacyBody = {
        endpoints: read.endpoints,
        format: read.format,
        sourceName: path.basename(file),
        reason: options.reason ?? `import of ${path.basename(file)}`,
        ...(options.expectVersion === undefined ? {} : { expectedVersion: options.expectVersion }),
      };
      const imported = await client.post("/legacy", body, LegacyImportAnswer);
      warn(imported);
      print(json, { ...imported, problems: read.problems }, () =>
        imported.unchanged
          ? `Unchanged: import ${imported.info.version} has these ${imported.info.endpointCount} endpoints already.`
          : `Import ${imported.info.version} (${imported.info.format}, ${read.endpoints.length} endpoints from ${path.basename(file)}): ${imported.added} added, ${imported.changed} changed, ${imported.removed} removed${imported.info.parent > 0 ? ` since import ${imported.info.parent}` : ""}.`,
      );
    });

  legacy
    .command("show")
    .description("the endpoints of an import (default: the newest)")
    .option("--version <n>", "an import number", (value) => parseVersion(value))
    .action(async (options: { version?: number }, command: Command) => {
      const { client, json } = clientFor(command);
      const surface = await client.get(`/legacy${options.version === undefined ? "" : `?version=${options.version}`}`, LegacySurfaceAnswer);
      print(json, surface, () => {
        const { info } = surface;
        return [
          `Import ${info.version} by ${info.author} at ${info.createdAt} (${info.format}${info.sourceName ? `, ${info.sourceName}` : ""}): ${info.reason}`,
          "",
          alignColumns([["METHOD", "PATTERN", "ACTION", "NAME", "SOURCE"], ...surface.endpoints.map((e) => [e.method, e.pattern, e.kind === "action" ? e.action : `${e.kind}: ${e.action}`, e.name ?? "", e.source])], ""),
        ].join("\n");
      });
    });

  legacy
    .command("imports")
    .description("imports, newest first")
    .option("--limit <n>", "how many", (value) => parseVersion(value), 20)
    .action(async (options: { limit: number }, command: Command) => {
      const { client, json } = clientFor(command);
      const listing = await client.get(`/legacy/imports?limit=${options.limit}`, LegacyImportsAnswer);
      print(json, listing, () => alignColumns([["IMPORT", "CREATED", "AUTHOR", "FORMAT", "ENDPOINTS", "FILE", "REASON"], ...listing.imports.map((i) => [String(i.version), i.createdAt, i.author, i.format, String(i.endpointCount), i.sourceName ?? "", i.reason])], ""));
    });

  legacy
    .command("diff")
    .description("what changed from import A to import B, endpoint by endpoint")
    .argument("<a>", "the older import", (value) => parseVersion(value))
    .argument("<b>", "the newer import", (value) => parseVersion(value))
    .action(async (a: number, b: number, _options: unknown, command: Command) => {
      const { client, json } = clientFor(command);
      const diff = await client.get(`/legacy/diff?from=${a}&to=${b}`, LegacyDiffAnswer);
      print(json, diff, () => {
        if (diff.changes.length === 0) return `Imports ${a} and ${b} have the same endpoints.`;
        const lines = diff.changes.map((change) => {
          if (change.kind === "endpoint-added") return `+ ${change.key}  ${change.endpoint?.action ?? ""}`;
          if (change.kind === "endpoint-removed") return `- ${change.key}  ${change.endpoint?.action ?? ""}`;
          return `~ ${change.key}  ${(change.fields ?? []).map((f) => `${f.field}: ${JSON.stringify(f.before)} → ${JSON.stringify(f.after)}`).join(", ")}`;
        });
        return [`Import ${a} → ${b}: ${diff.changes.length} change(s)`, "", ...lines].join("\n");
      });
    });

  legacy
    .command("map")
    .description("the migration map by endpoint: covered by a route (at its stage), seen on legacy (to migrate), or not seen for N days (to retire); and traffic no endpoint explains")
    .option("--since <duration>", "the window: 7d, 14d", "14d")
    .option("--state <state>", "only covered, seen or unseen endpoints")
    .action(async (options: { since: string; state?: string }, command: Command) => {
      const { client, json } = clientFor(command);
      if (options.state !== undefined && !["covered", "seen", "unseen"].includes(options.state)) throw new UsageError("--state is one of covered, seen, unseen");
      const map = await client.get(`/legacy/map?since=${encodeURIComponent(options.since)}`, LegacyMapAnswer);
      const shown = map.endpoints.filter((e) => options.state === undefined || e.state === options.state);
      print(json, options.state === undefined ? map : { ...map, endpoints: shown }, () => {
        const { summary } = map;
        const stages = Object.entries(summary.byStage).map(([stage, n]) => `${n} ${stage}`).join(", ");
        return [
          `Legacy surface import ${map.surfaceVersion} · route table ${map.tableVersion ?? "-"} · traffic since ${map.since}`,
          `${summary.endpoints} endpoints: ${summary.covered} covered by routes${stages ? ` (${stages})` : ""}, ${summary.seen} seen on legacy (to migrate), ${summary.unseen} not seen for ${map.windowDays} days (to retire)`,
          "",
          alignColumns([["STATE", "METHOD", "PATTERN", "ACTION", "DETAIL"], ...shown.map((e) => [e.state, e.method, e.pattern, e.action, detail(e)])], ""),
          ...(map.unexplained.length > 0
            ? ["", `Traffic no endpoint explains (${map.unexplained.length}):`, alignColumns([["TEMPLATE", "METHODS", "REQUESTS", "LAST SEEN", "COVERED BY"], ...map.unexplained.map((t) => [t.template, t.methods.join(","), String(t.count), t.lastSeen, t.coveredBy ?? "-"])], "")]
            : []),
        ].join("\n");
      });
    });
}

function detail(endpoint: MappedEndpointAnswer): string {
  if (endpoint.state === "covered") return `route ${endpoint.route ?? "?"}: ${endpoint.stageLabel ?? endpoint.stage ?? ""}`;
  if (endpoint.state === "seen") return `${endpoint.requests ?? 0} requests, last ${endpoint.lastSeen ?? "-"}`;
  return endpoint.lastSeen ? `last seen ${endpoint.lastSeen} (${endpoint.days} days ago)` : `not seen for ${endpoint.days} days`;
}
