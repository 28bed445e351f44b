import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The public host clients ask for: the Rails app lists it in config.hosts beside 127.0.0.1. */
export const PUBLIC_HOST = "shop.example.com";

const APP_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "app");

export interface RailsServer {
  readonly port: number;
  /** Where Puma's and Rails' output goes (warnings and errors only). */
  readonly logFile: string;
  stop(): Promise<void>;
}

/**
 * test/rails/app/config.ru on Puma (Debian's ruby-rails and puma packages, no Bundler), on a
 * port of the kernel's choosing; resolves once the app answers. Puma also exits when this
 * process goes away (its stdin closes), so a crashed run leaves no server behind.
 */
export async function startRails(options: { secretKeyBase: string; logFile: string }): Promise<RailsServer> {
  const log = createWriteStream(options.logFile, { flags: "a" });
  const child = spawn("puma", ["-e", "production", "-t", "8:16", "-b", "tcp://127.0.0.1:0", "config.ru"], {
    cwd: APP_DIR,
    env: { ...process.env, SECRET_KEY_BASE: options.secretKeyBase, RAILS_PUBLIC_HOSTS: PUBLIC_HOST, EXIT_WITH_STDIN: "1" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      process.kill(child.pid, "SIGTERM");
      const forced = setTimeout(() => child.pid !== undefined && child.exitCode === null && process.kill(child.pid, "SIGKILL"), 10_000);
      await exited;
      clearTimeout(forced);
    }
    log.end();
  };
  try {
    const port = await listeningPort(child, log, options.logFile);
    await waitUntilAnswers(port, child, options.logFile);
    return { port, logFile: options.logFile, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Puma prints `* Listening on http://127.0.0.1:PORT` once bound. */
function listeningPort(child: ChildProcess, log: NodeJS.WritableStream, logFile: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let output = "";
    const take = (chunk: Buffer) => {
      log.write(chunk);
      output += chunk.toString();
      const match = /Listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (match) resolve(Number(match[1]));
    };
    child.stdout?.on("data", take);
    child.stderr?.on("data", take);
    child.once("error", (error) =>
      reject(new Error(`cannot start puma (apt-get install ruby-rails puma; see docs/rails-suite.md): ${error.message}`, { cause: error })),
    );
    child.once("exit", (code) => reject(new Error(`puma exited (${code}) before listening; its output (also in ${logFile}):\n${output}`)));
    setTimeout(() => reject(new Error(`puma did not listen within 60 s; its output is in ${logFile}`)), 60_000).unref();
  });
}

async function waitUntilAnswers(port: number, child: ChildProcess, logFile: string): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt++) {
    if (child.exitCode !== null) throw new Error(`puma exited (${child.exitCode}); see ${logFile}`);
    const status = await fetch(`http://127.0.0.1:${port}/up`).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the Rails app on port ${port} did not answer GET /up with 200 within 60 s; see ${logFile}`);
}
