import { describe, expect, it } from "vitest";
import { verifyOverride } from "../../routes/override-token.ts";
import { dynamoWorker, VIEWER } from "../support/admin-harness.ts";
import { get, table } from "../support/worker-harness.ts";

type Json = Record<string, unknown>;
const json = async (response: Response) => (await response.json()) as Json;
const SECRET = "an-override-secret-with-32-bytes-or-more";

const routes = table({ routes: [{ id: "dark", match: { path: "/dark" }, to: { legacy: 100, new: 0 } }, { id: "other", match: { path: "/other" }, to: { legacy: 100, new: 0 } }] });

async function seeded(vars: Partial<Env> = {}) {
  const w = await dynamoWorker({ CUTOVER_OVERRIDE_SECRET: SECRET, ...vars });
  expect((await w.api("PUT", "/routes", { body: { table: routes, reason: "seed" }, headers: { "if-match": "0" } })).status).toBe(200);
  return w;
}

describe("admin tokens stored in DynamoDB", () => {
  it("creates a token an operator can hand out, lists it without its secret, and revokes it — all audited", async () => {
    const w = await seeded();
    const created = await w.api("POST", "/tokens", { body: { name: "ci", role: "viewer", expiresInDays: 30, reason: "CI reads the routes" } });
    expect(created.status).toBe(201);
    const { token, id } = (await json(created)) as { token: string; id: string };
    expect(token).toMatch(/^cut_/);
    expect((await w.api("GET", "/routes", { token })).status).toBe(200);
    expect((await w.api("POST", "/rollback", { token, body: { reason: "x" } })).status).toBe(403);

    const listing = JSON.stringify(await json(await w.api("GET", "/tokens")));
    expect(listing).toContain('"name":"ci"');
    expect(listing).not.toContain(token);

    expect((await w.api("DELETE", `/tokens/${id}`, { body: { reason: "CI moved" } })).status).toBe(200);
    const refused = await w.api("GET", "/routes", { token });
    expect(refused.status).toBe(401);
    expect((await json(refused)).message).toContain("cutover token create");

    const audit = ((await json(await w.api("GET", "/audit"))).entries as Json[]).map((entry) => [entry.action, entry.reason]);
    expect(audit).toEqual(expect.arrayContaining([["token-create", "CI reads the routes"], ["token-revoke", "CI moved"]]));
  });

  it("lets only operators see or make tokens", async () => {
    const w = await seeded();
    expect((await w.api("GET", "/tokens", { token: VIEWER })).status).toBe(403);
    expect((await w.api("POST", "/tokens", { token: VIEWER, body: { name: "x", role: "operator", expiresInDays: 1, reason: "r" } })).status).toBe(403);
  });

  it("stops honouring a token once it expires", async () => {
    const w = await seeded();
    const { token } = (await json(await w.api("POST", "/tokens", { body: { name: "brief", role: "viewer", expiresInDays: 0.00001, reason: "r" } }))) as { token: string };
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect((await w.api("GET", "/routes", { token })).status).toBe(401);
  });
});

describe("tester overrides minted through the API", () => {
  it("mints a signed, audited override, optionally bound to one route, capped at the server's maximum lifetime", async () => {
    const w = await seeded({ CUTOVER_OVERRIDE_MAX_SECONDS: "3600" });
    const minted = await w.api("POST", "/overrides", { body: { backend: "new", route: "dark", ttlSeconds: 86_400, reason: "QA on the dark launch" } });
    expect(minted.status).toBe(201);
    const body = (await json(minted)) as { token: string; expiresAt: string; note: string };
    expect(Date.parse(body.expiresAt) - Date.now()).toBeLessThanOrEqual(3600_000);
    expect(body.note).toContain("3600");
    expect(await verifyOverride(body.token, SECRET, Date.now() / 1000)).toEqual({ backend: "new", route: "dark" });

    const served = async (path: string) => (await w.call(get(path, { "x-cutover-override": body.token }))).headers.get("x-served-by");
    expect(await served("/dark")).toBe("new");
    expect(await served("/other")).toBe("legacy");
    const audit = ((await json(await w.api("GET", "/audit"))).entries as Json[])[0];
    expect(audit).toMatchObject({ action: "override", reason: "QA on the dark launch", details: { backend: "new", route: "dark" } });
  });

  it("refuses an unknown backend or route, a viewer, and a Worker without a long enough secret", async () => {
    const w = await seeded();
    expect((await w.api("POST", "/overrides", { body: { backend: "nope", ttlSeconds: 60, reason: "r" } })).status).toBe(404);
    const misspelt = await w.api("POST", "/overrides", { body: { backend: "new", route: "drak", ttlSeconds: 60, reason: "r" } });
    expect((await json(misspelt)).message).toContain("did you mean 'dark'");
    expect((await w.api("POST", "/overrides", { token: VIEWER, body: { backend: "new", ttlSeconds: 60, reason: "r" } })).status).toBe(403);
    const short = await seeded({ CUTOVER_OVERRIDE_SECRET: "short" });
    const off = await short.api("POST", "/overrides", { body: { backend: "new", ttlSeconds: 60, reason: "r" } });
    expect(off.status).toBe(409);
    expect((await json(off)).message).toContain("32");
  });
});
