import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import cookies from "../../fixtures/rails-session/cookies.json" with { type: "json" };
import { fromBase64Url } from "../../lib/base64.ts";
import worker from "../../worker/index.ts";
import { dynamoWorker } from "../support/admin-harness.ts";
import { get, origin, ports, received, send, table, testId } from "../support/worker-harness.ts";

/**
 * X-Cutover-Identity as the backends receive it: the real Worker, real upstreams, the session
 * in cookies a real Rails app made. The token's check with docs/identity-verify.mjs runs in
 * Node, over a real socket (test/e2e/identity.test.ts); here its signature is checked with
 * WebCrypto.
 */
const IDENTITY_SECRET = "identity-secret-for-tests-0123456789abcdef";
const VARS = { CUTOVER_RAILS_SECRET_KEY_BASE: cookies.secretKeyBase, CUTOVER_IDENTITY_SECRET: IDENTITY_SECRET };
const SESSION = { type: "rails", cookie: "_app_session" };
const DEVISE_42 = `_app_session=${cookies.variants.json.devise42.cookies[0]}`;

/** `new` and `spare` take the user (spare by user_id); legacy, the default, never does. */
function identityTable(routes: unknown[]) {
  return {
    ...table({
      backends: {
        new: { url: origin(ports.new), identity: { fields: ["warden.user.user.key"], ttlSeconds: 30 } },
        spare: { url: origin(ports.spare), identity: { fields: ["user_id"] } },
      },
      routes,
    }),
    session: SESSION,
  };
}

const ROUTES = [
  { id: "to-new", match: { path: "/to-new/*" }, to: "new" },
  { id: "to-legacy", match: { path: "/to-legacy/*" }, to: "legacy" },
  { id: "falls-back", match: { path: "/status/*" }, to: "new", fallback: { to: "legacy", on: ["5xx"] } },
];

/** The token's claims once its HS256 signature checks out; throws otherwise. */
async function verified(token: unknown): Promise<Record<string, unknown>> {
  expect(typeof token).toBe("string");
  const [header, payload, signature] = String(token).split(".") as [string, string, string];
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(IDENTITY_SECRET), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
  expect(await crypto.subtle.verify("HMAC", key, fromBase64Url(signature) as Uint8Array<ArrayBuffer>, new TextEncoder().encode(`${header}.${payload}`))).toBe(true);
  expect(JSON.parse(new TextDecoder().decode(fromBase64Url(header)))).toEqual({ alg: "HS256", typ: "JWT" });
  return JSON.parse(new TextDecoder().decode(fromBase64Url(payload)));
}

