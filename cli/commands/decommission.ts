import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { DecommissionAnswer, SwitchOffAnswer, type DecommissionHold as Hold, type SwitchOffBody, type SwitchOffState } from "../../admin/contract/index.ts";
import type { HoldKind } from "../../migration/decommission.ts";
import { AdminRequestError } from "../admin-request-error.ts";
import { clientFor, print } from "../context.ts";
import { EXIT_NOT_READY, ExitCodeError } from "../exit-code-error.ts";
import { UsageError } from "../usage-error.ts";


const HEADINGS: Record<HoldKind, string> = {
  "no-surface": "The legacy app's route list",
  endpoint: "Endpoints not migrated",
  route: "Routes that still use legacy",
  "legacy-traffic": "Traffic legacy served",
  fallback: "Fallbacks to legacy that fired",
  rollout: "Rollouts under way",
};

/**
 * `cutover decommission check | switch-off | rollback`: what still holds the legacy app up
 * (GET /decommission, migration/decommission.ts), then the story's last step — the default
 * backend becomes a "gone" answer with legacy kept warm — and its way back (control/decommission.ts).
 */
export function registerDecommission(program: Command): void {
  const decommission = program.command("decommission").description("the last step: what still holds the legacy app up, switching it off, and back");
  decommission
    .command("check")
    .description(`lists what still holds legacy up (endpoints, routes, traffic, fallbacks, rollouts) and any switch-off; exits ${EXIT_NOT_READY} while anything does`)
    .option("--since <duration>", "the window legacy must have been idle for: 7d, 14d (at most the metrics' retention)", "14d")
    .action(async (options: { since: string }, command: Command) => {
      const { client, json } = clientFor(command);
      if (!/^\d+d$/.test(options.since)) throw new UsageError("--since is a number of days, such as 14d");
      const answer = await client.get(`/decommission?since=${encodeURIComponent(options.since)}`, DecommissionAnswer);
      print(json, answer, () => [human(answer.holds, answer.retired, answer.legacy, options.since), ...(answer.switchOff ? ["", switchOffText(answer.switchOff)] : [])].join("\n"));
      if (answer.ready) return;
      // Under --json the verdict is the whole answer: no error document after it.
      if (json) process.exitCode = EXIT_NOT_READY;
      else throw new ExitCodeError(EXIT_NOT_READY, new Error(`${answer.holds.length} thing${answer.holds.length === 1 ? "" : "s"} still hold${answer.holds.length === 1 ? "s" : ""} ${answer.legacy} up.`));
    });

  decommission
    .command("switch-off")
    .description("makes the table's default backend a static 'gone' answer (or an S3 page); legacy stays in the table, is called now and then during the grace period, and `decommission rollback` brings it back. Refused while anything holds legacy up, unless --force. Audited")
    .requiredOption("--reason <text>", "why (recorded in the audit log)")
    .option("--page <file>", "the body answered (default: a short 'gone' page)")
    .option("--status <code>", "the status answered (default 410)")
    .option("--content-type <type>", "the page's Content-Type (default text/html; charset=utf-8)")
    .option("--backend <name>", "answer with this backend of the table instead (type 's3' or 'static'): an S3 page")
    .option("--grace <duration>", "how long legacy is kept warm with the rollback one command away: 14d", "14d")
    .option("--since <duration>", "the window legacy must have been idle for", "14d")
    .option("--force", "switch off though something holds legacy up (the holds are recorded)")
    .action(async (options: { reason: string; page?: string; status?: string; contentType?: string; backend?: string; grace: string; since: string; force?: boolean }, command: Command) => {
      const { client, json } = clientFor(command);
      const body: SwitchOffBody = { reason: options.reason, graceDays: days(options.grace, "--grace"), windowDays: days(options.since, "--since"), ...(options.force ? { force: true } : {}) };
      if (options.backend !== undefined) {
        if (options.page !== undefined || options.status !== undefined || options.contentType !== undefined) throw new UsageError("--backend answers with a backend of the table: leave out --page, --status and --content-type.");
        body.backend = options.backend;
      } else {
        const status = options.status === undefined ? undefined : Number(options.status);
        if (status !== undefined && !(Number.isInteger(status) && status >= 200 && status <= 599)) throw new UsageError("--status is an HTTP status from 200 to 599, such as 410.");
        body.page = { ...(status === undefined ? {} : { status }), ...(options.page === undefined ? {} : { body: await readPage(options.page) }), ...(options.contentType === undefined ? {} : { contentType: options.contentType }) };
      }
      let answer: SwitchOffAnswer;
      try {
        answer = await client.post("/decommission/switch-off", body, SwitchOffAnswer);
      } catch (error) {
        if (error instanceof AdminRequestError && error.code === "not_ready" && !json) {
          const holds = Array.isArray(error.body.holds) ? (error.body.holds as Hold[]) : [];
          throw new ExitCodeError(EXIT_NOT_READY, new Error(`${error.message}\n\n${human(holds, [], "legacy", options.since)}`));
        }
        throw error;
      }
      print(json, answer, () => `Version ${answer.version}: ${answer.switchOff.legacy} is switched off from ${answer.effectiveAt}; what no route matches gets '${answer.switchOff.goneBackend}'.\n${switchOffText(answer.switchOff)}`);
    });

  decommission
    .command("rollback")
    .description("brings legacy back as the default backend, at once (audited)")
    .requiredOption("--reason <text>", "why (recorded in the audit log)")
    .action(async (options: { reason: string }, command: Command) => {
      const { client, json } = clientFor(command);
      const answer = await client.post("/decommission/rollback", { reason: options.reason }, SwitchOffAnswer);
      print(json, answer, () => `Version ${answer.version}: ${answer.switchOff.legacy} is the default backend again.`);
    });
}

