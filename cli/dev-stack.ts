import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { hashToken } from "../admin/tokens.ts";
import { createDynamoClient } from "./dynamo-client.ts";
import { ensureTable } from "./ensure-table.ts";
import { handler } from "../demo/accounts-lambda/handler.ts";
import { serveLambda } from "../demo/lambda-adapter.ts";
import { startLegacyApp } from "../demo/legacy-app.ts";
import { demoRouteTable } from "../demo/route-table.ts";
import { diffTables } from "../routes/diff-tables.ts";
import type { RouteTable } from "../routes/schema.ts";
import { formatIssues, validateRouteTable } from "../routes/validate.ts";
import { createAdminClient } from "./admin-client.ts";
import { readJsonFile } from "./context.ts";
import { startLocalDynamo } from "./local-dynamo.ts";
import { PROJECT_ROOT, startWranglerDev } from "./wrangler-dev.ts";

export interface DevStackOptions {
  readonly port: number;
  /** A route table file to serve instead of the demo table. */
  readonly routesFile?: string;
  /** Start the demo legacy app and Lambda backend (default true). */
  readonly demo: boolean;
  readonly legacyPort: number;
  readonly accountsPort: number;
  /** Keep DynamoDB in memory instead of under .cutover/ (a fresh table every run). */
  readonly memory: boolean;
  readonly log: (line: string) => void;
}

export interface DevStack {
  readonly workerUrl: string;
  readonly legacyUrl: string | undefined;
  readonly accountsUrl: string | undefined;
  readonly dynamoEndpoint: string;
  readonly adminToken: string;
  readonly overrideSecret: string;
  readonly version: number;
  readonly table: RouteTable;
  stop(): Promise<void>;
}

const DEV_TABLE = "cutover";
/** The Worker's AWS credentials locally: the embedded DynamoDB ignores them, the demo Lambda checks its signatures with them. */
const DEV_CREDENTIALS = { accessKeyId: "AKIDCUTOVERDEV", secretAccessKey: "cutover-dev-secret" };

/**
 * The local stack of `cutover dev` / `npm start`, all on 127.0.0.1 with no AWS account and no
 * Cloudflare login: an embedded DynamoDB, the demo backends, the Worker under wrangler dev,
 * and the route table seeded through the admin API, the way the CLI changes it.
 */
export async function startDevStack(options: DevStackOptions): Promise<DevStack> {
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const stopOne of stops.reverse()) await stopOne().catch(() => {});
  };
  try {
    let legacyUrl: string | undefined;
    let accountsUrl: string | undefined;
    if (options.demo) {
      const legacy = await startLegacyApp(options.legacyPort);
      stops.push(legacy.close);
      const accounts = await serveLambda(handler, { port: options.accountsPort, iam: { keys: { [DEV_CREDENTIALS.accessKeyId]: DEV_CREDENTIALS.secretAccessKey }, region: "us-east-1" } });
      stops.push(accounts.close);
      legacyUrl = `http://127.0.0.1:${legacy.port}`;
      accountsUrl = `http://127.0.0.1:${accounts.port}`;
    }

    const input = options.routesFile ? await readJsonFile(options.routesFile) : demoRouteTable({ legacy: legacyUrl ?? "", accounts: accountsUrl ?? "" });
    const wanted = validateRouteTable(input);
    if (!wanted.ok) throw new Error(`The route table${options.routesFile ? ` in ${options.routesFile}` : ""} is invalid:\n${formatIssues(wanted.error)}`);

    const dataDir = path.join(PROJECT_ROOT, ".cutover", "dynamodb");
    if (!options.memory) await mkdir(dataDir, { recursive: true });
    const dynamo = await startLocalDynamo({ path: options.memory ? undefined : dataDir });
    stops.push(dynamo.close);
    const credentials = { region: "us-east-1", endpoint: dynamo.endpoint, ...DEV_CREDENTIALS };
    await ensureTable(createDynamoClient(credentials, 3), DEV_TABLE);

    const adminToken = `dev_${randomBytes(18).toString("base64url")}`;
    const overrideSecret = randomBytes(16).toString("hex");
    const worker = await startWranglerDev({
      port: options.port,
      vars: {
        CUTOVER_DYNAMODB_TABLE: DEV_TABLE,
        CUTOVER_DYNAMODB_ENDPOINT: dynamo.endpoint,
        CUTOVER_AWS_REGION: credentials.region,
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        CUTOVER_ADMIN_TOKENS: JSON.stringify({ [await hashToken(adminToken)]: { name: "dev", role: "operator" } }),
        CUTOVER_OVERRIDE_SECRET: overrideSecret,
        // Locally, every response says which route, backend and version served it.
        CUTOVER_RESPONSE_HEADERS: "on",
        // Show shadow results within a second, not the production default of ten.
        CUTOVER_SHADOW_FLUSH_MS: "1000",
        // One local isolate reads the store every second: a flip takes effect 2.5 s after it is made.
        CUTOVER_CONFIG_TTL_MS: "1000",
        CUTOVER_STORE_TIMEOUT_MS: "500",
        ...(legacyUrl ? { CUTOVER_LEGACY_URL: legacyUrl } : {}),
      },
      log: options.log,
    });
    stops.push(worker.stop);

    // Seed through the admin API, as `cutover routes apply` would: only when the stored
    // table is missing, or when --routes names a file that differs from it.
    const client = createAdminClient({ url: worker.url, token: adminToken });
    const active = await client.getRoutes();
    let version = active?.version ?? 0;
    let table = active?.table ?? wanted.value;
    const differs = active !== undefined && diffTables(active.table, wanted.value).length > 0;
    if (active === undefined || (options.routesFile && differs)) {
      const reason = options.routesFile ? `cutover dev --routes ${options.routesFile}` : "seed the demo route table";
      version = (await client.putRoutes(wanted.value, reason, version)).version;
      table = wanted.value;
    }
    return { workerUrl: worker.url, legacyUrl, accountsUrl, dynamoEndpoint: dynamo.endpoint, adminToken, overrideSecret, version, table, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
