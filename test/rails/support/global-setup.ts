import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { bundleCutover } from "../../../fixtures/plain-workerd.ts";
import { startRails } from "./rails-server.ts";

import "./provided-context.ts";

/** The Rails app on Puma, and cutover bundled once for every test file's edge. */
export default async function setup(project: TestProject) {
  const root = mkdtempSync(path.join(os.tmpdir(), "cutover-rails-"));
  const secretKeyBase = randomBytes(64).toString("hex");
  const rails = await startRails({ secretKeyBase, logFile: path.join(root, "rails.log") });
  try {
    bundleCutover(path.join(root, "cutover"));
  } catch (error) {
    await rails.stop();
    throw error;
  }
  project.provide("railsPort", rails.port);
  project.provide("railsSecretKeyBase", secretKeyBase);
  project.provide("cutoverBundleRoot", root);
  return async () => {
    await rails.stop();
    // The logs (rails.log, edge-PORT.log) stay for a look after a failure; the bundle goes.
    rmSync(path.join(root, "cutover"), { recursive: true, force: true });
    for (const file of readdirSync(root)) if (file.endsWith(".capnp")) rmSync(path.join(root, file));
  };
}
