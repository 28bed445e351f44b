import type { Command } from "commander";
import { CostAnswer, PricesAnswer, type PutPricesBody } from "../../admin/contract/index.ts";
import { measuredCost } from "../../admin/measured-cost.ts";
import { parseDuration } from "../../accounting/series.ts";
import type { CostReport } from "../../cost/cost-report.ts";
import { validatePrices, type Prices } from "../../cost/prices.ts";
import { clientFor, print, readJsonFile } from "../context.ts";
import { formatCostReport } from "../cost-output.ts";
import { UsageError } from "../usage-error.ts";

/** `cutover cost`: each route's monthly cost on legacy and on its new backend, estimated from measured traffic (docs/cost.md). */
export function registerCost(program: Command): void {
  const cost = program
    .command("cost")
    .description("estimate each route's monthly cost on legacy and on its new backend, legacy's share over time, and what the legacy bill could become (estimates, with formulas: docs/cost.md)")
    .option("--since <duration>", "the measured window: 1d, 7d, 14d (at most)", "14d")
    .option("--prices <file>", "a prices document (docs/prices.example.json); default: the prices stored with `cost prices set`")
    .option("--move <routes>", "also count these routes (comma-separated) as moving off legacy in the projection")
    .option("--formulas", "print every figure's formula and inputs")
    .action(async (options: { since: string; prices?: string; move?: string; formulas?: boolean }, command: Command) => {
      const { client, json } = clientFor(command);
      if (parseDuration(options.since) === undefined) throw new UsageError("--since is a duration such as 1d, 7d or 14d.");
      const moving = options.move?.split(",").map((route) => route.trim()).filter(Boolean) ?? [];
      const report: CostReport | CostAnswer =
        options.prices === undefined
          ? await client.get(`/cost?since=${encodeURIComponent(options.since)}${moving.length > 0 ? `&move=${encodeURIComponent(moving.join(","))}` : ""}`, CostAnswer)
          : await measuredCost(client, checkedPrices(await readJsonFile(options.prices), options.prices), options.since, moving);
      print(json, report, () => formatCostReport(report as CostReport, options.formulas === true));
    });

  const prices = cost.command("prices").description("the prices stored with the table, which GET /cost and the dashboard estimate with");
  prices
    .command("get")
    .description("prints the stored prices document")
    .action(async (_options: unknown, command: Command) => {
      const { client, json } = clientFor(command);
      const stored = await client.get("/settings/prices", PricesAnswer);
      print(json, stored, () => `${JSON.stringify(stored.prices, null, 2)}\n\nRevision ${stored.revision}, set ${stored.updatedAt} by ${stored.updatedBy}: ${stored.reason}`);
    });
  prices
    .command("set")
    .description("stores a prices document (validated: every problem named by field); audited")
    .argument("<file>", "the prices document (docs/prices.example.json is a start)")
    .requiredOption("--reason <text>", "why (recorded in the audit log)")
    .action(async (file: string, options: { reason: string }, command: Command) => {
      const { client, json } = clientFor(command);
      const input = checkedPrices(await readJsonFile(file), file);
      const stored = await client.put("/settings/prices", { prices: input, reason: options.reason } satisfies PutPricesBody, PricesAnswer);
      print(json, stored, () => `Prices stored (revision ${stored.revision}): \`cutover cost\` and the dashboard estimate with them.`);
    });
}

function checkedPrices(input: unknown, file: string): Prices {
  const checked = validatePrices(input);
  if (!checked.ok) throw new UsageError(`${file} is not a prices document:\n${checked.error.map((issue) => `  ${issue.path}: ${issue.message}`).join("\n")}`);
  return checked.value;
}
