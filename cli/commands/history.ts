import type { Command } from "commander";
import { diffTables } from "../../routes/diff-tables.ts";
import { clientFor, print } from "../context.ts";
import { colorFor, formatPlan } from "../format-plan.ts";
import { alignColumns } from "../table-output.ts";
import { parseVersion } from "./routes.ts";

export function registerHistory(program: Command): void {
  const versions = program
    .command("versions")
    .description("list route table versions, newest first; `versions show N`, `versions diff A B`")
    .option("--limit <n>", "how many", (value) => parseVersion(value), 20)
    .action(async (options: { limit: number }, command: Command) => {
      const { client, json } = clientFor(command);
      const listing = await client.versions(options.limit);
      print(json, listing, () =>
        [
          alignColumns(
            [
              ["VERSION", "", "CREATED", "AUTHOR", "ACTION", "ROUTES", "REASON"],
              ...listing.versions.map((v) => [
                String(v.version),
                v.active ? "active" : "",
                v.createdAt,
                v.author,
                v.action === "rollback" || v.action === "route-rollback" ? `${v.action} to ${v.restoredFrom}` : v.action,
                String(v.routeCount),
                v.reason,
              ]),
            ],
            "",
          ),
          ...(listing.skipped.length > 0 ? ["", "Numbers that never served:", ...listing.skipped.map((gap) => `  ${gap.version}: ${gap.reason}`)] : []),
        ].join("\n"),
      );
    });

  versions
    .command("show")
    .description("one version: who made it, when, why, and its routes")
    .argument("<version>", "version number", (value) => parseVersion(value))
    .option("--table", "print only the table as JSON")
    .action(async (version: number, options: { table?: boolean }, command: Command) => {
      const { client, json } = clientFor(command);
      const found = await client.version(version);
      if (options.table) return console.log(JSON.stringify(found.table, null, 2));
      const { describeRoutes } = await import("../describe-table.ts");
      print(json, found, () => {
        const info = found.info;
        const by = info ? `by ${info.author} at ${info.createdAt} (${info.action}${info.restoredFrom ? ` of ${info.restoredFrom}` : ""}): ${info.reason}` : "";
        return `Version ${found.version} ${by}\n\n${describeRoutes(found.table)}`;
      });
    });

  versions
    .command("diff")
    .description("what changed from version A to version B, field by field")
    .argument("<a>", "the older version", (value) => parseVersion(value))
    .argument("<b>", "the newer version", (value) => parseVersion(value))
    .action(async (a: number, b: number, _options: unknown, command: Command) => {
      const { client, json } = clientFor(command);
      const [before, after] = await Promise.all([client.version(a), client.version(b)]);
      const changes = diffTables(before.table, after.table);
      print(json, { from: a, to: b, changes }, () => formatPlan(changes, a, before.table, after.table, colorFor(process.stdout)).replace(/^Plan: (\d+) changes? to version \d+/, `Version ${a} → ${b}: $1 change(s)`));
    });

  program
    .command("audit")
    .description("list changes: who, when, why, before and after")
    .option("--limit <n>", "how many", (value) => parseVersion(value), 50)
    .action(async (options: { limit: number }, command: Command) => {
      const { client, json } = clientFor(command);
      const audit = await client.audit(options.limit);
      print(json, audit, () =>
        alignColumns(
          [
            ["AT", "ACTOR", "ACTION", "VERSIONS", "REASON"],
            ...audit.entries.map((entry) => [
              entry.at,
              entry.actor,
              (entry.action === "weights" || entry.action === "route-rollback" || entry.action === "shadow-reset" || entry.action.startsWith("rollout")) && entry.details ? `${entry.action} ${String(entry.details.route)}` : entry.action,
              entry.after === undefined ? "" : `${entry.before} → ${entry.after}`,
              entry.reason,
            ]),
          ],
          "",
        ),
      );
    });
}
