import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { UsageError } from "./usage-error.ts";

/**
 * Named environments for the CLI (`--profile staging`): where cutover runs and where its
 * admin token comes from, so that nobody pastes a production token into a shell.
 *
 * `cutover.profiles.json` in the current folder, else `~/.config/cutover/profiles.json`:
 *
 *     { "profiles": {
 *         "staging":    { "url": "https://cutover-staging.example.workers.dev", "tokenEnv": "CUTOVER_STAGING_TOKEN" },
 *         "production": { "url": "https://www.example.com", "tokenCommand": "op read op://ops/cutover/token" } } }
 */
export interface Profile {
  readonly url: string;
  /** The environment variable holding the token. */
  readonly tokenEnv?: string;
  /** A command whose output is the token (a password manager). */
  readonly tokenCommand?: string;
}

export function profileFiles(): string[] {
  const config = process.env.XDG_CONFIG_HOME ?? path.join(os.homedir(), ".config");
  return [path.resolve("cutover.profiles.json"), path.join(config, "cutover", "profiles.json")];
}

export function loadProfile(name: string): Profile {
  const file = profileFiles().find((candidate) => existsSync(candidate));
  if (file === undefined) throw new UsageError(`No profile '${name}': there is no ${profileFiles().join(" or ")}.`);
  let parsed: { profiles?: Record<string, Profile> };
  try {
    parsed = JSON.parse(readFileSync(file, "utf8")) as { profiles?: Record<string, Profile> };
  } catch (error) {
    throw new UsageError(`${file} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const profile = parsed.profiles?.[name];
  if (profile === undefined || typeof profile.url !== "string") {
    throw new UsageError(`No profile '${name}' in ${file} (profiles: ${Object.keys(parsed.profiles ?? {}).join(", ") || "none"}).`);
  }
  return profile;
}

/** The token a profile names: from its environment variable, or its command's output. */
export function profileToken(name: string, profile: Profile): string | undefined {
  if (profile.tokenEnv) {
    const token = process.env[profile.tokenEnv];
    if (!token) throw new UsageError(`Profile '${name}' reads its token from ${profile.tokenEnv}, which is not set.`);
    return token;
  }
  if (profile.tokenCommand) {
    try {
      return execFileSync("sh", ["-c", profile.tokenCommand], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim();
    } catch {
      throw new UsageError(`Profile '${name}': its tokenCommand failed.`);
    }
  }
  return undefined;
}
