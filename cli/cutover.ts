#!/usr/bin/env node
import { Command, CommanderError } from "commander";
import { AdminRequestError } from "./admin-request-error.ts";
import { registerDev } from "./commands/dev.ts";
import { registerHistory } from "./commands/history.ts";
import { registerInit } from "./commands/init.ts";
import { registerRollback } from "./commands/rollback.ts";
import { registerRoutes } from "./commands/routes.ts";
import { registerShadow } from "./commands/shadow.ts";
import { registerTokens } from "./commands/token.ts";
import { UsageError } from "./usage-error.ts";

const program = new Command()
  .name("cutover")
  .description("Move a Heroku app to AWS serverless one route at a time.")
  .option("--url <url>", "where cutover runs (default: CUTOVER_URL)")
  .option("--token <token>", "admin token (default: CUTOVER_TOKEN)")
  .option("--json", "machine-readable output")
  .showHelpAfterError()
  .exitOverride();

registerRoutes(program);
registerRollback(program);
registerHistory(program);
registerShadow(program);
registerInit(program);
registerTokens(program);
registerDev(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.exitCode = report(error);
}

/** One line (or a list of problems) on stderr, and the exit code that says what kind of failure. */
function report(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
  if (error instanceof AdminRequestError) {
    const issues = Array.isArray(error.body.issues) ? (error.body.issues as { path: string; message: string }[]) : [];
    console.error(`cutover: ${issues.length > 0 ? error.message.replace(/:.*$/s, ":") : error.message}`);
    for (const issue of issues) console.error(`  ${issue.path}: ${issue.message}`);
    return error.exitCode;
  }
  if (error instanceof UsageError) {
    console.error(`cutover: ${error.message}`);
    return error.exitCode;
  }
  console.error(`cutover: ${error instanceof Error ? error.message : String(error)}`);
  return 1;
}
