import { readFile } from "node:fs/promises";
import { demoRouteTable } from "../demo/route-table.ts";
import { handler } from "../demo/accounts-lambda/handler.ts";
import { serveLambda } from "../demo/lambda-adapter.ts";
import { startLegacyApp } from "../demo/legacy-app.ts";
import type { RouteTable } from "../routes/schema.ts";
import { formatIssues, validateRouteTable } from "../routes/validate.ts";
import { startWranglerDev } from "./wrangler-dev.ts";

export interface DevStackOptions {
  readonly port: number;
  /** A route table file to serve instead of the demo table. */
  readonly routesFile?: string;
  /** Start the demo legacy app and Lambda backend (default true). */
  readonly demo: boolean;
  readonly overrideSecret: string;
  readonly log: (line: string) => void;
}

export interface DevStack {
  readonly workerUrl: string;
  readonly legacyUrl: string | undefined;
  readonly accountsUrl: string | undefined;
  readonly table: RouteTable;
  stop(): Promise<void>;
}

/** The local stack of `cutover dev` / `npm start`. Everything on 127.0.0.1; no AWS, no Cloudflare login. */
export async function startDevStack(options: DevStackOptions): Promise<DevStack> {
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const stopOne of stops.reverse()) await stopOne().catch(() => {});
  };
  try {
    let legacyUrl: string | undefined;
    let accountsUrl: string | undefined;
    if (options.demo) {
      const legacy = await startLegacyApp();
      stops.push(legacy.close);
      const accounts = await serveLambda(handler);
      stops.push(accounts.close);
      legacyUrl = `http://127.0.0.1:${legacy.port}`;
      accountsUrl = `http://127.0.0.1:${accounts.port}`;
    }

    const input: unknown = options.routesFile
      ? JSON.parse(await readFile(options.routesFile, "utf8"))
      : demoRouteTable({ legacy: legacyUrl ?? "", accounts: accountsUrl ?? "" });
    const table = validateRouteTable(input);
    if (!table.ok) throw new Error(`The route table${options.routesFile ? ` in ${options.routesFile}` : ""} is invalid:\n${formatIssues(table.error)}`);

    const worker = await startWranglerDev({
      port: options.port,
      vars: {
        CUTOVER_ROUTES: JSON.stringify(table.value),
        CUTOVER_OVERRIDE_SECRET: options.overrideSecret,
      },
      log: options.log,
    });
    stops.push(worker.stop);
    return { workerUrl: worker.url, legacyUrl, accountsUrl, table: table.value, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
