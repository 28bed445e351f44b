import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ShadowReportAnswer } from "../../admin/contract/shadow.ts";
import { eventually } from "../support/eventually.ts";
import { visit } from "./support/client.ts";
import { startEdge, type Edge } from "./support/edge.ts";
import { accountBody, startLambda, type Lambda } from "./support/lambda.ts";

/** Requests per route: the report's minComparisons. */
const COMPARISONS = 12;
/**
 * Rails 6.1's answer's security headers (compare/header-rules.ts SECURITY_HEADERS), which the
 * Node backend drops: its `action_dispatch.default_headers`, and the Strict-Transport-Security
 * that force_ssl sends on every https answer (`max-age=0` here: the app's ssl_options say
 * `hsts: false`, which Rails sends as "forget it", not as nothing).
 */
const SECURITY_HEADERS = ["referrer-policy", "strict-transport-security", "x-content-type-options", "x-frame-options", "x-permitted-cross-domain-policies"];
/** The rest of what it sends and the Node backend does not, counted without a preset: Rack::ETag's Cache-Control, Vary, and two headers no browser reads any more. */
const OTHER_HEADERS = ["cache-control", "vary", "x-download-options", "x-xss-protection"];

/**
 * A route Rails serves, shadowed to the Node backend answering the same JSON without any of
 * Rails' headers (test/rails/support/lambda.ts): the report the admin API gives an operator
 * (docs/shadow-verdict.md), from comparisons cutover really made on plain workerd and
 * flushed to DynamoDB after the responses.
 */
describe("the shadow verdict on Rails and a Node backend answering the same bodies", () => {
  let edge: Edge;
  let lambda: Lambda;

  beforeAll(async () => {
    lambda = await startLambda("lambda", "no identity in these tests");
    const shadow = { to: "lambda", noisePercent: 0 };
    edge = await startEdge({
      bundleRoot: inject("cutoverBundleRoot"),
      table: {
        backends: { legacy: { url: `http://127.0.0.1:${inject("railsPort")}` }, lambda: { url: `http://127.0.0.1:${lambda.port}` } },
        default: "legacy",
        routes: [
          { id: "accounts", match: { path: "/api/accounts/*" }, to: "legacy", shadow },
          { id: "plans", match: { path: "/api/plans/*" }, to: "legacy", shadow: { ...shadow, ignore: ["preset:rails"] } },
        ],
      },
      // Each comparison flushed as soon as it is made (deployed: once a minute).
      vars: { CUTOVER_SHADOW_FLUSH_MS: "0" },
    });
  });

  afterAll(async () => {
    await edge?.stop();
    await lambda?.close();
  });

  /**
   * COMPARISONS requests to `/api/<kind>/N`, each answered by Rails as a browser asking for
   * gzip gets it; then the route's report, read until it has counted them all (comparisons are
   * flushed after the responses, and each flush writes its items one by one: the comparisons
   * first, each header's count after).
   */
  async function shadowed(kind: string, route: string, headerCount: number): Promise<ShadowReportAnswer> {
    for (let id = 1; id <= COMPARISONS; id++) {
      const visited = await visit(edge.port, `/api/${kind}/${id}`, { https: true, headers: { accept: "application/json", "accept-encoding": "gzip" } });
      expect(visited.status).toBe(200);
      expect(visited.headers["x-cutover-backend"]).toBe("legacy");
      // Rails' answer, its headers and all, is what the client gets; the Node backend's only compared.
      expect(visited.headers["x-frame-options"]).toBe("SAMEORIGIN");
      // Gzipped by Rack::Deflater; the Node backend's is plain: the bodies compared are what they decode to.
      expect(visited.headers["content-encoding"]).toBe("gzip");
      expect(gunzipSync(visited.body).toString()).toBe(accountBody(id));
    }
    const read = async () => ShadowReportAnswer.parse(await (await edge.api("GET", `/shadow?route=${route}&minComparisons=${COMPARISONS}&threshold=99`)).json());
    return eventually(read, (report) => report.compared >= COMPARISONS && report.headers.length >= headerCount && report.headers.every((header) => header.count >= COMPARISONS));
  }

  /** Each header, by name, missing from all COMPARISONS candidate answers, with an example of its request. */
  function expectMissingEverywhere(report: ShadowReportAnswer, kind: string): void {
    for (const header of report.headers) {
      expect(header, header.name).toMatchObject({ count: COMPARISONS, missing: COMPARISONS, extra: 0, changed: 0, security: SECURITY_HEADERS.includes(header.name) });
      expect(header.example, header.name).toMatchObject({ field: `header:${header.name}`, kind: "missing", method: "GET", path: expect.stringMatching(new RegExp(`^/api/${kind}/\\d+$`)) });
    }
  }

  it("matches in status and body; lists Rails' headers by name apart, the security headers the Node backend drops flagged", async () => {
    const report = await shadowed("accounts", "accounts", SECURITY_HEADERS.length + OTHER_HEADERS.length);
    expect(report).toMatchObject({ compared: COMPARISONS, matched: COMPARISONS, mismatched: 0, matchRate: 100, candidateErrors: 0, differences: [] });
    expect(report.verdict).toMatchObject({ ready: true, summary: expect.stringContaining(`ready to cut over: 100 % of ${COMPARISONS} matched in status and body`) });
    // Flagged security headers first; nothing volatile (X-Runtime, X-Request-Id, Date), nothing
    // the matching bodies account for (ETag, Content-Encoding), no Content-Type (Rails' JSON
    // one with charset=utf-8 equals the Node backend's application/json).
    expect(report.headers.map((header) => header.name)).toEqual([...SECURITY_HEADERS, ...OTHER_HEADERS]);
    expectMissingEverywhere(report, "accounts");
    expect(report.headers.find((header) => header.name === "x-frame-options")?.example?.control).toBe("SAMEORIGIN");
    expect(report.verdict.securityHeaders).toEqual(SECURITY_HEADERS);
    expect(report.verdict.summary).toContain(`security headers missing or changed on the candidate: ${SECURITY_HEADERS.join(", ")}`);
  });

  it("with preset:rails, sets aside what Rails sends by default, never its security headers nor Vary", async () => {
    const report = await shadowed("plans", "plans", SECURITY_HEADERS.length + 1);
    expect(report).toMatchObject({ compared: COMPARISONS, matched: COMPARISONS, mismatched: 0, matchRate: 100, differences: [], verdict: { ready: true } });
    expect(report.headers.map((header) => header.name)).toEqual([...SECURITY_HEADERS, "vary"]);
    expectMissingEverywhere(report, "plans");
    expect(report.verdict.securityHeaders).toEqual(SECURITY_HEADERS);
  });
});
