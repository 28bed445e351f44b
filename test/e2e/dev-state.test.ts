import { mkdtempSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startDevStack, type DevStack, type DevStackOptions } from "../../cli/dev-stack.ts";
import { refusedPort } from "../support/upstream.ts";

/**
 * The local stack across restarts: what an operator holds (the admin token they exported,
 * override tokens they minted) keeps working after `npm start` again; `--fresh` renews it; a
 * second stack on the same data directory is a one-line error, not a broken first one.
 */
describe("the local stack's state between runs", () => {
  const dataDir = path.join(mkdtempSync(path.join(os.tmpdir(), "cutover-dev-state-")), "dynamodb");
  const running: DevStack[] = [];
  const start = async (extra: Partial<DevStackOptions> = {}) => {
    const stack = await startDevStack({ port: await refusedPort(), runtime: "workerd", demo: true, legacyPort: 0, accountsPort: 0, memory: false, dataDir, fresh: false, awsCredentials: "dev", log: () => {}, ...extra });
    running.push(stack);
    return stack;
  };
  const routes = (stack: DevStack, token = stack.adminToken) => fetch(`${stack.workerUrl}/_cutover/api/routes`, { headers: { authorization: `Bearer ${token}` } });
  afterAll(async () => {
    for (const stack of running) await stack.stop().catch(() => {});
  });

  it("keeps the admin token and secrets across a restart, refuses a second stack on the same data, and renews them with --fresh", async () => {
    const first = await start();
    expect((await routes(first)).status).toBe(200);
    expect(statSync(`${dataDir}-secrets.json`).mode & 0o777).toBe(0o600);

    // A second stack on the same data directory: one line saying who holds it and what to do.
    await expect(start()).rejects.toThrow(new RegExp(`^${dataDir.replaceAll("/", "\\/")} is in use by another local stack \\(process \\d+, this one\\): stop it, or start this one with --data-dir DIR or --memory\\.$`));
    expect((await routes(first)).status).toBe(200);
    await first.stop();

    const again = await start();
    expect({ token: again.adminToken, override: again.overrideSecret, webhook: again.webhookSecret, source: again.tableSource }).toEqual({ token: first.adminToken, override: first.overrideSecret, webhook: first.webhookSecret, source: "stored" });
    expect((await routes(again, first.adminToken)).status).toBe(200);
    await again.stop();

    const fresh = await start({ fresh: true });
    expect(fresh.adminToken).not.toBe(first.adminToken);
    expect(fresh.tableSource).toBe("applied");
    expect((await routes(fresh, first.adminToken)).status).toBe(401);
    expect((await routes(fresh)).status).toBe(200);
    await fresh.stop();
  });
});