function days(text: string, flag: string): number {
  const match = /^(\d+)d$/.exec(text);
  if (match === null) throw new UsageError(`${flag} is a number of days, such as 14d`);
  return Number(match[1]);
}

async function readPage(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    throw new UsageError(`Cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function switchOffText(state: SwitchOffState): string {
  if (state.status === "rolled-back") return `Switched off at ${state.at} by ${state.by} (version ${state.version}), rolled back at ${state.rolledBack?.at ?? "?"} by ${state.rolledBack?.by ?? "?"}: ${state.rolledBack?.reason ?? ""}`;
  const warm = state.lastWarm === undefined ? "not called yet" : state.lastWarm.status === null ? `did not answer at ${state.lastWarm.at} (${state.lastWarm.error ?? "error"})` : `answered ${state.lastWarm.status} at ${state.lastWarm.at}`;
  const lines = [
    `Switched off at ${state.at} by ${state.by} (version ${state.version}; before it, ${state.previousVersion}): ${state.reason}`,
    `Grace period until ${state.graceUntil}: legacy is kept warm (it ${warm}); \`cutover decommission rollback --reason …\` brings it back.`,
  ];
  if (state.forced) lines.push(`Forced: ${state.holdsAtSwitchOff.length} thing${state.holdsAtSwitchOff.length === 1 ? "" : "s"} still held legacy up then.`);
  return lines.join("\n");
}

function human(holds: readonly Hold[], retired: readonly string[], legacy: string, since: string): string {
  const lines: string[] = [];
  if (holds.length === 0) lines.push(`Nothing holds ${legacy} up: every endpoint is migrated or unused, and it served nothing in the last ${since}.`);
  else {
    lines.push(`${holds.length} thing${holds.length === 1 ? "" : "s"} still hold${holds.length === 1 ? "s" : ""} ${legacy} up:`);
    for (const kind of Object.keys(HEADINGS) as HoldKind[]) {
      const ofKind = holds.filter((hold) => hold.kind === kind);
      if (ofKind.length === 0) continue;
      lines.push("", `${HEADINGS[kind]}:`, ...ofKind.map((hold) => `  ${hold.subject}: ${hold.detail}`));
    }
  }
  if (retired.length > 0) lines.push("", `Unused in the last ${since}, retired with legacy (${retired.length}):`, ...retired.map((key) => `  ${key}`));
  return lines.join("\n");
}
