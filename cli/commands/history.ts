import type { Command } from "commander";
import { clientFor, print } from "../context.ts";
import { alignColumns } from "../table-output.ts";
import { parseVersion } from "./routes.ts";

export function registerHistory(program: Command): void {
  program
    .command("versions")
    .description("list route table versions, newest first")
    .option("--limit <n>", "how many", (value) => parseVersion(value), 20)
    .action(async (options: { limit: number }, command: Command) => {
      const { client, json } = clientFor(command);
      const listing = await client.versions(options.limit);
      print(json, listing, () =>
        alignColumns(
          [
            ["VERSION", "", "CREATED", "AUTHOR", "ACTION", "ROUTES", "REASON"],
            ...listing.versions.map((v) => [
              String(v.version),
              v.active ? "active" : "",
              v.createdAt,
              v.author,
              v.action === "rollback" ? `rollback to ${v.restoredFrom}` : v.action,
              String(v.routeCount),
              v.reason,
            ]),
          ],
          "",
        ),
      );
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
              entry.action === "weights" && entry.details ? `weights ${String(entry.details.route)}` : entry.action,
              `${entry.before} → ${entry.after}`,
              entry.reason,
            ]),
          ],
          "",
        ),
      );
    });
}
