import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, realpathSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import * as z from "zod/mini";
import { describeIssues } from "../routes/describe-issues.ts";
import { UsageError } from "./usage-error.ts";

/**
 * Named environments for the CLI (`--profile staging`): where cutover runs and where its
 * admin token comes from, so that nobody pastes a production token into a shell.
 *
 * The user's own file, `~/.config/cutover/profiles.json` (`$XDG_CONFIG_HOME/cutover/`), and a
 * repository's `cutover.profiles.json` in the current folder. A name in both comes from the
 * user's file:
 *
 *     { "trusted": ["/home/me/src/shop"],
 *       "profiles": {
 *         "staging":    { "url": "https://cutover-staging.example.workers.dev", "tokenEnv": "CUTOVER_STAGING_TOKEN" },
 *         "production": { "url": "https://www.example.com", "tokenCommand": "op read op://ops/cutover/token" } } }
 *
 * A repository's file is whatever its last committer wrote, so its profiles get a token only
 * when the user's file lists its folder in `trusted` (absolute paths, compared as real paths:
 * the real file must be `cutover.profiles.json` in a real trusted folder, so a symlinked
 * folder or file counts only when what it points to is trusted). Otherwise they get no
 * `tokenCommand` run, no `tokenEnv` read and no CUTOVER_TOKEN: only an explicit `--token`.
 *
 * `tokenCommand` runs without a shell, in the folder of the file that names it (see
 * {@link splitCommand}); for a pipe, say so: `sh -c "op read op://ops/cutover/token | tr -d ' '"`.
 */
export interface Profile {
  readonly url: string;
  /** The environment variable holding the token. */
  readonly tokenEnv?: string;
  /** A command whose output is the token (a password manager). */
  readonly tokenCommand?: string;
}

/** A profile and where it came from. */
export interface LoadedProfile extends Profile {
  readonly name: string;
  /** The file that defines it. */
  readonly file: string;
  /** The real folder holding that file: where its tokenCommand runs. */
  readonly folder: string;
  /** From the user's own file, from a trusted repository folder's file, or from another one. */
  readonly trust: "user" | "trusted" | "untrusted";
  /** The user's file, which lists trusted folders. */
  readonly userFile: string;
}

/** Where profiles are looked up, and the environment tokens are read from. */
export interface ProfileSources {
  /** The folder whose `cutover.profiles.json` is the repository's file. */
  readonly cwd: string;
  /** The user's config folder. */
  readonly configHome: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export function processProfileSources(): ProfileSources {
  // The XDG spec calls a relative XDG_CONFIG_HOME invalid; honouring it would put "the
  // user's own file" inside whichever repository cutover runs in.
  const xdg = process.env.XDG_CONFIG_HOME;
  return { cwd: process.cwd(), configHome: xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), ".config"), env: process.env };
}

const ProfileSchema = z.object({ url: z.string(), tokenEnv: z.optional(z.string()), tokenCommand: z.optional(z.string()) });
const ProfileFileSchema = z.object({
  trusted: z.optional(z.array(z.string().check(z.refine((folder) => path.isAbsolute(folder), "must be an absolute path")))),
  profiles: z.optional(z.record(z.string(), ProfileSchema)),
});
type ProfileFile = z.infer<typeof ProfileFileSchema>;

export function profileFiles(sources: ProfileSources = processProfileSources()): { readonly local: string; readonly user: string } {
  return { local: path.resolve(sources.cwd, "cutover.profiles.json"), user: path.resolve(sources.configHome, "cutover", "profiles.json") };
}

export function loadProfile(name: string, sources: ProfileSources = processProfileSources()): LoadedProfile {
  const files = profileFiles(sources);
  const user = readProfileFile(files.user);
  const own = profileNamed(user, name);
  // The repository's file is not even read when the user's has the name.
  if (own) return { ...own, name, file: files.user, folder: path.dirname(realpathSync(files.user)), trust: "user", userFile: files.user };
  const local = readProfileFile(files.local);
  const theirs = profileNamed(local, name);
  if (theirs) {
    const real = realpathSync(files.local);
    // Trust follows the real file, so that neither a symlink nor `..` can borrow a trusted folder's name.
    const trusted = (user?.trusted ?? []).some((folder) => {
      const realFolder = realPath(folder);
      return realFolder !== undefined && path.join(realFolder, "cutover.profiles.json") === real;
    });
    return { ...theirs, name, file: files.local, folder: path.dirname(real), trust: trusted ? "trusted" : "untrusted", userFile: files.user };
  }
  if (!user && !local) throw new UsageError(`No profile '${name}': there is no ${files.local} or ${files.user}.`);
  const names = [...new Set([...Object.keys(user?.profiles ?? {}), ...Object.keys(local?.profiles ?? {})])];
  const read = [local && files.local, user && files.user].filter((file) => typeof file === "string");
  throw new UsageError(`No profile '${name}' in ${read.join(" or ")} (profiles: ${names.join(", ") || "none"}).`);
}

