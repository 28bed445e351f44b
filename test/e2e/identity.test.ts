import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import cookies from "../../fixtures/rails-session/cookies.json" with { type: "json" };
import { bundleCutover, startPlainWorkerd, type PlainWorkerd } from "../../fixtures/plain-workerd.ts";
import { refusedPort, startUpstream, type RecordedRequest, type Upstream } from "../support/upstream.ts";

/** docs/identity.md's example, run as a Lambda would run it (Node, node:crypto). */
type Verify = (token: string | undefined, options: { secret: string; audience: string; now?: number }) => Record<string, unknown> | null;
const { verifyIdentity } = (await import(new URL("../../docs/identity-verify.mjs", import.meta.url).href)) as { verifyIdentity: Verify };

const IDENTITY_SECRET = "e2e-identity-secret-0123456789abcdef0123";

/**
 * The X-Cutover-Identity header the Worker (bundled as `wrangler deploy` would, on plain
 * workerd) really sent a real upstream, for a session cookie a real Rails app made, checked
 * with the very code docs/identity.md tells a backend to run.
 */
describe("the identity header, verified as docs/identity.md says", () => {
  let legacy: Upstream;
  let fresh: Upstream;
  let worker: PlainWorkerd;
  let port: number;

  beforeAll(async () => {
    legacy = await startUpstream("legacy");
    fresh = await startUpstream("new");
    port = await refusedPort();
    const table = {
      backends: {
        legacy: { url: `http://127.0.0.1:${legacy.port}` },
        new: { url: `http://127.0.0.1:${fresh.port}`, identity: { fields: ["warden.user.user.key"], ttlSeconds: 60 } },
      },
      default: "legacy",
      session: { type: "rails", cookie: "_app_session" },
      routes: [{ id: "accounts", match: { path: "/accounts/*" }, to: "new" }],
    };
    const dir = mkdtempSync(path.join(os.tmpdir(), "cutover-identity-"));
    bundleCutover(path.join(dir, "cutover"));
    worker = await startPlainWorkerd({
      dir,
      workers: [{ name: "cutover", port, module: "cutover/index.js", bindings: { CUTOVER_ROUTES: JSON.stringify(table), CUTOVER_RAILS_SECRET_KEY_BASE: cookies.secretKeyBase, CUTOVER_IDENTITY_SECRET: IDENTITY_SECRET } }],
    });
  });

  afterAll(async () => {
    await worker?.stop();
    await Promise.all([legacy?.close(), fresh?.close()]);
  });

  async function tokenSent(cookie: string): Promise<string | undefined> {
    const id = crypto.randomUUID();
    const response = await fetch(`http://127.0.0.1:${port}/accounts/me`, { headers: { cookie, "x-test-id": id, "x-cutover-identity": "forged" } });
    expect(response.status).toBe(200);
    await response.arrayBuffer();
    const [request] = (await (await fetch(`http://127.0.0.1:${fresh.port}/__log?test=${id}`)).json()) as RecordedRequest[];
    const token = request?.headers["x-cutover-identity"];
    return typeof token === "string" ? token : undefined;
  }

  it("is accepted for its backend and refused when forged, expired or for another backend", async () => {
    const token = await tokenSent(`_app_session=${cookies.variants.json.devise42.cookies[0]}`);
    expect(token).toBeDefined();
    const claims = verifyIdentity(token, { secret: IDENTITY_SECRET, audience: "new" });
    expect(claims).toMatchObject({ iss: "cutover", aud: "new", sub: "42", user_id: 42 });

    const [header, , signature] = String(token).split(".") as [string, string, string];
    const changed = Buffer.from(JSON.stringify({ ...claims, user_id: 1, sub: "1" })).toString("base64url");
    expect(verifyIdentity(`${header}.${changed}.${signature}`, { secret: IDENTITY_SECRET, audience: "new" })).toBeNull();
    expect(verifyIdentity(token, { secret: `${IDENTITY_SECRET}!`, audience: "new" })).toBeNull();
    expect(verifyIdentity(token, { secret: IDENTITY_SECRET, audience: "new", now: Number(claims?.exp) })).toBeNull();
    expect(verifyIdentity(token, { secret: IDENTITY_SECRET, audience: "legacy" })).toBeNull();
  });

  it("is not sent for an anonymous visitor: a client's own never arrives instead", async () => {
    expect(await tokenSent(`_app_session=${cookies.variants.json.anonymous.cookies[0]}`)).toBeUndefined();
    expect(await tokenSent("")).toBeUndefined();
  });
});
