import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { Command } from "commander";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { openObject } from "../../admin/contract/index.ts";
import { clientFor } from "../../cli/context.ts";
import { adminToken, loadProfile, processProfileSources, splitCommand, type ProfileSources } from "../../cli/profiles.ts";
import { UsageError } from "../../cli/usage-error.ts";

/**
 * Real files in a temp folder: the user's config folder (`config/`), a repository (`repo/`)
 * and whatever an attacker would add next to them. Commands really run; a marker file says
 * whether they did.
 */
let root: string;
let configHome: string;
let repo: string;
beforeEach(() => {
  root = realpathSync(mkdtempSync(path.join(os.tmpdir(), "cutover-profiles-")));
  configHome = path.join(root, "config");
  repo = path.join(root, "repo");
  mkdirSync(path.join(configHome, "cutover"), { recursive: true });
  mkdirSync(repo);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const userFile = () => path.join(configHome, "cutover", "profiles.json");
function writeJson(file: string, content: unknown): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(content));
}
function sources(env: ProfileSources["env"] = {}, cwd = repo): ProfileSources {
  return { cwd, configHome, env };
}
/** A tokenCommand that creates `marker` (relative to where it runs, if relative) and prints `token`. */
function markerCommand(marker: string, token = "token-from-command"): string {
  return `"${process.execPath}" -e "require('node:fs').writeFileSync('${marker}', ''); process.stdout.write('${token}')"`;
}
/** The CLI's global options, parsed, as a command's action sees them. */
function commandLine(...args: string[]): Command {
  return new Command().option("--url <url>").option("--token <token>").option("--profile <name>").option("--json").parse(args, { from: "user" });
}
/** An environment that records which variables were read. */
function recordingEnv(values: Record<string, string>): { env: Record<string, string | undefined>; read: Set<string> } {
  const read = new Set<string>();
  const env = new Proxy(values, {
    get(target, key) {
      if (typeof key === "string") read.add(key);
      return Reflect.get(target, key);
    },
  });
  return { env, read };
}

const EVIL = "https://attacker.example";
const trustError = (folder: string) => expect.objectContaining({ name: "UsageError", message: expect.stringContaining(`"trusted": [${JSON.stringify(folder)}]`) });

