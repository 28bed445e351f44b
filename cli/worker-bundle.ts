import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { PROJECT_ROOT, WRANGLER_ENV, wranglerBin } from "./wrangler-dev.ts";

export interface BundleSizes {
  /** wrangler's own figures ("Total Upload: 117.82 KiB / gzip: 41.81 KiB"); null if it printed none. */
  readonly wranglerKiB: number | null;
  readonly wranglerGzipKiB: number | null;
}

export interface BundleOptions {
  /** As wrangler.toml says (minified) unless false: names stay readable in profiles. */
  readonly minify?: boolean;
}

/**
 * Bundles the Worker into `outDir/index.js` exactly as `wrangler deploy` would upload it
 * (`wrangler deploy --dry-run --outdir`), with wrangler's size figures.
 */
export async function bundleWorker(outDir: string, options: BundleOptions = {}): Promise<BundleSizes> {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, bundleArgs(outDir, options), { cwd: PROJECT_ROOT, env: { ...process.env, ...WRANGLER_ENV }, encoding: "utf8", maxBuffer: 16 * 1024 * 1024 });
    return sizes(stdout);
  } catch (error) {
    // wrangler's own report (esbuild's file:line and the offending code) says what to fix.
    const stderr = typeof error === "object" && error !== null && "stderr" in error ? String(error.stderr).trim() : "";
    throw new Error(`Could not bundle the Worker (wrangler deploy --dry-run --outdir ${outDir}):\n${stderr}`, { cause: error });
  }
}

/** `bundleWorker`, blocking: for benchmarks and test set-up that bundle once before anything runs. */
export function bundleWorkerSync(outDir: string, options: BundleOptions = {}): BundleSizes {
  return sizes(execFileSync(process.execPath, bundleArgs(outDir, options), { cwd: PROJECT_ROOT, env: { ...process.env, ...WRANGLER_ENV }, encoding: "utf8" }));
}

function bundleArgs(outDir: string, options: BundleOptions): string[] {
  // --env "": wrangler.toml's top level, said out loud (it warns about its environments otherwise).
  return [wranglerBin(), "deploy", "--dry-run", "--env", "", "--outdir", outDir, ...(options.minify === false ? ["--no-minify"] : [])];
}

function sizes(output: string): BundleSizes {
  const upload = /Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(output);
  return { wranglerKiB: upload ? Number(upload[1]) : null, wranglerGzipKiB: upload ? Number(upload[2]) : null };
}
