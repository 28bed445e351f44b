import { mkdir, rm } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { hashToken } from "../lib/admin-token.ts";
import { createHandler } from "../demo/accounts-lambda/handler.ts";
import { dynamoAccountsStore, ensureAccountsTable } from "../demo/accounts-lambda/store.ts";
import { serveLambda } from "../demo/lambda-adapter.ts";
import { DEMO_ACCOUNTS, startLegacyApp } from "../demo/legacy-app.ts";
import { demoRouteTable } from "../demo/route-table.ts";
import { diffTables } from "../routes/diff-tables.ts";
import type { RouteTable } from "../routes/schema.ts";
import { formatIssues, validateRouteTable } from "../routes/validate.ts";
import { createDynamoApi } from "../store/dynamo-api.ts";
import { createDynamoStore } from "../store/dynamo-store.ts";
import { NoRouteTableError } from "../store/no-route-table-error.ts";
import { readJsonFile } from "./context.ts";
import { devSecrets, forgetSecrets, lockDataDir } from "./dev-state.ts";
import { createDynamoClient } from "./dynamo-client.ts";
import { ensureTable } from "./ensure-table.ts";
import { startLocalDynamo } from "./local-dynamo.ts";
import { UsageError } from "./usage-error.ts";
import { startWorkerdDev } from "./workerd-dev.ts";
import { PROJECT_ROOT, startWranglerDev } from "./wrangler-dev.ts";

/**
 * What runs the Worker locally: `workerd`, the bundle `wrangler deploy` uploads on plain
 * workerd, as production serves it; `wrangler`, `wrangler dev`, whose proxy changes requests
 * and responses on their way (docs/local-runs.md).
 */
export type DevRuntime = "workerd" | "wrangler";

export const DEV_RUNTIMES: readonly DevRuntime[] = ["workerd", "wrangler"];

export interface DevStackOptions {
  readonly port: number;
  readonly runtime: DevRuntime;
  /** A route table file to serve instead of the stored or the demo table. */
  readonly routesFile?: string;
  /** Start the demo legacy app and Lambda backend (default true). */
  readonly demo: boolean;
  readonly legacyPort: number;
  readonly accountsPort: number;
  /** Keep DynamoDB in memory instead of on disk (a fresh table every run). */
  readonly memory: boolean;
  /** Where DynamoDB keeps its data between runs (default .cutover/dynamodb). */
  readonly dataDir?: string;
  /** Start from an empty store: forget the table, versions and audit of earlier runs. */
  readonly fresh: boolean;
  /**
   * The AWS credentials the Worker signs `aws-iam` backends with: the dev stack's own (the
   * demo Lambda checks them), or the caller's AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
   * AWS_SESSION_TOKEN for real AWS backends. The local DynamoDB always gets its own.
   */
  readonly awsCredentials: "dev" | "env";
  /** Aborted (a stop signal while starting): stop what has started, and throw. */
  readonly signal?: AbortSignal;
  readonly log: (line: string) => void;
}

export interface DevStack {
  readonly runtime: DevRuntime;
  readonly workerUrl: string;
  /** The dashboard, on its own origin (the admin host `localhost`). */
  readonly dashboardUrl: string;
  /** What the stack's webhook messages are signed with (to check them in a local receiver). */
  readonly webhookSecret: string;
  readonly legacyUrl: string | undefined;
  readonly accountsUrl: string | undefined;
  readonly dynamoEndpoint: string;
  readonly adminToken: string;
  readonly overrideSecret: string;
  readonly version: number;
  readonly table: RouteTable;
  /** Where the table came from: applied now (`--routes`, the demo on a fresh store), or kept from an earlier run. */
  readonly tableSource: "applied" | "stored";
  stop(): Promise<void>;
}

const DEV_TABLE = "cutover";
/** The demo accounts service's table, in the same local DynamoDB (demo/accounts-lambda/store.ts). */
export const DEMO_ACCOUNTS_TABLE = "accounts";
/** The dev stack's admin host: another origin than the proxy's 127.0.0.1, on the same port. */
const DEV_ADMIN_HOST = "localhost";
/** The Worker's AWS credentials locally: the embedded DynamoDB ignores them, the demo Lambda checks its signatures with them. */
const DEV_CREDENTIALS = { accessKeyId: "AKIDCUTOVERDEV", secretAccessKey: "cutover-dev-secret" };

/**
 * The local stack of `cutover dev` / `npm start`, all on 127.0.0.1 with no AWS account and no
 * Cloudflare login: an embedded DynamoDB, the demo backends, the route table stored before
 * the Worker starts (so it never serves an older one first), and the Worker on plain workerd
 * or under wrangler dev.
 */
