import { describe, expect, it } from "vitest";
import { RAILS_HEADERS_COUNTED, RAILS_SECURITY_HEADERS } from "../../fixtures/rails-answer.ts";
import { dynamoWorker, OPERATOR } from "../support/admin-harness.ts";
import { get, origin, ports, table } from "../support/worker-harness.ts";

type Json = Record<string, unknown>;
type Header = { name: string; security: boolean; count: number; missing: number; extra: number; changed: number; example: Json | null };

const ADMIN = "https://cutover-admin.example.com";

/**
 * A Rails app (the legacy test backend answering with Rails 6.1's default headers, gzipped)
 * shadowed to a Lambda-like candidate that sends none of them: the report an operator reads,
 * from real backends, through the Worker, DynamoDB and the admin API.
 */
async function railsShadow() {
  const w = await dynamoWorker({ CUTOVER_SHADOW_FLUSH_MS: "0", CUTOVER_ADMIN_HOSTS: "cutover-admin.example.com", CUTOVER_SESSION_SECRET: "a-session-secret-of-32-bytes-or-more!" });
  const shadow = { to: "new", noisePercent: 0 };
  const routes = table({
    // /preset/… reaches the same scenario on both backends, through backends that add its prefix.
    backends: { "legacy-rails": { url: origin(ports.legacy), addPrefix: "/shadow/rails" }, "new-rails": { url: origin(ports.new), addPrefix: "/shadow/rails" } },
    routes: [
      { id: "rails", match: { path: "/shadow/rails/*" }, to: "legacy", shadow },
      { id: "rails-changed", match: { path: "/shadow/rails-changed/*" }, to: "legacy", shadow },
      { id: "rails-preset", match: { path: "/preset/*" }, to: "legacy-rails", shadow: { ...shadow, to: "new-rails", ignore: ["preset:rails"] } },
    ],
  });
  const put = await w.api("PUT", "/routes", { body: { table: routes, reason: "rails shadow" }, headers: { "if-match": "0" } });
  expect(put.status).toBe(200);
  const report = async (route: string) => (await (await w.api("GET", `/shadow?route=${route}&minComparisons=12&threshold=99`)).json()) as Json & { headers: Header[]; verdict: Json };
  const send = async (path: string, times: number) => {
    for (let i = 0; i < times; i++) {
      const response = await w.call(get(path));
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    }
  };
  return { ...w, report, send };
}

describe("the shadow verdict of a Rails app against a candidate that sends none of its headers", () => {
  it("counts identical bodies as matches: 12 of 12, the headers listed by name apart, security ones flagged", async () => {
    const w = await railsShadow();
    await w.send("/shadow/rails/1", 12);
    const report = await w.report("rails");
    expect(report).toMatchObject({ compared: 12, matched: 12, mismatched: 0, matchRate: 100, differences: [] });
    expect(report.verdict).toMatchObject({ ready: true, summary: expect.stringContaining("ready to cut over: 100 % of 12 matched in status and body") });
    // Each header Rails sends and the candidate does not, by name; the backends' own x-served-by too.
    expect(report.headers.map((h) => h.name).sort()).toEqual([...RAILS_HEADERS_COUNTED, "x-served-by"].sort());
    for (const header of report.headers.filter((h) => h.name !== "x-served-by")) {
      expect(header, header.name).toMatchObject({ count: 12, missing: 12, extra: 0, changed: 0, security: RAILS_SECURITY_HEADERS.includes(header.name) });
      expect(header.example, header.name).toMatchObject({ field: `header:${header.name}`, kind: "missing", method: "GET", path: "/shadow/rails/1" });
    }
    expect([...(report.verdict.securityHeaders as string[])].sort()).toEqual(RAILS_SECURITY_HEADERS);
    // Volatile ones are not there: X-Runtime, X-Request-Id, Date, ETag and Content-Encoding (the decoded bodies match).
    for (const name of ["x-runtime", "x-request-id", "date", "etag", "content-encoding", "content-type"]) expect(report.headers.map((h) => h.name)).not.toContain(name);

    const listing = (await (await w.api("GET", "/shadow?minComparisons=12")).json()) as { routes: Json[] };
    expect(listing.routes.find((r) => r.route === "rails")).toMatchObject({ matchRate: 100, topDifference: null, headersDiffering: RAILS_HEADERS_COUNTED.length + 1, verdict: { ready: true } });
  });

  it("still fails a body that differs", async () => {
    const w = await railsShadow();
    await w.send("/shadow/rails-changed/1", 12);
    const report = await w.report("rails-changed");
    expect(report).toMatchObject({ compared: 12, matched: 0, matchRate: 0, verdict: { ready: false } });
    expect(report.differences).toEqual([{ field: "body:$.plan", count: 12, example: expect.objectContaining({ kind: "value", control: "pro", candidate: "free" }) }]);
    // Where the bodies differ, so do their ETags: shown with the headers, not in the verdict.
    expect(report.headers.find((h) => h.name === "etag")).toMatchObject({ count: 12, missing: 12 });
  });

  it("with preset:rails sets aside Rails' own headers, never its security headers; the dashboard shows both sections", async () => {
    const w = await railsShadow();
    await w.send("/preset/1", 12);
    const report = await w.report("rails-preset");
    expect(report).toMatchObject({ compared: 12, matched: 12, matchRate: 100 });
    expect(report.headers.map((h) => h.name).sort()).toEqual(["vary", "x-served-by", ...RAILS_SECURITY_HEADERS].sort());

    const signIn = await w.call(
      new Request(`${ADMIN}/_cutover/login`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", origin: ADMIN }, body: new URLSearchParams({ token: OPERATOR }), redirect: "manual" }),
    );
    const cookie = signIn.headers.get("set-cookie")?.split(";")[0] ?? "";
    const page = await (await w.call(new Request(`${ADMIN}/_cutover/routes/rails-preset`, { headers: { cookie } }))).text();
    expect(page).toContain("matched in status and body");
    expect(page).toContain('data-section="shadow-headers"');
    expect(page).toContain(`Security headers the candidate drops or changes: ${RAILS_SECURITY_HEADERS.join(", ")}.`);
    for (const name of RAILS_SECURITY_HEADERS) expect(page).toContain(`<code>${name}</code> <span class="fail">security</span>`);
    expect(page).not.toContain("<code>x-download-options</code>");
  });
});
