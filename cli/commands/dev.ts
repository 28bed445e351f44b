import type { Command } from "commander";
import { signOverride } from "../../routes/override-token.ts";
import { describeRoutes } from "../describe-table.ts";
import { startDevStack, type DevStack } from "../dev-stack.ts";
import { parsePort, parseWorkerPort } from "../options.ts";
import { UsageError } from "../usage-error.ts";

export function registerDev(program: Command): void {
  program
    .command("dev")
    .description("run the local stack: embedded DynamoDB, the Worker under wrangler dev, a demo legacy app and a demo Lambda backend")
    .option("--routes <file>", "serve this route table file instead of the demo table")
    .option("--port <n>", "port of the Worker", parseWorkerPort, 8787)
    .option("--legacy-port <n>", "port of the demo legacy app", parsePort, 8788)
    .option("--accounts-port <n>", "port of the demo Lambda backend", parsePort, 8789)
    .option("--no-demo", "do not start the demo legacy app and Lambda backend")
    .option("--memory", "keep DynamoDB in memory instead of under .cutover/")
    .action(async (options: { routes?: string; port: number; legacyPort: number; accountsPort: number; demo: boolean; memory?: boolean }) => {
      if (!options.demo && !options.routes) throw new UsageError("--no-demo needs --routes FILE: without the demo backends, say where requests go.");
      const stack = await startDevStack({
        port: options.port,
        routesFile: options.routes,
        demo: options.demo,
        legacyPort: options.legacyPort,
        accountsPort: options.accountsPort,
        memory: options.memory === true,
        log: (line) => console.log(`[worker] ${line}`),
      });
      let stopping = false;
      const shutdown = async () => {
        if (stopping) return;
        stopping = true;
        console.log("\nStopping…");
        await stack.stop();
        process.exit(0);
      };
      process.on("SIGINT", shutdown);
      process.on("SIGTERM", shutdown);
      console.log(await banner(stack, options.memory === true));
    });
}

async function banner(stack: DevStack, memory: boolean): Promise<string> {
  const w = stack.workerUrl;
  const lines: (string | undefined)[] = [
    "",
    "cutover is running",
    "",
    `  Worker (the proxy)   ${w}`,
    stack.legacyUrl ? `  legacy app (demo)    ${stack.legacyUrl}   a Heroku-style dyno` : undefined,
    stack.accountsUrl ? `  accounts (demo)      ${stack.accountsUrl}   a Lambda handler behind a function URL with AWS_IAM auth (SigV4 checked)` : undefined,
    `  DynamoDB (local)     ${stack.dynamoEndpoint}   ${memory ? "in memory" : "data in .cutover/"}`,
    `  health               ${w}/_cutover/health`,
    "",
    `Routes (version ${stack.version}):`,
    describeRoutes(stack.table),
    "",
  ];
  if (stack.legacyUrl) {
    const token = await signOverride(stack.overrideSecret, "accounts", Date.now() / 1000 + 3600);
    lines.push(
      "Try (watch the x-cutover-backend header):",
      `  curl -si ${w}/api/accounts/1 --cookie session_id=alice   # 50/50 split, sticky: alice keeps her side`,
      `  curl -si ${w}/api/accounts                               # the new Lambda backend, signed with SigV4`,
      `  curl -si ${w}/ | head -n 12                              # everything else: the legacy app`,
      "",
      "Force the new backend for your own requests (tester override, valid 1 h):",
      `  curl -si ${w}/api/accounts/1 -H 'x-cutover-override: ${token}'`,
      "",
    );
  }
  lines.push(
    "Flip a route and roll it back, from another terminal:",
    `  export CUTOVER_URL=${w} CUTOVER_TOKEN=${stack.adminToken}`,
    "  npx cutover routes get",
    stack.legacyUrl ? '  npx cutover routes weights accounts-read legacy=0 accounts=100 --reason "all users to the Lambda"' : undefined,
    '  npx cutover rollback --reason "back to the previous version"',
    "  npx cutover versions",
    "  npx cutover audit",
    stack.legacyUrl ? "  npx cutover shadow report accounts-read --min-comparisons 5" : undefined,
    "",
    "Ctrl-C stops everything.",
  );
  return lines.filter((line) => line !== undefined).join("\n");
}
