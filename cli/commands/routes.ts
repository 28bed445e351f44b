import { writeFile } from "node:fs/promises";
import { createInterface } from "node:readline/promises";
import { Command, InvalidArgumentError } from "commander";
import { diffTables } from "../../routes/diff-tables.ts";
import type { RouteTable } from "../../routes/schema.ts";
import { formatIssues, validateRouteTable } from "../../routes/validate.ts";
import { describeRoutes, formatWeights } from "../describe-table.ts";
import { clientFor, effectiveNote, print, readJsonFile, waitForEffect, warn } from "../context.ts";
import { ExitCodeError } from "../exit-code-error.ts";
import { colorFor, formatPlan } from "../format-plan.ts";
import { UsageError } from "../usage-error.ts";

/** A plan saved by `routes plan --out`: the table, and the version it was planned against. */
interface SavedPlan {
  readonly kind: "cutover-plan";
  readonly baseVersion: number;
  readonly createdAt: string;
  readonly table: unknown;
}

export function registerRoutes(program: Command): void {
  const routes = program.command("routes").description("read and change the route table");

  routes
    .command("get")
    .description("show the active route table")
    .option("--table", "print only the table as JSON (to edit and apply)")
    .action(async (options: { table?: boolean }, command: Command) => {
      const { client, json } = clientFor(command);
      const active = await client.getRoutes();
      if (!active) throw new UsageError("No route table is stored yet: cutover routes apply FILE --reason …");
      if (options.table) return console.log(JSON.stringify(active.table, null, 2));
      print(json, active, () => {
        const by = active.info ? `  by ${active.info.author} at ${active.info.createdAt}: ${active.info.reason}` : "";
        return `Version ${active.version}${by}\n\n${describeRoutes(active.table)}`;
      });
    });

  routes
    .command("plan")
    .description("show what applying FILE would change; exit 0: no change, 2: changes, 1: error (like terraform plan -detailed-exitcode)")
    .argument("<file>", "route table JSON file")
    .option("--out <plan>", "save the plan, to apply later with `routes apply PLAN` only if nobody changed the routes meanwhile")
    .action(async (file: string, options: { out?: string }, command: Command) => {
      try {
        const { client, json } = clientFor(command);
        const table = await validFile(file);
        const active = await client.getRoutes();
        const changes = active ? diffTables(active.table, table) : [];
        const base = active?.version ?? 0;
        if (options.out) {
          const saved: SavedPlan = { kind: "cutover-plan", baseVersion: base, createdAt: new Date().toISOString(), table };
          await writeFile(options.out, `${JSON.stringify(saved, null, 2)}\n`);
        }
        print(json, { fromVersion: base, changes, ...(options.out ? { savedTo: options.out } : {}) }, () =>
          [
            active ? formatPlan(changes, active.version, active.table, table, colorFor(process.stdout)) : `Plan: first route table (${table.routes.length} routes)\n\n${describeRoutes(table)}`,
            ...(options.out ? ["", `Saved to ${options.out}: \`cutover routes apply ${options.out} --reason …\` applies it if version ${base} is still active.`] : []),
          ].join("\n"),
        );
        if (!active || changes.length > 0) process.exitCode = 2;
      } catch (error) {
        throw new ExitCodeError(1, error);
      }
    });

  routes
    .command("apply")
    .description("apply a saved plan (only if its base version is still active), or a table FILE after showing the plan and asking")
    .argument("<file>", "a plan saved by `routes plan --out`, or a route table JSON file")
    .requiredOption("--reason <text>", "why (recorded in the audit log)")
    .option("--yes", "apply without asking (CI)")
    .option("--expect-version <n>", "refuse unless the active version is this one", (value) => parseVersion(value))
    .option("--wait", "return once the change is in effect everywhere")
    .action(async (file: string, options: { reason: string; yes?: boolean; expectVersion?: number; wait?: boolean }, command: Command) => {
      const { client, json } = clientFor(command);
      const input = await readJsonFile(file);
      const saved = isSavedPlan(input) ? input : undefined;
      const table = await validTable(saved ? saved.table : input, file);
      const active = await client.getRoutes();
      const base = saved?.baseVersion ?? options.expectVersion ?? active?.version ?? 0;
      const changes = active ? diffTables(active.table, table) : undefined;
      if (changes?.length === 0) {
        return print(json, { version: active?.version, changes: [] }, () => `No changes: the file matches version ${active?.version}.`);
      }
      const planText = active ? formatPlan(changes ?? [], active.version, active.table, table, colorFor(process.stdout)) : `First route table (${table.routes.length} routes)`;
      if (!saved && !options.yes) {
        if (!process.stdin.isTTY) throw new UsageError("Not a terminal: pass --yes to apply without asking (and --expect-version N to refuse if someone changed the routes since you looked).");
        console.log(planText);
        if (!(await confirm(`\nApply these changes to version ${active?.version ?? 0}?`))) throw new UsageError("Not applied.");
      }
      const applied = await client.putRoutes(table, options.reason, base);
      warn(applied);
      if (options.wait) await waitForEffect(applied);
      print(json, { ...applied, changes: changes ?? [] }, () => [saved || options.yes ? planText : "", `Applied: version ${applied.version} is active${effectiveNote(applied)}.`].filter(Boolean).join("\n\n"));
    });

  routes
    .command("weights")
    .description("change one route's split, e.g. cutover routes weights accounts-read legacy=90 accounts=10")
    .argument("<route>", "route id")
    .argument("<weights...>", "backend=percent pairs summing to 100", collectWeights, {})
    .requiredOption("--reason <text>", "why (recorded in the audit log)")
    .option("--expect-version <n>", "refuse if the active version is not this one", (value) => parseVersion(value))
    .option("--wait", "return once the change is in effect everywhere")
    .action(async (route: string, weights: Record<string, number>, options: { reason: string; expectVersion?: number; wait?: boolean }, command: Command) => {
      const { client, json } = clientFor(command);
      const applied = await client.setWeights(route, weights, options.reason, options.expectVersion);
      warn(applied);
      if (options.wait) await waitForEffect(applied);
      print(json, applied, () =>
        applied.unchanged ? `Route ${route} already sends ${formatWeights(weights)}: version ${applied.version} stays active.` : `Route ${route} now sends ${formatWeights(weights)}: version ${applied.version} is active${effectiveNote(applied)}.`,
      );
    });

  routes
    .command("rollback")
    .description("restore one route's earlier definition, leaving every other route's later changes in place")
    .argument("<route>", "route id")
    .option("--to <version>", "the version whose definition of the route comes back (default: the last one where it differed)", (value) => parseVersion(value))
    .requiredOption("--reason <text>", "why (recorded in the audit log)")
    .action(async (route: string, options: { to?: number; reason: string }, command: Command) => {
      const { client, json } = clientFor(command);
      const result = await client.rollbackRoute(route, options.reason, options.to);
      warn(result);
      print(json, result, () => `Route ${route} is back as it was in version ${result.restoredFrom}: version ${result.version} is active (other routes unchanged).`);
    });
}

export async function validFile(file: string): Promise<RouteTable> {
  return validTable(await readJsonFile(file), file);
}

async function validTable(input: unknown, file: string): Promise<RouteTable> {
  const result = validateRouteTable(input);
  if (!result.ok) throw new UsageError(`${file} is not a valid route table:\n${formatIssues(result.error)}`);
  return result.value;
}

function isSavedPlan(value: unknown): value is SavedPlan {
  return typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === "cutover-plan" && typeof (value as { baseVersion?: unknown }).baseVersion === "number";
}

async function confirm(question: string): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await prompt.question(`${question} Type "yes" to apply: `)).trim());
  } finally {
    prompt.close();
  }
}

function collectWeights(pair: string, weights: Record<string, number>): Record<string, number> {
  const match = /^([A-Za-z][A-Za-z0-9_-]*)=(\d+(?:\.\d+)?)$/.exec(pair);
  if (!match) throw new InvalidArgumentError(`'${pair}' is not backend=percent (e.g. legacy=90)`);
  return { ...weights, [match[1] as string]: Number(match[2]) };
}

export function parseVersion(value: string): number {
  const version = Number(value);
  if (!Number.isInteger(version) || version < 1) throw new InvalidArgumentError("must be a version number");
  return version;
}

