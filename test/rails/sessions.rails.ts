import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { CookieJar, json, setCookieLines, visit, type Visit, type VisitOptions } from "./support/client.ts";
import { startEdge, type Edge } from "./support/edge.ts";
import { PUBLIC_HOST } from "./support/rails-server.ts";

/**
 * Forms, cookies and the session through cutover: what a signed-in user of the Rails app does.
 * Over TLS, as this app's users come: with force_ssl, Rails marks the session cookie Secure and
 * writes no Secure cookie on a request it sees as http.
 */
describe("forms, cookies and sessions", () => {
  let edge: Edge;
  /** A request from a client that came over TLS. */
  const secure = (target: string, options: VisitOptions = {}) => visit(edge.port, target, { https: true, ...options });

  beforeAll(async () => {
    edge = await startEdge({
      bundleRoot: inject("cutoverBundleRoot"),
      table: { backends: { legacy: { url: `http://127.0.0.1:${inject("railsPort")}` } }, default: "legacy", routes: [] },
    });
  });

  afterAll(async () => {
    await edge?.stop();
  });

  /** GET /form: the session cookie in `jar` and the form's authenticity token. */
  async function openForm(jar: CookieJar): Promise<string> {
    const page = await secure("/form");
    expect(page.status).toBe(200);
    jar.take(page);
    expect(jar.get("_app_session")).toBeDefined();
    const token = /name="authenticity_token" value="([^"]+)"/.exec(page.body.toString())?.[1];
    expect(token).toBeDefined();
    return String(token);
  }

  function post(form: Record<string, string>, headers: Record<string, string>): Promise<Visit> {
    return secure("/form", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
      body: new URLSearchParams(form).toString(),
    });
  }

  describe("a CSRF-protected form", () => {
    it("accepts the form posted back with the session cookie and its token, from the public origin", async () => {
      const jar = new CookieJar();
      const token = await openForm(jar);
      // load_defaults 6.1 checks Origin against request.base_url: the public origin only
      // because cutover's X-Forwarded-Host and X-Forwarded-Proto say so.
      const posted = await post({ authenticity_token: token, note: "hello" }, { cookie: jar.header(), origin: `https://${PUBLIC_HOST}` });
      expect(posted.status).toBe(302);
      expect(posted.headers.location).toBe(`https://${PUBLIC_HOST}/form/done`);
      jar.take(posted);
      const done = await secure("/form/done", { headers: { cookie: jar.header() } });
      expect(done.body.toString()).toBe("noted: hello");
    });

    it("refuses it without the token: 422", async () => {
      const jar = new CookieJar();
      await openForm(jar);
      const posted = await post({ note: "forged" }, { cookie: jar.header(), origin: `https://${PUBLIC_HOST}` });
      expect(posted.status).toBe(422);
    });

    it("refuses a token without the session it belongs to: 422", async () => {
      const token = await openForm(new CookieJar());
      const posted = await post({ authenticity_token: token, note: "no session" }, {});
      expect(posted.status).toBe(422);
    });

    it("refuses it from another origin: 422", async () => {
      const jar = new CookieJar();
      const token = await openForm(jar);
      const posted = await post({ authenticity_token: token, note: "cross-site" }, { cookie: jar.header(), origin: "https://evil.example" });
      expect(posted.status).toBe(422);
    });
  });

  it("passes every Set-Cookie line: Rails setting 9 cookies sets 9 in the client", async () => {
    const visited = await secure("/cookies");
    expect(visited.status).toBe(200);
    const lines = setCookieLines(visited);
    expect(lines.map((line) => line.split(";", 1)[0])).toEqual(["c1=v1", "c2=v2", "c3=v3", "c4=v4", "c5=v5", "c6=v6", "c7=v7", "c8=v8", "c9=v9"]);
    expect(lines.filter((line) => /;\s*HttpOnly/i.test(line))).toHaveLength(5);
  });

  it("keeps a session the app rewrites on every request, and the user it signs in", async () => {
    const jar = new CookieJar();
    const cookies: string[] = [];
    for (const expected of [1, 2, 3]) {
      const visited = await secure("/views", { headers: { cookie: jar.header() } });
      expect(json<{ views: number }>(visited).views).toBe(expected);
      cookies.push(String(jar.take(visited).get("_app_session")));
    }
    // A new cookie value on every write: why a session cookie is a poor cohort key.
    expect(new Set(cookies).size).toBe(3);
    jar.take(await secure("/login/42", { headers: { cookie: jar.header() } }));
    const after = json<{ views: number; user_id: string }>(await secure("/views", { headers: { cookie: jar.header() } }));
    expect(after).toEqual({ views: 4, user_id: "42" });
  });

  it("gets a Secure session cookie over TLS, and none over http (Rails with force_ssl writes Secure cookies only on what it sees as https)", async () => {
    const overTls = setCookieLines(await secure("/views")).find((line) => line.startsWith("_app_session="));
    expect(overTls).toMatch(/;\s*secure/i);
    const overHttp = setCookieLines(await visit(edge.port, "/views")).find((line) => line.startsWith("_app_session="));
    expect(overHttp).toBeUndefined();
  });
});
