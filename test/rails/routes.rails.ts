import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../cli/wrangler-dev.ts";
import { readLegacySurface } from "../../migration/read-legacy-surface.ts";

const run = promisify(execFile);

/**
 * The legacy surface from the real Rails app of this suite: its route list as Rails prints it
 * (Rails' own inspector, as `bin/rails routes` runs it), read by the importer — the same
 * endpoints as the committed fixture the rest of the tests import.
 */
describe("the Rails app's own route list", () => {
  it.each([
    ["rails", "rails-suite.txt", []],
    ["rails-expanded", "rails-suite-expanded.txt", ["--expanded"]],
  ] as const)("reads what Rails prints (%s) as the fixture's endpoints", async (format, fixture, flags) => {
    const printed = (await run("ruby", [path.join(PROJECT_ROOT, "fixtures/legacy-surface/print-routes.rb"), "suite", ...flags], { cwd: PROJECT_ROOT })).stdout;
    const live = readLegacySurface(printed);
    expect(live.format).toBe(format);
    expect(live.problems).toEqual([]);
    expect(live.endpoints.length).toBeGreaterThan(20);
    // A Proc endpoint prints with its object's address, which differs from run to run.
    const withoutAddresses = (endpoints: typeof live.endpoints) => endpoints.map((endpoint) => ({ ...endpoint, action: endpoint.action.replace(/0x[0-9a-f]+/, "0x…") }));
    const committed = readLegacySurface(readFileSync(path.join(PROJECT_ROOT, "fixtures/legacy-surface", fixture), "utf8"));
    expect(withoutAddresses(live.endpoints)).toEqual(withoutAddresses(committed.endpoints));
    expect(live.endpoints).toContainEqual(expect.objectContaining({ method: "GET", pattern: "/client", action: "client#show" }));
  });
});