export async function startDevStack(options: DevStackOptions): Promise<DevStack> {
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const stopOne of stops.reverse()) await stopOne().catch(() => {});
  };
  // Checked after each part starts: each start is short, and what it started is in `stops`.
  const startedSoFar = () => options.signal?.throwIfAborted();
  // A port in use is a one-line error naming the port and the flag, not a raw EADDRINUSE.
  await requireFreePort(options.port, "--port");
  if (options.demo) {
    if (options.legacyPort !== 0) await requireFreePort(options.legacyPort, "--legacy-port");
    if (options.accountsPort !== 0) await requireFreePort(options.accountsPort, "--accounts-port");
  }
  try {
    let legacyUrl: string | undefined;
    let accountsUrl: string | undefined;
    const dataDir = options.dataDir ?? path.join(PROJECT_ROOT, ".cutover", "dynamodb");
    if (!options.memory) {
      await mkdir(path.dirname(dataDir), { recursive: true });
      const release = lockDataDir(dataDir);
      stops.push(async () => release());
      if (options.fresh) await Promise.all([rm(dataDir, { recursive: true, force: true }), forgetSecrets(dataDir)]);
      await mkdir(dataDir, { recursive: true });
    }
    const secrets = await devSecrets(options.memory ? undefined : dataDir, options.fresh);
    const dynamo = await startLocalDynamo({ path: options.memory ? undefined : dataDir });
    stops.push(dynamo.close);
    startedSoFar();
    const connection = { region: "us-east-1", endpoint: dynamo.endpoint, ...DEV_CREDENTIALS };
    await ensureTable(createDynamoClient(connection, 3), DEV_TABLE);

    if (options.demo) {
      const legacy = await startLegacyApp(options.legacyPort);
      stops.push(legacy.close);
      // The new service's own table beside cutover's, holding the demo accounts (as if backfilled already).
      const accountsClient = createDynamoClient(connection, 3);
      await ensureAccountsTable(accountsClient, DEMO_ACCOUNTS_TABLE);
      const accountsStore = dynamoAccountsStore(accountsClient, DEMO_ACCOUNTS_TABLE);
      for (const account of DEMO_ACCOUNTS) await accountsStore.create(account);
      const accounts = await serveLambda(createHandler(accountsStore), { port: options.accountsPort, iam: { keys: { [DEV_CREDENTIALS.accessKeyId]: DEV_CREDENTIALS.secretAccessKey }, region: "us-east-1" } });
      stops.push(accounts.close);
      startedSoFar();
      legacyUrl = `http://127.0.0.1:${legacy.port}`;
      accountsUrl = `http://127.0.0.1:${accounts.port}`;
    }

    // The table is stored before the Worker starts: --routes (or the demo table on an empty
    // store) is what the very first request sees, never the previous run's table.
    const store = createDynamoStore({ client: createDynamoApi(connection), tableName: DEV_TABLE });
    const stored = await store.getActive().catch((error: unknown) => {
      if (error instanceof NoRouteTableError) return undefined;
      throw error;
    });
    let version = stored?.version ?? 0;
    let table = stored?.table;
    let tableSource: DevStack["tableSource"] = "stored";
    const wantedInput = options.routesFile ? await readJsonFile(options.routesFile) : stored === undefined ? demoRouteTable({ legacy: legacyUrl ?? "", accounts: accountsUrl ?? "" }) : undefined;
    if (wantedInput !== undefined) {
      const wanted = validateRouteTable(wantedInput);
      if (!wanted.ok) throw new UsageError(`The route table${options.routesFile ? ` in ${options.routesFile}` : ""} is invalid:\n${formatIssues(wanted.error)}`);
      if (stored === undefined || diffTables(stored.table, wanted.value).length > 0) {
        const reason = options.routesFile ? `cutover dev --routes ${options.routesFile}` : "seed the demo route table";
        const published = await store.publish({ table: wanted.value, expectedVersion: version, author: "cutover dev", reason, action: "apply" });
        if (!published.ok) throw new Error(`Could not store the route table: version ${published.error.activeVersion} appeared meanwhile`);
        version = published.value.version;
        tableSource = "applied";
      }
      table = wanted.value;
    }
    if (table === undefined) throw new Error("no route table to serve");

    const { adminToken, overrideSecret, webhookSecret } = secrets;
    const backendCredentials =
      options.awsCredentials === "env"
        ? { accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? "", secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? "", sessionToken: process.env.AWS_SESSION_TOKEN ?? "" }
        : { ...DEV_CREDENTIALS, sessionToken: "" };
    if (options.awsCredentials === "env" && !(backendCredentials.accessKeyId && backendCredentials.secretAccessKey)) {
      throw new UsageError("--aws-credentials env needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment (e.g. from `aws configure export-credentials --format env`).");
    }
    const startWorker = options.runtime === "workerd" ? startWorkerdDev : startWranglerDev;
    const worker = await startWorker({
      port: options.port,
      vars: {
        CUTOVER_DYNAMODB_TABLE: DEV_TABLE,
        CUTOVER_DYNAMODB_ENDPOINT: dynamo.endpoint,
        CUTOVER_AWS_REGION: connection.region,
        // The dashboard on an origin of its own, as in production: http://localhost:<port> (the proxy is http://127.0.0.1:<port>).
        CUTOVER_ADMIN_HOSTS: DEV_ADMIN_HOST,
        // Locally, every response says which route, backend and version served it.
        CUTOVER_RESPONSE_HEADERS: "on",
        // Show shadow results within a second, not the production default of ten.
        CUTOVER_SHADOW_FLUSH_MS: "1000",
        // Traffic accounting likewise: `cutover status` shows a request within a second.
        CUTOVER_METRICS_FLUSH_MS: "1000",
        // One local isolate reads the store every second: a flip takes effect 2.5 s after it is made.
        CUTOVER_CONFIG_TTL_MS: "1000",
        // One isolate locally: the data centre's cache in front of the store (many isolates) does not apply.
        CUTOVER_EDGE_CACHE: "off",
        CUTOVER_STORE_TIMEOUT_MS: "500",
        // A local webhook receiver (http, on loopback) may take rollout messages here, never in a deployment.
        CUTOVER_WEBHOOK_ALLOW_PRIVATE: "on",
        ...(legacyUrl ? { CUTOVER_LEGACY_URL: legacyUrl } : {}),
      },
      // Through a file only this user can read (wrangler's --env-file, workerd's config), never a command line.
      secrets: {
        // The local DynamoDB's credentials, apart from those that sign requests to backends.
        CUTOVER_DYNAMODB_ACCESS_KEY_ID: DEV_CREDENTIALS.accessKeyId,
        CUTOVER_DYNAMODB_SECRET_ACCESS_KEY: DEV_CREDENTIALS.secretAccessKey,
        AWS_ACCESS_KEY_ID: backendCredentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: backendCredentials.secretAccessKey,
        ...(backendCredentials.sessionToken ? { AWS_SESSION_TOKEN: backendCredentials.sessionToken } : {}),
        CUTOVER_ADMIN_TOKENS: JSON.stringify({ [await hashToken(adminToken)]: { name: "dev", role: "operator" } }),
        CUTOVER_OVERRIDE_SECRET: overrideSecret,
        CUTOVER_SESSION_SECRET: secrets.sessionSecret,
        CUTOVER_WEBHOOK_SECRET: webhookSecret,
        // Taken from the environment, for a Rails app of your own behind the local stack (docs/behind-rails.md).
        CUTOVER_IDENTITY_SECRET: process.env.CUTOVER_IDENTITY_SECRET || secrets.identitySecret,
        ...(process.env.CUTOVER_RAILS_SECRET_KEY_BASE ? { CUTOVER_RAILS_SECRET_KEY_BASE: process.env.CUTOVER_RAILS_SECRET_KEY_BASE } : {}),
      },
      log: options.log,
    });
    stops.push(worker.stop);
    startedSoFar();
    // The rollout controller: in production a Cron Trigger each minute; here every few seconds.
    const ticker = startRolloutTicker(worker.url, adminToken);
    stops.push(async () => ticker.stop());
    return { runtime: options.runtime, workerUrl: worker.url, dashboardUrl: `http://${DEV_ADMIN_HOST}:${options.port}/_cutover/`, webhookSecret, legacyUrl, accountsUrl, dynamoEndpoint: dynamo.endpoint, adminToken, overrideSecret, version, table, tableSource, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** How often `cutover dev` ticks the rollout controller. */
export const DEV_TICK_MS = 3000;

/** POSTs /rollouts/tick every DEV_TICK_MS (one at a time; a failed tick is retried at the next). */
function startRolloutTicker(workerUrl: string, token: string): { stop(): void } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = async () => {
    try {
      const response = await fetch(`${workerUrl}/_cutover/api/rollouts/tick`, { method: "POST", headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
      await response.arrayBuffer();
    } catch {
      // The Worker restarting, or stopping: the next tick tries again.
    }
    if (!stopped) timer = setTimeout(tick, DEV_TICK_MS);
  };
  timer = setTimeout(tick, DEV_TICK_MS);
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/** Refuses to start on a port something else listens on, naming the flag that changes it. */
async function requireFreePort(port: number, flag: string): Promise<void> {
  const free = await new Promise<boolean>((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
  if (!free) throw new UsageError(`Port ${port} is in use on 127.0.0.1: stop what listens there, or pass ${flag} <another port>.`);
}
