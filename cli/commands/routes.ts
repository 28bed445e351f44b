import { Command, InvalidArgumentError } from "commander";
import { diffTables } from "../../routes/diff-tables.ts";
import { formatIssues, validateRouteTable } from "../../routes/validate.ts";
import { describeRoutes, formatWeights } from "../describe-table.ts";
import { clientFor, print, readJsonFile } from "../context.ts";
import { formatPlan } from "../format-plan.ts";
import { UsageError } from "../usage-error.ts";

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
    .description("show what applying FILE would change")
    .argument("<file>", "route table JSON file")
    .action(async (file: string, _options: unknown, command: Command) => {
      const { client, json } = clientFor(command);
      const table = await validFile(file);
      const active = await client.getRoutes();
      const changes = active ? diffTables(active.table, table) : [];
      print(json, { fromVersion: active?.version ?? 0, changes }, () =>
        active ? formatPlan(changes, active.version) : `Plan: first route table (${table.routes.length} routes)\n\n${describeRoutes(table)}`,
      );
    });

  routes
    .command("apply")
    .description("validate FILE, show the plan, and make it the active route table")
    .argument("<file>", "route table JSON file")
    .requiredOption("--reason <text>", "why (recorded in the audit log)")
    .action(async (file: string, options: { reason: string }, command: Command) => {
      const { client, json } = clientFor(command);
      const table = await validFile(file);
      const active = await client.getRoutes();
      const changes = active ? diffTables(active.table, table) : undefined;
      if (changes?.length === 0) {
        return print(json, { version: active?.version, changes: [] }, () => `No changes: the file matches version ${active?.version}.`);
      }
      const applied = await client.putRoutes(table, options.reason, active?.version ?? 0);
      print(json, { ...applied, changes: changes ?? [] }, () =>
        [active ? formatPlan(changes ?? [], active.version) : `First route table (${table.routes.length} routes)`, "", `Applied: version ${applied.version} is active.`].join("\n"),
      );
    });

  routes
    .command("weights")
    .description("change one route's split, e.g. cutover routes weights accounts-read legacy=90 accounts=10")
    .argument("<route>", "route id")
    .argument("<weights...>", "backend=percent pairs summing to 100", collectWeights, {})
    .requiredOption("--reason <text>", "why (recorded in the audit log)")
    .option("--expect-version <n>", "refuse if the active version is not this one", (value) => parseVersion(value))
    .action(async (route: string, weights: Record<string, number>, options: { reason: string; expectVersion?: number }, command: Command) => {
      const { client, json } = clientFor(command);
      const applied = await client.setWeights(route, weights, options.reason, options.expectVersion);
      print(json, applied, () => `Route ${route} now sends ${formatWeights(weights)}: version ${applied.version} is active.`);
    });
}

async function validFile(file: string) {
  const result = validateRouteTable(await readJsonFile(file));
  if (!result.ok) throw new UsageError(`${file} is not a valid route table:\n${formatIssues(result.error)}`);
  return result.value;
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
