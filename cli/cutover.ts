#!/usr/bin/env node
import { Command, CommanderError, Help } from "commander";
import { checkWith, IssueSchema, issuesText, list } from "../admin/contract/index.ts";
import { AdminRequestError } from "./admin-request-error.ts";
import { registerCost } from "./commands/cost.ts";
import { registerDev } from "./commands/dev.ts";
import { registerDecommission } from "./commands/decommission.ts";
import { registerMigration } from "./commands/migration.ts";
import { registerDoctor } from "./commands/doctor.ts";
import { registerHistory } from "./commands/history.ts";
import { registerInit } from "./commands/init.ts";
import { registerLegacy } from "./commands/legacy.ts";
import { registerRollback } from "./commands/rollback.ts";
import { registerRollout } from "./commands/rollout.ts";
import { registerRoutes } from "./commands/routes.ts";
import { registerShadow } from "./commands/shadow.ts";
import { registerTokens } from "./commands/token.ts";
import { registerTraffic } from "./commands/traffic.ts";
import { ExitCodeError } from "./exit-code-error.ts";
import { UsageError } from "./usage-error.ts";

const program = new Command()
  .name("cutover")
  .description("Move a Heroku app to AWS serverless one route at a time.")
  .option("--url <url>", "where cutover runs (default: CUTOVER_URL)")
  .option("--token <token>", "admin token (default: the profile's, else CUTOVER_TOKEN)")
  .option("--profile <name>", "a named environment from cutover.profiles.json (default: CUTOVER_PROFILE)")
  .option("--json", "machine-readable output, errors included")
  .showHelpAfterError()
  // `--help` says which options a command cannot do without (commands made below inherit this).
  .configureHelp({ optionDescription: (option) => `${option.mandatory ? "(required) " : ""}${new Help().optionDescription(option)}` })
  .exitOverride();

registerRoutes(program);
registerRollback(program);
registerHistory(program);
registerShadow(program);
registerInit(program);
registerTokens(program);
registerDev(program);
registerDoctor(program);
registerTraffic(program);
registerRollout(program);
registerLegacy(program);
registerCost(program);
registerDecommission(program);
registerMigration(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.exitCode = report(error);
}

/**
 * One line (or a list of problems) on stderr, and the exit code that says what kind of
 * failure; under --json, the error as JSON on stdout instead.
 */
function report(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
  const code = error instanceof ExitCodeError ? error.exitCode : undefined;
  const cause = error instanceof ExitCodeError ? error.cause : error;
  if (process.argv.includes("--json")) {
    const body =
      cause instanceof AdminRequestError
        ? { error: cause.code, status: cause.status, message: cause.message, ...cause.body }
        : { error: cause instanceof UsageError ? "usage" : "failed", message: cause instanceof Error ? cause.message : String(cause) };
    console.log(JSON.stringify(body, null, 2));
    return code ?? (cause instanceof AdminRequestError ? cause.exitCode : cause instanceof UsageError ? cause.exitCode : 1);
  }
  const fromError = describe(cause);
  return code ?? fromError;
}

function describe(error: unknown): number {
  if (error instanceof AdminRequestError) {
    const issues = checkWith(list(IssueSchema), error.body.issues);
    if (issues.ok && issues.value.length > 0) {
      // The message ends with its issues on one line (`…: $.a: why; $.b: why`): they are shown one a line instead.
      const listed = issuesText(issues.value);
      console.error(`cutover: ${error.message.endsWith(listed) ? error.message.slice(0, -listed.length).trimEnd() : error.message.replace(/:.*$/s, ":")}`);
      for (const issue of issues.value) console.error(`  ${issue.path}: ${issue.message}`);
    } else console.error(`cutover: ${error.message}`);
    return error.exitCode;
  }
  if (error instanceof UsageError) {
    console.error(`cutover: ${error.message}`);
    return error.exitCode;
  }
  console.error(`cutover: ${error instanceof Error ? error.message : String(error)}`);
  return 1;
}
