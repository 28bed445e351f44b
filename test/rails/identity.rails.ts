import { createHmac, randomBytes } from "node:crypto";
import http from "node:http";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { Browser } from "./support/browser.ts";
import { json, type Visit } from "./support/client.ts";
import { startEdge, type Edge } from "./support/edge.ts";
import { startLambda, type Lambda } from "./support/lambda.ts";

const IDENTITY_SECRET = randomBytes(32).toString("hex");

interface Me {
  readonly claims?: Record<string, unknown>;
  readonly error?: string;
  readonly identityHeaders: string[];
}

interface Whoami {
  readonly user_id: string | null;
  readonly identity: string | null;
  readonly cutover_variables: string[];
}

/** A token as cutover would sign it, for user `userId`: what a client who knew the secret could forge. */
function forgedToken(userId: string): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  const signed = `${encode({ alg: "HS256", typ: "JWT" })}.${encode({ iss: "cutover", aud: "lambda", sub: userId, user_id: userId, iat: now, exp: now + 60 })}`;
  return `${signed}.${createHmac("sha256", IDENTITY_SECRET).update(signed).digest("base64url")}`;
}

/**
 * The signed-in user for a new backend: Rails signs the user in (`/login/:id` writes
 * `session[:user_id]`), cutover reads `_app_session` at the edge with the app's
 * secret_key_base and sends the Node backend (`identity: { fields: ["user_id"] }`) an
 * X-Cutover-Identity JWT, which it verifies with docs/identity-verify.mjs itself
 * (test/rails/support/lambda.ts). Rails, the table's default backend, never gets one.
 */
describe("the signed-in user, told to a Node backend by X-Cutover-Identity", () => {
  let edge: Edge;
  let lambda: Lambda;
  const railsPort = inject("railsPort");

  beforeAll(async () => {
    lambda = await startLambda("lambda", IDENTITY_SECRET);
    edge = await startEdge({
      bundleRoot: inject("cutoverBundleRoot"),
      table: {
        backends: {
          legacy: { url: `http://127.0.0.1:${railsPort}` },
          lambda: { url: `http://127.0.0.1:${lambda.port}`, identity: { fields: ["user_id"] } },
        },
        default: "legacy",
        session: { type: "rails", cookie: "_app_session" },
        routes: [
          { id: "account", match: { path: "/account/*" }, to: "lambda" },
          // The Node backend answers …/whoami with a 503: the request goes on to Rails.
          { id: "fallback", match: { path: "/fallback/*" }, to: "lambda", fallback: { to: "legacy", on: ["5xx"] } },
        ],
      },
      vars: { CUTOVER_RAILS_SECRET_KEY_BASE: inject("railsSecretKeyBase"), CUTOVER_IDENTITY_SECRET: IDENTITY_SECRET },
    });
  });

  afterAll(async () => {
    await edge?.stop();
    await lambda?.close();
  });

  async function signedIn(userId: string): Promise<Browser> {
    const visitor = new Browser(edge.port);
    expect(json(await visitor.visit(`/login/${userId}`))).toEqual({ user_id: userId });
    return visitor;
  }

  function expectClaims(visited: Visit, userId: string): void {
    expect(visited.status).toBe(200);
    const me = json<Me>(visited);
    expect(me.claims).toEqual({ iss: "cutover", aud: "lambda", sub: userId, user_id: userId, iat: expect.any(Number), exp: expect.any(Number) });
    expect(Number(me.claims?.exp) - Number(me.claims?.iat)).toBe(60);
    expect(me.identityHeaders.map((name) => name.toLowerCase())).toEqual(["x-cutover-identity"]);
  }

  it("tells the Node backend who signed in with Rails, across Rails' session rewrites and another sign-in", async () => {
    const visitor = new Browser(edge.port);
    // Anonymous: no header at all, rather than a token that says nothing.
    const anonymous = await visitor.visit("/account/me");
    expect(anonymous.status).toBe(401);
    expect(json<Me>(anonymous).identityHeaders).toEqual([]);

    expect(json(await visitor.visit("/login/42"))).toEqual({ user_id: "42" });
    expectClaims(await visitor.visit("/account/me"), "42");
    for (let i = 0; i < 3; i++) {
      expect(json(await visitor.visit("/views"))).toMatchObject({ user_id: "42" });
      expectClaims(await visitor.visit("/account/me"), "42");
    }
    expect(json(await visitor.visit("/login/7"))).toEqual({ user_id: "7" });
    expectClaims(await visitor.visit("/account/me"), "7");
  });

  it("never sends it to Rails: neither on Rails' own routes nor on a fallback to Rails after the Node backend got one", async () => {
    const visitor = await signedIn("42");
    const own = await visitor.visit("/whoami");
    expect(own.headers["x-cutover-backend"]).toBe("legacy");
    expect(json<Whoami>(own)).toEqual({ user_id: "42", identity: null, cutover_variables: [] });

    const fellBack = await visitor.visit("/fallback/whoami");
    expect(fellBack.headers["x-cutover-fallback"]).toBe("lambda;503");
    expect(json<Whoami>(fellBack)).toEqual({ user_id: "42", identity: null, cutover_variables: [] });
  });

  describe("a client's own X-Cutover-Identity never arrives, in either spelling", () => {
    // Valid under the shared secret: a client's header is dropped for where it came from, not for failing to verify.
    const forged = { "X-Cutover-Identity": forgedToken("1"), X_Cutover_Identity: forgedToken("1") };

    it("at the Node backend: an anonymous visitor stays anonymous, a signed-in one is who the session says", async () => {
      const anonymous = await new Browser(edge.port).visit("/account/me", forged);
      expect(anonymous.status).toBe(401);
      expect(json<Me>(anonymous).identityHeaders).toEqual([]);

      const visitor = await signedIn("42");
      expectClaims(await visitor.visit("/account/me", forged), "42");
    });

    it("at Rails, which reads X_Cutover_Identity as X-Cutover-Identity (Rack's HTTP_X_CUTOVER_IDENTITY)", async () => {
      // Straight to Rails on Puma, either spelling is the header the app reads: what cutover must keep from it.
      for (const [name, value] of Object.entries(forged)) expect(await railsDirectly({ [name]: value })).toMatchObject({ identity: value });

      const visitor = await signedIn("42");
      for (const target of ["/whoami", "/fallback/whoami"]) {
        expect(json<Whoami>(await visitor.visit(target, forged)), target).toEqual({ user_id: "42", identity: null, cutover_variables: [] });
      }
    });
  });

  /** GET /whoami on Puma itself, with nothing in front. */
  function railsDirectly(headers: Record<string, string>): Promise<Whoami> {
    return new Promise((resolve, reject) => {
      http
        .get({ host: "127.0.0.1", port: railsPort, path: "/whoami", headers, agent: false }, (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("end", () => resolve(JSON.parse(Buffer.concat(chunks).toString()) as Whoami));
          response.on("error", reject);
        })
        .on("error", reject);
    });
  }
});
