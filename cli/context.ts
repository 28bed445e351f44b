import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { createAdminClient, type AdminClient } from "./admin-client.ts";
import { UsageError } from "./usage-error.ts";

export interface GlobalOptions {
  readonly url?: string;
  readonly token?: string;
  readonly json?: boolean;
}

/** The admin client for a command: URL and token from flags, else CUTOVER_URL and CUTOVER_TOKEN. */
export function clientFor(command: Command): { client: AdminClient; json: boolean } {
  const options = command.optsWithGlobals<GlobalOptions>();
  const url = options.url ?? process.env.CUTOVER_URL;
  if (!url) throw new UsageError("Say where cutover runs: --url https://… or CUTOVER_URL.");
  const token = options.token ?? process.env.CUTOVER_TOKEN;
  return { client: createAdminClient({ url, token }), json: options.json === true };
}

export async function readJsonFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new UsageError(`Cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${file} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export function print(json: boolean, data: unknown, human: () => string): void {
  console.log(json ? JSON.stringify(data, null, 2) : human());
}
