import path from "node:path";
import type { Command } from "commander";
import { Option } from "commander";
import { signOverride } from "../../routes/override-token.ts";
import type { RouteTable } from "../../routes/schema.ts";
import { describeRoutes } from "../describe-table.ts";
import { DEV_RUNTIMES, startDevStack, type DevRuntime, type DevStack } from "../dev-stack.ts";
import { parsePort, parseWorkerPort } from "../options.ts";
import { UsageError } from "../usage-error.ts";

interface DevOptions {
  routes?: string;
  port: number;
  runtime: DevRuntime;
  legacyPort: number;
  accountsPort: number;
  demo: boolean;
  memory?: boolean;
  dataDir: string;
  fresh?: boolean;
  awsCredentials: "dev" | "env";
}

export function registerDev(program: Command): void {
  program
    .command("dev")
    .description("run the local stack: embedded DynamoDB, the Worker (on plain workerd, as deployed, or under wrangler dev), a demo legacy app and a demo Lambda backend")
    .option("--routes <file>", "serve this route table file (stored before the Worker starts)")
    .option("--port <n>", "port of the Worker", parseWorkerPort, 8787)
    .addOption(
      new Option("--runtime <name>", "what runs the Worker: the deployed bundle on plain workerd (workerd), or wrangler dev, whose proxy rewrites Location and Accept-Encoding (wrangler); docs/local-runs.md")
        .choices(DEV_RUNTIMES)
        .default("workerd"),
    )
    .option("--legacy-port <n>", "port of the demo legacy app", parsePort, 8788)
    .option("--accounts-port <n>", "port of the demo Lambda backend", parsePort, 8789)
    .option("--no-demo", "do not start the demo legacy app and Lambda backend")
    .option("--memory", "keep DynamoDB in memory instead of under .cutover/")
    .option("--data-dir <dir>", "where DynamoDB keeps its data between runs", ".cutover/dynamodb")
    .option("--fresh", "start from an empty store: forget the routes, versions and audit of earlier runs")
    .addOption(new Option("--aws-credentials <source>", "what signs requests to aws-iam backends: the stack's own (dev, which the demo Lambda knows) or yours from AWS_* variables (env)").choices(["dev", "env"]).default("dev"))
    .action(async (options: DevOptions) => {
      if (!options.demo && !options.routes) throw new UsageError("--no-demo needs --routes FILE: without the demo backends, say where requests go.");
      // Listening for stop signals before anything starts: a signal while the stack starts stops what has started.
      const stopping = stopOnSignals();
      const stack = await startDevStack({
        port: options.port,
        runtime: options.runtime,
        routesFile: options.routes,
        demo: options.demo,
        legacyPort: options.legacyPort,
        accountsPort: options.accountsPort,
        memory: options.memory === true,
        dataDir: path.resolve(options.dataDir),
        fresh: options.fresh === true,
        awsCredentials: options.awsCredentials,
        signal: stopping.signal,
        log: (line) => console.log(`[worker] ${line}`),
      }).catch((error: unknown) => {
        // Stopped while starting: startDevStack stopped what it had started.
        if (stopping.signal.aborted) process.exit(0);
        throw error;
      });
      stopping.started(stack);
      console.log(await banner(stack, options.memory === true));
    });
}

/**
 * Any stop signal — Ctrl-C (SIGINT), an IDE stop button or systemd (SIGTERM), a closed
 * terminal (SIGHUP) — stops every child before exiting; so does losing the parent (the npm
 * process that started us was killed), so that nothing keeps the ports. Installed before the
 * stack starts: until `started`, a signal aborts `signal`, which stops the start.
 */
