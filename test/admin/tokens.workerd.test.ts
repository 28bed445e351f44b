import { describe, expect, it } from "vitest";
import { toBase64Url } from "../../lib/base64.ts";
import { signOverride, verifyOverride } from "../../routes/override-token.ts";
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
    expect(await verifyOverride(body.token, SECRET, Date.now() / 1000, { maxSeconds: 3600, acceptV1: false, revoked: new Set() })).toEqual({ backend: "new", route: "dark" });

    const served = async (path: string) => (await w.call(get(path, { "x-cutover-override": body.token }))).headers.get("x-served-by");
    expect(await served("/dark")).toBe("new");
    expect(await served("/other")).toBe("legacy");
    const audit = ((await json(await w.api("GET", "/audit"))).entries as Json[])[0];
    expect(audit).toMatchObject({ action: "override", reason: "QA on the dark launch", details: { backend: "new", route: "dark" } });
  });

  it("revokes an override by its id: every isolate refuses it once it has read the deny-list, and the audit says who", async () => {
    // This test's isolate reads the store every 50 ms (its config cache), as every isolate does every TTL.
    const w = await seeded({ CUTOVER_CONFIG_TTL_MS: "50" });
    const minted = (await json(await w.api("POST", "/overrides", { body: { backend: "new", ttlSeconds: 3600, reason: "QA" } }))) as { token: string; id: string };
    expect(minted.id).toMatch(/^[0-9a-f]{16}$/);
    const served = async () => (await w.call(get("/dark", { "x-cutover-override": minted.token }))).headers.get("x-served-by");
    expect(await served(), "before revoking").toBe("new");
    const other = (await json(await w.api("POST", "/overrides", { body: { backend: "new", ttlSeconds: 1800, reason: "QA too" } }))) as { token: string };

    expect((await w.api("DELETE", `/overrides/${minted.id}`, { token: VIEWER, body: { reason: "x" } })).status).toBe(403);
    const revoked = await w.api("DELETE", `/overrides/${minted.id}`, { body: { reason: "the laptop was lost" } });
    expect(revoked.status).toBe(200);
    await expect.poll(served, { timeout: 5000, interval: 100 }).toBe("legacy");
    // Another token stays good, and the revocation outlives a later change of the table.
    expect((await w.call(get("/dark", { "x-cutover-override": other.token }))).headers.get("x-served-by"), "another token").toBe("new");
    expect((await w.api("POST", "/routes/dark/weights", { body: { weights: { legacy: 99, new: 1 }, reason: "1 %" } })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await served()).toBe("legacy");
    const audit = ((await json(await w.api("GET", "/audit"))).entries as Json[]).find((entry) => entry.action === "override-revoke");
    expect(audit).toMatchObject({ actor: "olivia", reason: "the laptop was lost", details: { id: minted.id } });
    expect((await w.api("DELETE", "/overrides/not-an-id", { body: { reason: "x" } })).status).toBe(400);
  });

  it("honours a token only for the server's longest lifetime from now, and the first (v1) form only when told to", async () => {
    const w = await seeded({ CUTOVER_OVERRIDE_MAX_SECONDS: "3600" });
    const now = Math.floor(Date.now() / 1000);
    // Signed offline with the secret, for a week.
    const long = await signOverride(SECRET, { backend: "new", expiresAt: now + 7 * 86_400 });
    expect((await w.call(get("/dark", { "x-cutover-override": long }))).headers.get("x-served-by")).toBe("legacy");
    const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(SECRET), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const payload = `v1.new.${now + 600}`;
    const v1 = `${payload}.${toBase64Url(new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(payload))))}`;
    expect((await w.call(get("/dark", { "x-cutover-override": v1 }))).headers.get("x-served-by")).toBe("legacy");
    const legacyTokens = await seeded({ CUTOVER_OVERRIDE_ACCEPT_V1: "on" });
    expect((await legacyTokens.call(get("/dark", { "x-cutover-override": v1 }))).headers.get("x-served-by")).toBe("new");
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
