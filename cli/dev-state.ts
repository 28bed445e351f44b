import { randomBytes } from "node:crypto";
import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { chmod, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { UsageError } from "./usage-error.ts";

/**
 * What the local stack keeps beside its DynamoDB data between runs, so that a restart changes
 * nothing an operator holds: the admin token (`export CUTOVER_TOKEN=…`), the override secret
 * (override tokens minted before), the session, webhook and identity secrets. In
 * `<data dir>-secrets.json`, readable by this user only; `--fresh` makes new ones.
 */
export interface DevSecrets {
  readonly adminToken: string;
  readonly overrideSecret: string;
  readonly webhookSecret: string;
  readonly sessionSecret: string;
  readonly identitySecret: string;
}

function freshSecrets(): DevSecrets {
  const hex = () => randomBytes(32).toString("hex");
  return { adminToken: `dev_${randomBytes(18).toString("base64url")}`, overrideSecret: hex(), webhookSecret: hex(), sessionSecret: hex(), identitySecret: hex() };
}

export const secretsFileOf = (dataDir: string) => `${dataDir}-secrets.json`;

/** The secrets of earlier runs on `dataDir`, or new ones (stored); with no data dir (in memory), new ones every run. */
export async function devSecrets(dataDir: string | undefined, fresh: boolean): Promise<DevSecrets> {
  if (dataDir === undefined) return freshSecrets();
  const file = secretsFileOf(dataDir);
  if (!fresh) {
    const kept = await readFile(file, "utf8").then(
      (text) => JSON.parse(text) as Partial<DevSecrets>,
      () => undefined,
    );
    if (kept !== undefined && Object.keys(freshSecrets()).every((key) => typeof kept[key as keyof DevSecrets] === "string")) return kept as DevSecrets;
  }
  const secrets = freshSecrets();
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return secrets;
}

/** Forgets the secrets of earlier runs (with --fresh, before new ones are made). */
export async function forgetSecrets(dataDir: string): Promise<void> {
  await rm(secretsFileOf(dataDir), { force: true });
}

/**
 * Takes `<data dir>.lock` for this stack: a second stack on the same data directory (another
 * `npm start`, or the walk-through's `cutover dev --port 8790`) gets a one-line error naming
 * the holder and the ways around it, instead of the embedded DynamoDB failing half-way. A lock
 * whose process is gone is taken over. Returns the release.
 */
export function lockDataDir(dataDir: string): () => void {
  const file = `${dataDir}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, "wx", 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = Number(readFileSync(file, "utf8").trim());
      if (Number.isInteger(holder) && holder > 0 && alive(holder)) {
        throw new UsageError(
          `${dataDir} is in use by another local stack (process ${holder}${holder === process.pid ? ", this one" : ""}): stop it, or start this one with --data-dir DIR or --memory.`,
        );
      }
      rmSync(file, { force: true });
    }
  }
  throw new UsageError(`Could not take ${file}: remove it if no local stack is running.`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