function stopOnSignals(): { readonly signal: AbortSignal; started(stack: DevStack): void } {
  const starting = new AbortController();
  let running: DevStack | undefined;
  let stopping = false;
  const shutdown = async (why: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\nStopping (${why})…`);
    if (running === undefined) {
      starting.abort(new Error(`stopped (${why})`));
      return;
    }
    await running.stop();
    process.exit(0);
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => void shutdown(signal));
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) void shutdown("the parent process is gone");
  }, 500).unref();
  return {
    signal: starting.signal,
    started(stack) {
      running = stack;
    },
  };
}

async function banner(stack: DevStack, memory: boolean): Promise<string> {
  const w = stack.workerUrl;
  const lines: (string | undefined)[] = [
    "",
    "cutover is running",
    "",
    `  Worker (the proxy)   ${w}   ${stack.runtime === "workerd" ? "the deployed bundle on plain workerd (restart to pick up code changes)" : "under wrangler dev (reloads on code changes; its proxy rewrites some headers: docs/local-runs.md)"}`,
    stack.legacyUrl ? `  legacy app (demo)    ${stack.legacyUrl}   a Heroku-style dyno` : undefined,
    stack.accountsUrl ? `  accounts (demo)      ${stack.accountsUrl}   a Lambda handler behind a function URL with AWS_IAM auth (SigV4 checked), with its own table 'accounts' in the DynamoDB below` : undefined,
    `  DynamoDB (local)     ${stack.dynamoEndpoint}   ${memory ? "in memory" : "data in .cutover/ (--fresh starts over)"}`,
    `  dashboard            ${stack.dashboardUrl}   an origin of its own (CUTOVER_ADMIN_HOSTS=localhost); sign in with the admin token below`,
    `  health               ${w}/_cutover/health`,
    "",
    `Routes (version ${stack.version}, ${stack.tableSource === "stored" ? "kept from the last run" : "applied now"}):`,
    describeRoutes(stack.table),
    "",
  ];
  const demoTable = stack.legacyUrl !== undefined && stack.table.routes.some((route) => route.id === "accounts-read");
  if (demoTable) {
    const token = await signOverride(stack.overrideSecret, { backend: "accounts", expiresAt: Date.now() / 1000 + 3600 });
    lines.push(
      "Try (watch the x-cutover-backend header):",
      `  curl -si ${w}/api/accounts/1 --cookie session_id=alice   # a split, sticky: alice keeps her side`,
      `  curl -si ${w}/api/accounts                               # the new Lambda backend, signed with SigV4`,
      `  curl -si ${w}/ | head -n 12                              # everything else: the legacy app`,
      "",
      "Force the new backend for your own requests (tester override, valid 1 h):",
      `  curl -si ${w}/api/accounts/1 -H 'x-cutover-override: ${token}'`,
      "",
    );
  }
  lines.push(memory ? "From another terminal (the token is new every run with --memory):" : "From another terminal (the token stays the same across restarts; --fresh renews it):", `  export CUTOVER_URL=${w} CUTOVER_TOKEN=${stack.adminToken}`, "  npx cutover routes get", ...commandsFor(stack.table), "");
  if (!demoTable) {
    const backend = Object.keys(stack.table.backends).find((name) => name !== stack.table.default) ?? stack.table.default;
    lines.push("Force a backend for your own requests (a tester override, minted by the admin API):", `  npx cutover override ${backend} --ttl 1h --reason "trying it locally"`, "");
  }
  lines.push("A flip takes effect 2.5 s after it is made (the propagation bound of this stack); a rollback at once.", "Ctrl-C stops everything.");
  return lines.filter((line) => line !== undefined).join("\n");
}

/** CLI commands that work on this table: a flip of a split route, a rollback, history, shadow. */
function commandsFor(table: RouteTable): string[] {
  const split = table.routes.find((route) => typeof route.to !== "string") ?? table.routes[0];
  const lines: string[] = [];
  if (split) {
    const names = typeof split.to === "string" ? [split.to] : Object.keys(split.to);
    const target = names.find((name) => name !== table.default) ?? names[0];
    const weights = names.map((name) => `${name}=${name === target ? 100 : 0}`).join(" ");
    lines.push(`  npx cutover routes weights ${split.id} ${weights} --reason "all users to ${target}"`);
  }
  lines.push('  npx cutover rollback --reason "back to the previous version"', "  npx cutover versions", "  npx cutover audit");
  const shadowed = table.routes.find((route) => route.shadow !== undefined);
  if (shadowed) lines.push(`  npx cutover shadow report ${shadowed.id} --min-comparisons 5`);
  return lines;
}