describe("X-Cutover-Identity", () => {
  it("tells a backend with identity who the signed-in user is, in a token for that backend alone", async () => {
    const id = testId();
    const before = Math.floor(Date.now() / 1000);
    const response = await send(identityTable(ROUTES), get("/to-new/1", { "x-test-id": id, cookie: DEVISE_42 }), VARS);
    expect(response.status).toBe(200);
    const [request] = await received(ports.new, id);
    const claims = await verified(request?.headers["x-cutover-identity"]);
    expect(claims).toEqual({ iss: "cutover", aud: "new", iat: expect.any(Number), exp: expect.any(Number), sub: "42", user_id: 42 });
    // Issued by this request (not a token from before it): between the clock readings around it, however long it took.
    const after = Math.ceil(Date.now() / 1000);
    expect(Number(claims.iat) >= before && Number(claims.iat) <= after).toBe(true);
    expect(Number(claims.exp) - Number(claims.iat)).toBe(30);
    // The salt of Devise's key never leaves cutover.
    expect(JSON.stringify(claims)).not.toContain("$2a$");
    // The session cookie itself still goes with the request.
    expect(request?.headers.cookie).toBe(DEVISE_42);
  });

  it("sends none to the default backend, none without a user, none without the secret", async () => {
    const legacy = testId();
    await send(identityTable(ROUTES), get("/to-legacy/1", { "x-test-id": legacy, cookie: DEVISE_42 }), VARS);
    expect((await received(ports.legacy, legacy))[0]?.headers["x-cutover-identity"]).toBeUndefined();
    const anonymous = testId();
    await send(identityTable(ROUTES), get("/to-new/1", { "x-test-id": anonymous, cookie: `_app_session=${cookies.variants.json.anonymous.cookies[0]}` }), VARS);
    expect((await received(ports.new, anonymous))[0]?.headers["x-cutover-identity"]).toBeUndefined();
    const unsigned = testId();
    await send(identityTable(ROUTES), get("/to-new/1", { "x-test-id": unsigned, cookie: DEVISE_42 }), { CUTOVER_RAILS_SECRET_KEY_BASE: cookies.secretKeyBase });
    expect((await received(ports.new, unsigned))[0]?.headers["x-cutover-identity"]).toBeUndefined();
    const shortSecret = testId();
    await send(identityTable(ROUTES), get("/to-new/1", { "x-test-id": shortSecret, cookie: DEVISE_42 }), { ...VARS, CUTOVER_IDENTITY_SECRET: "too-short" });
    expect((await received(ports.new, shortSecret))[0]?.headers["x-cutover-identity"]).toBeUndefined();
  });

  it("leaves the fallback to legacy without one", async () => {
    const id = testId();
    const response = await send(identityTable(ROUTES), get("/status/503", { "x-test-id": id, cookie: DEVISE_42 }), VARS);
    expect(response.headers.get("x-cutover-fallback")).toBe("new;503");
    expect(await verified((await received(ports.new, id))[0]?.headers["x-cutover-identity"])).toMatchObject({ aud: "new" });
    const [fallback] = await received(ports.legacy, id);
    expect(fallback?.url).toBe("/status/503");
    expect(fallback?.headers["x-cutover-identity"]).toBeUndefined();
  });

  it("never passes on a client's own, in either spelling", async () => {
    const forged = { "x-cutover-identity": "forged.by.client", "X_Cutover_Identity": "forged.by.client" };
    for (const [path, port, cookie] of [
      ["/to-legacy/1", ports.legacy, DEVISE_42],
      ["/to-new/1", ports.new, ""],
      ["/to-new/1", ports.new, DEVISE_42],
      ["/elsewhere", ports.legacy, DEVISE_42],
    ] as const) {
      const id = testId();
      await send(identityTable(ROUTES), get(path, { "x-test-id": id, ...forged, ...(cookie ? { cookie } : {}) }), VARS);
      const [request] = await received(port, id);
      expect(request, path).toBeDefined();
      expect(request?.headers.x_cutover_identity, path).toBeUndefined();
      const token = request?.headers["x-cutover-identity"];
      if (port === ports.new && cookie) expect(await verified(token)).toMatchObject({ aud: "new", user_id: 42 });
      else expect(token, `${path} ${cookie}`).toBeUndefined();
    }
  });

  it("logs a missing secret once per isolate, not per request", async () => {
    const warnings = vi.spyOn(console, "warn");
    const workerEnv: Env = { ...env, CUTOVER_ROUTES: JSON.stringify(identityTable(ROUTES)), CUTOVER_RAILS_SECRET_KEY_BASE: cookies.secretKeyBase };
    for (let i = 0; i < 3; i++) {
      const ctx = createExecutionContext();
      await (await worker.fetch(get("/to-new/1", { cookie: DEVISE_42 }) as Request<unknown, IncomingRequestCfProperties>, workerEnv, ctx)).arrayBuffer();
      await waitOnExecutionContext(ctx);
    }
    const lines = warnings.mock.calls.map((call) => String(call[0])).filter((line) => line.includes('"identity_unsent"'));
    warnings.mockRestore();
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ level: "warn", event: "identity_unsent", reason: "no_secret", message: expect.stringContaining("CUTOVER_IDENTITY_SECRET") });
  });

  it("logs a Marshal session once per isolate, and serves the request as an anonymous one", async () => {
    const warnings = vi.spyOn(console, "warn");
    const workerEnv: Env = { ...env, ...VARS, CUTOVER_ROUTES: JSON.stringify(identityTable(ROUTES)) };
    const ids = [testId(), testId()];
    for (const id of ids) {
      const ctx = createExecutionContext();
      const response = await worker.fetch(get("/to-new/1", { "x-test-id": id, cookie: `_app_session=${cookies.variants.marshal.user42.cookies[0]}` }) as Request<unknown, IncomingRequestCfProperties>, workerEnv, ctx);
      expect(response.status).toBe(200);
      await response.arrayBuffer();
      await waitOnExecutionContext(ctx);
      expect((await received(ports.new, id))[0]?.headers["x-cutover-identity"]).toBeUndefined();
    }
    const lines = warnings.mock.calls.map((call) => String(call[0])).filter((line) => line.includes('"session_unread"'));
    warnings.mockRestore();
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ reason: "marshal", message: expect.stringContaining("Marshal") });
  });
});

describe("X-Cutover-Identity on shadow copies", () => {
  async function shadowed(routes: unknown[]) {
    const w = await dynamoWorker({ ...VARS, CUTOVER_SHADOW_FLUSH_MS: "0" });
    const put = await w.api("PUT", "/routes", { body: { table: identityTable(routes), reason: "identity on shadows" }, headers: { "if-match": "0" } });
    expect(put.status).toBe(200);
    return w;
  }

  it("gives the shadow backend its own token, and the legacy control none (its noise call neither)", async () => {
    const w = await shadowed([{ id: "shadowed", match: { path: "/shadow/same/*" }, to: "legacy", shadow: { to: "new", noisePercent: 100 } }]);
    const id = testId();
    const response = await w.call(get("/shadow/same/1", { "x-test-id": id, cookie: DEVISE_42 }));
    expect(response.headers.get("x-served-by")).toBe("legacy");
    const control = await received(ports.legacy, id);
    expect(control).toHaveLength(2);
    for (const request of control) expect(request.headers["x-cutover-identity"]).toBeUndefined();
    const [copy] = await received(ports.new, id);
    expect(copy?.headers["x-cutover-shadow"]).toBe("1");
    expect(await verified(copy?.headers["x-cutover-identity"])).toMatchObject({ aud: "new", user_id: 42 });
  });

  it("gives a legacy shadow of a new backend none", async () => {
    const w = await shadowed([{ id: "reverse", match: { path: "/shadow/same/*" }, to: "spare", shadow: { to: "legacy", noisePercent: 0 } }]);
    const id = testId();
    await w.call(get("/shadow/same/1", { "x-test-id": id, cookie: `_app_session=${cookies.variants.json.user7.cookies[0]}` }));
    expect(await verified((await received(ports.spare, id))[0]?.headers["x-cutover-identity"])).toMatchObject({ aud: "spare", sub: "7", user_id: 7 });
    const [copy] = await received(ports.legacy, id);
    expect(copy?.headers["x-cutover-shadow"]).toBe("1");
    expect(copy?.headers["x-cutover-identity"]).toBeUndefined();
  });
});
