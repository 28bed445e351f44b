import type { Command } from "commander";
import { clientFor, print, warn } from "../context.ts";
import { parseVersion } from "./routes.ts";

export function registerRollback(program: Command): void {
  program
    .command("rollback")
    .description("make an earlier route table active again (default: the one before the active version)")
    .option("--to <version>", "the version to restore", (value) => parseVersion(value))
    .requiredOption("--reason <text>", "why (recorded in the audit log)")
    .action(async (options: { to?: number; reason: string }, command: Command) => {
      const { client, json } = clientFor(command);
      const result = await client.rollback(options.reason, options.to);
      warn(result);
      print(json, result, () => `Rolled back: version ${result.version} is active everywhere as soon as each isolate reads it, with the table of version ${result.restoredFrom}.`);
    });
}