/**
 * The admin token: `--token`, else the profile's (its tokenEnv, its tokenCommand's output,
 * else CUTOVER_TOKEN), else CUTOVER_TOKEN. An untrusted repository profile gets `--token` only.
 */
export function adminToken(flag: string | undefined, profile: LoadedProfile | undefined, env: ProfileSources["env"]): string | undefined {
  if (flag !== undefined) return flag;
  if (profile === undefined) return env.CUTOVER_TOKEN;
  if (profile.trust === "untrusted") {
    const refused = profile.tokenEnv ? `read its tokenEnv (${profile.tokenEnv})` : profile.tokenCommand ? "run its tokenCommand" : env.CUTOVER_TOKEN ? "send CUTOVER_TOKEN to its URL" : undefined;
    if (refused === undefined) return undefined;
    throw new UsageError(
      `Profile '${profile.name}' comes from ${profile.file}, which is not trusted, so cutover will not ${refused}. ` +
        `To trust that folder, add it to "trusted" in ${profile.userFile}: { "trusted": [${JSON.stringify(profile.folder)}], "profiles": { … } }; or pass --token.`,
    );
  }
  if (profile.tokenEnv) {
    const token = env[profile.tokenEnv];
    if (!token) throw new UsageError(`Profile '${profile.name}' reads its token from ${profile.tokenEnv}, which is not set.`);
    return token;
  }
  if (profile.tokenCommand) return runTokenCommand(profile, profile.tokenCommand);
  return env.CUTOVER_TOKEN;
}

/**
 * A tokenCommand as argv, for a call without a shell: words split on whitespace, '…' and
 * "…" keep spaces (no escapes: put ' inside "…" and " inside '…'). `;`, `|`, `$(…)`, `*` and
 * `~` are plain characters, so a profile cannot chain or substitute commands. Undefined
 * when a quote is not closed.
 */
export function splitCommand(command: string): string[] | undefined {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: string | undefined;
  for (const char of command) {
    if (quote !== undefined) {
      if (char === quote) quote = undefined;
      else word += char;
    } else if (/\s/.test(char)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      inWord = true;
      if (char === "'" || char === '"') quote = char;
      else word += char;
    }
  }
  if (quote !== undefined) return undefined;
  if (inWord) words.push(word);
  return words;
}

function runTokenCommand(profile: LoadedProfile, command: string): string {
  const argv = splitCommand(command);
  const program = argv?.[0];
  const which = `Profile '${profile.name}' in ${profile.file}: its tokenCommand`;
  if (argv === undefined || program === undefined) throw new UsageError(`${which} ${argv ? "is empty" : "has a quote that is not closed"}: ${command}`);
  let output: string;
  try {
    output = execFileSync(program, argv.slice(1), { cwd: profile.folder, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  } catch (error) {
    throw new UsageError(`${which} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const token = output.trim();
  if (!token) throw new UsageError(`${which} printed no token.`);
  return token;
}

function readProfileFile(file: string): ProfileFile | undefined {
  if (!existsSync(file)) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new UsageError(`${file} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const parsed = ProfileFileSchema.safeParse(json, { reportInput: true });
  if (!parsed.success) throw new UsageError(`${file} is not a profile file: ${describeIssues(ProfileFileSchema, parsed.error.issues).map((issue) => `${issue.path}: ${issue.message}`).join("; ")}.`);
  return parsed.data;
}

function profileNamed(file: ProfileFile | undefined, name: string): Profile | undefined {
  const profiles = file?.profiles;
  return profiles && Object.hasOwn(profiles, name) ? profiles[name] : undefined;
}

function realPath(file: string): string | undefined {
  try {
    return realpathSync(file);
  } catch {
    return undefined;
  }
}
