import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import type { Activated } from "../admin/contract/index.ts";
import { createAdminClient, type AdminClient } from "./admin-client.ts";
import { adminToken, loadProfile, processProfileSources, type ProfileSources } from "./profiles.ts";
import { UsageError } from "./usage-error.ts";

export interface GlobalOptions {
  readonly url?: string;
  readonly token?: string;
  readonly profile?: string;
  readonly json?: boolean;
}

/**
 * The admin client for a command: URL and token from flags, else the named profile
 * (`--profile` or CUTOVER_PROFILE), else CUTOVER_URL and CUTOVER_TOKEN. A repository's
 * profile whose folder the user has not trusted gets a token from `--token` only
 * (cli/profiles.ts).
 */
export function clientFor(command: Command, sources: ProfileSources = processProfileSources()): { client: AdminClient; json: boolean; url: string } {
  const options = command.optsWithGlobals<GlobalOptions>();
  const profileName = options.profile ?? sources.env.CUTOVER_PROFILE;
  const profile = profileName ? loadProfile(profileName, sources) : undefined;
  const url = options.url ?? profile?.url ?? sources.env.CUTOVER_URL;
  if (!url) throw new UsageError("Say where cutover runs: --url https://…, --profile NAME, or CUTOVER_URL.");
  const token = adminToken(options.token, profile, sources.env);
  return { client: createAdminClient({ url, token }), json: options.json === true, url };
}

export function jsonOutput(command: Command): boolean {
  return command.optsWithGlobals<GlobalOptions>().json === true;
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

/** Prints what a write did not manage to record (on stderr, so that --json stays clean). */
export function warn(result: { readonly warnings?: readonly string[] }): void {
  for (const warning of result.warnings ?? []) console.error(`cutover: warning: ${warning}`);
}

/** `, taking effect at 12:00:04 (in 4 s, once every isolate has it)`, or "" when at once. */
export function effectiveNote(result: Activated): string {
  if (!result.effectiveAt) return "";
  const seconds = Math.max(0, Math.ceil((Date.parse(result.effectiveAt) - Date.now()) / 1000));
  return `, taking effect everywhere at ${result.effectiveAt.slice(11, 19)} UTC (in ${seconds} s, once every isolate has read it)`;
}

/** Waits until a change is in effect everywhere (for scripts that test right after a flip). */
export async function waitForEffect(result: Activated): Promise<void> {
  if (!result.effectiveAt) return;
  const left = Date.parse(result.effectiveAt) - Date.now();
  if (left > 0) await new Promise((resolve) => setTimeout(resolve, left + 100));
}
