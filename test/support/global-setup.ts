import type { TestProject } from "vitest/node";
import { refusedPort, startUpstream } from "./upstream.ts";

import "./provided-context.ts";

/** Real backends on 127.0.0.1 for the Worker tests: legacy, new, and a spare (fallback). */
export default async function setup(project: TestProject) {
  const legacy = await startUpstream("legacy");
  const fresh = await startUpstream("new");
  const spare = await startUpstream("spare");
  project.provide("legacyPort", legacy.port);
  project.provide("newPort", fresh.port);
  project.provide("sparePort", spare.port);
  project.provide("refusedPort", await refusedPort());
  return async () => {
    await Promise.all([legacy.close(), fresh.close(), spare.close()]);
  };
}