describe("a repository's profile file, not trusted", () => {
  it("does not run its tokenCommand, and says which file and how to trust its folder", () => {
    const marker = path.join(root, "pwned");
    writeJson(path.join(repo, "cutover.profiles.json"), { profiles: { production: { url: EVIL, tokenCommand: markerCommand(marker) } } });
    const call = () => clientFor(commandLine("--profile", "production"), sources());
    expect(call).toThrow(UsageError);
    expect(call).toThrow(trustError(repo));
    expect(call).toThrow(`Profile 'production' comes from ${path.join(repo, "cutover.profiles.json")}, which is not trusted, so cutover will not run its tokenCommand.`);
    expect(call).toThrow(`add it to "trusted" in ${userFile()}`);
    expect(existsSync(marker)).toBe(false);
  });

  it("does not read its tokenEnv", () => {
    writeJson(path.join(repo, "cutover.profiles.json"), { profiles: { production: { url: EVIL, tokenEnv: "PRODUCTION_TOKEN" } } });
    const { env, read } = recordingEnv({ PRODUCTION_TOKEN: "the-production-token" });
    expect(() => clientFor(commandLine("--profile", "production"), sources(env))).toThrow(/not trusted, so cutover will not read its tokenEnv \(PRODUCTION_TOKEN\)/);
    expect(read).not.toContain("PRODUCTION_TOKEN");
  });

  it("does not get CUTOVER_TOKEN for its URL, and without one to give it works without a token", () => {
    writeJson(path.join(repo, "cutover.profiles.json"), { profiles: { production: { url: EVIL } } });
    expect(() => clientFor(commandLine("--profile", "production"), sources({ CUTOVER_TOKEN: "the-production-token" }))).toThrow(/will not send CUTOVER_TOKEN to its URL/);
    expect(clientFor(commandLine("--profile", "production"), sources()).url).toBe(EVIL);
    // CUTOVER_PROFILE names it just as --profile does.
    expect(() => clientFor(commandLine(), sources({ CUTOVER_PROFILE: "production", CUTOVER_TOKEN: "the-production-token" }))).toThrow(trustError(repo));
  });

  it("sends its URL the --token given on the command line, and nothing else", async () => {
    const marker = path.join(root, "pwned");
    const seen: IncomingHttpHeaders[] = [];
    const server = createServer((request, response) => {
      seen.push(request.headers);
      response.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      writeJson(path.join(repo, "cutover.profiles.json"), { profiles: { review: { url, tokenCommand: markerCommand(marker), tokenEnv: "PRODUCTION_TOKEN" } } });
      const { env, read } = recordingEnv({ CUTOVER_TOKEN: "the-env-token", PRODUCTION_TOKEN: "the-production-token" });
      const { client, url: chosen } = clientFor(commandLine("--profile", "review", "--token", "my-own-choice"), sources(env));
      expect(chosen).toBe(url);
      await client.get("/versions", openObject({}));
      expect(seen.map((headers) => headers.authorization)).toEqual(["Bearer my-own-choice"]);
      expect(read).not.toContain("PRODUCTION_TOKEN");
      expect(existsSync(marker)).toBe(false);
    } finally {
      server.close();
    }
  });

  it("counts only when its real file is cutover.profiles.json in a real trusted folder", () => {
    // A folder whose name starts like the trusted one, and one inside it, are other folders.
    writeJson(userFile(), { trusted: [repo], profiles: {} });
    for (const folder of [`${repo}-fork`, path.join(repo, "vendor")]) {
      writeJson(path.join(folder, "cutover.profiles.json"), { profiles: { production: { url: EVIL, tokenEnv: "PRODUCTION_TOKEN" } } });
      expect(loadProfile("production", sources({}, folder)).trust).toBe("untrusted");
    }
    // The trusted repository's file, made a symlink to a file anyone could write, is that file.
    writeJson(path.join(root, "elsewhere", "profiles.json"), { profiles: { production: { url: EVIL, tokenEnv: "PRODUCTION_TOKEN" } } });
    symlinkSync(path.join(root, "elsewhere", "profiles.json"), path.join(repo, "cutover.profiles.json"));
    const profile = loadProfile("production", sources());
    expect(profile.trust).toBe("untrusted");
    expect(() => adminToken(undefined, profile, { PRODUCTION_TOKEN: "the-production-token" })).toThrow(trustError(path.join(root, "elsewhere")));
  });

  it("is not trusted by a trusted list in the repository's own file", () => {
    writeJson(path.join(repo, "cutover.profiles.json"), { trusted: [repo], profiles: { production: { url: EVIL, tokenEnv: "PRODUCTION_TOKEN" } } });
    expect(loadProfile("production", sources()).trust).toBe("untrusted");
  });
});

describe("the user's own file", () => {
  it("wins over the repository's for a name both define, whole profile and all", () => {
    const marker = path.join(root, "pwned");
    writeJson(userFile(), { profiles: { production: { url: "https://www.example.com", tokenEnv: "PRODUCTION_TOKEN" } } });
    writeJson(path.join(repo, "cutover.profiles.json"), {
      profiles: { production: { url: EVIL, tokenCommand: markerCommand(marker) }, preview: { url: "https://preview.example.com" } },
    });
    const production = loadProfile("production", sources());
    expect(production).toMatchObject({ url: "https://www.example.com", trust: "user", file: userFile() });
    expect(production.tokenCommand).toBeUndefined();
    expect(adminToken(undefined, production, { PRODUCTION_TOKEN: "the-production-token" })).toBe("the-production-token");
    expect(existsSync(marker)).toBe(false);
    // The other names are merged in, untrusted.
    expect(loadProfile("preview", sources())).toMatchObject({ url: "https://preview.example.com", trust: "untrusted" });
  });

  it("is used without reading a broken repository file when it has the name", () => {
    writeJson(userFile(), { profiles: { production: { url: "https://www.example.com" } } });
    writeFileSync(path.join(repo, "cutover.profiles.json"), "{ not json");
    expect(loadProfile("production", sources()).url).toBe("https://www.example.com");
    expect(() => loadProfile("other", sources())).toThrow(/cutover.profiles.json is not valid JSON/);
  });

  it("names both files and every profile when the name is in neither", () => {
    expect(() => loadProfile("production", sources())).toThrow(`No profile 'production': there is no ${path.join(repo, "cutover.profiles.json")} or ${userFile()}.`);
    writeJson(userFile(), { profiles: { staging: { url: "https://staging.example.com" } } });
    writeJson(path.join(repo, "cutover.profiles.json"), { profiles: { preview: { url: "https://preview.example.com" } } });
    expect(() => loadProfile("production", sources())).toThrow("(profiles: staging, preview)");
    expect(() => loadProfile("constructor", sources())).toThrow("No profile 'constructor'");
  });

  it("takes only absolute trusted folders", () => {
    writeJson(userFile(), { trusted: ["src/shop"], profiles: {} });
    expect(() => loadProfile("production", sources())).toThrow(/profiles\.json is not a profile file: .*trusted.*must be an absolute path/);
  });

  it("gives its own profiles their tokenEnv, their tokenCommand or CUTOVER_TOKEN", () => {
    const marker = path.join(root, "ran");
    writeJson(userFile(), {
      profiles: { env: { url: "https://a.example", tokenEnv: "A_TOKEN" }, command: { url: "https://b.example", tokenCommand: markerCommand(marker) }, plain: { url: "https://c.example" } },
    });
    expect(adminToken(undefined, loadProfile("env", sources()), { A_TOKEN: "a" })).toBe("a");
    expect(() => adminToken(undefined, loadProfile("env", sources()), {})).toThrow("Profile 'env' reads its token from A_TOKEN, which is not set.");
    expect(adminToken(undefined, loadProfile("command", sources()), {})).toBe("token-from-command");
    expect(existsSync(marker)).toBe(true);
    expect(adminToken(undefined, loadProfile("plain", sources()), { CUTOVER_TOKEN: "c" })).toBe("c");
    expect(adminToken(undefined, undefined, { CUTOVER_TOKEN: "c" })).toBe("c");
  });
});

describe("a trusted repository folder", () => {
  it("gets its profile's tokenCommand run", () => {
    const marker = path.join(root, "ran");
    writeJson(userFile(), { trusted: [repo], profiles: {} });
    writeJson(path.join(repo, "cutover.profiles.json"), { profiles: { production: { url: "https://www.example.com", tokenCommand: markerCommand(marker) } } });
    const profile = loadProfile("production", sources());
    expect(profile.trust).toBe("trusted");
    expect(adminToken(undefined, profile, {})).toBe("token-from-command");
    expect(existsSync(marker)).toBe(true);
  });

  it("is the same folder reached through a symlink or `..`, and its command runs in the real folder", () => {
    // Trust follows the file actually read: through a symlinked folder (or a symlinked file
    // from an untrusted one) it is the trusted folder's own file. Its command runs there, so a
    // relative path in it cannot reach into the folder the user happened to be in.
    // The user may write the trusted folder through `..` and a symlink of their own, too.
    writeJson(userFile(), { trusted: [path.join(configHome, "..", "linked")], profiles: {} });
    writeJson(path.join(repo, "cutover.profiles.json"), { profiles: { production: { url: "https://www.example.com", tokenCommand: markerCommand("ran-here") } } });
    symlinkSync(repo, path.join(root, "linked"));
    mkdirSync(path.join(root, "other"));
    symlinkSync(path.join(repo, "cutover.profiles.json"), path.join(root, "other", "cutover.profiles.json"));
    for (const cwd of [repo, path.join(root, "linked"), path.join(root, "other")]) {
      const profile = loadProfile("production", sources({}, cwd));
      expect(profile).toMatchObject({ trust: "trusted", folder: repo });
      expect(adminToken(undefined, profile, {})).toBe("token-from-command");
    }
    expect(existsSync(path.join(repo, "ran-here"))).toBe(true);
    expect(existsSync(path.join(root, "other", "ran-here"))).toBe(false);
  });
});

describe("tokenCommand", () => {
  it("runs without a shell: ;, |, $(…) and ` are plain characters", () => {
    const marker = path.join(root, "x");
    writeJson(userFile(), { profiles: { production: { url: "https://www.example.com", tokenCommand: `echo token; touch ${marker} | touch ${marker} $(touch ${marker}) \`touch ${marker}\`` } } });
    expect(adminToken(undefined, loadProfile("production", sources()), {})).toBe(`token; touch ${marker} | touch ${marker} $(touch ${marker}) \`touch ${marker}\``);
    expect(existsSync(marker)).toBe(false);
  });

  it("says which profile's command failed or printed nothing", () => {
    writeJson(userFile(), { profiles: { missing: { url: "https://a.example", tokenCommand: "cutover-no-such-program x" }, silent: { url: "https://a.example", tokenCommand: "true" }, open: { url: "https://a.example", tokenCommand: "op 'read" } } });
    expect(() => adminToken(undefined, loadProfile("missing", sources()), {})).toThrow(`Profile 'missing' in ${userFile()}: its tokenCommand failed: spawnSync cutover-no-such-program ENOENT`);
    expect(() => adminToken(undefined, loadProfile("silent", sources()), {})).toThrow("its tokenCommand printed no token.");
    expect(() => adminToken(undefined, loadProfile("open", sources()), {})).toThrow("its tokenCommand has a quote that is not closed: op 'read");
  });

  it.each([
    ["op read op://ops/cutover/token", ["op", "read", "op://ops/cutover/token"]],
    ["  a\t b  ", ["a", "b"]],
    [`sh -c "op read x | tr -d '\\n'"`, ["sh", "-c", "op read x | tr -d '\\n'"]],
    [`say 'a "b"' c""d ''`, ["say", 'a "b"', "cd", ""]],
    ["", []],
    ["say 'open", undefined],
  ])("splits %j into argv", (command, argv) => {
    expect(splitCommand(command)).toEqual(argv);
  });
});

describe("processProfileSources", () => {
  afterEach(() => vi.unstubAllEnvs());

  it("takes XDG_CONFIG_HOME only when it is absolute, as the XDG spec says", () => {
    vi.stubEnv("XDG_CONFIG_HOME", "/somewhere/config");
    expect(processProfileSources().configHome).toBe("/somewhere/config");
    // Relative, it would make a folder inside the repository "the user's own file".
    vi.stubEnv("XDG_CONFIG_HOME", ".config");
    expect(processProfileSources().configHome).toBe(path.join(os.homedir(), ".config"));
  });
});
