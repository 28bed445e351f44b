import { describe, expect, it } from "vitest";
import { compareResponses, compileRules, type Comparison, type Observation } from "../../compare/compare-responses.ts";
import { RAILS_PRESET_HEADERS, SECURITY_HEADERS } from "../../compare/header-rules.ts";
import { redactDifferences } from "../../compare/redact.ts";
import { buildShadowReport, type StoredShadowStats } from "../../compare/shadow-report.ts";
import { emptyStats, recordComparison, type ShadowStats } from "../../compare/shadow-stats.ts";
import { DEFAULT_REDACTION } from "../../compare/secret-names.ts";
import { LAMBDA_JSON_HEADERS, RAILS_HEADERS_COUNTED, RAILS_JSON_HEADERS, RAILS_SECURITY_HEADERS } from "../../fixtures/rails-answer.ts";

const encoder = new TextEncoder();
const OPTIONS = { minComparisons: 10, threshold: 99, noiseRate: 0.05 };

function answer(body: unknown, headers: readonly (readonly [string, string])[], status = 200): Observation {
  return { status, headers, body: encoder.encode(JSON.stringify(body)), durationMs: 3 };
}

function stored(stats: ShadowStats): StoredShadowStats {
  return {
    compared: stats.compared,
    tooLarge: stats.tooLarge,
    candidateErrors: stats.candidateErrors,
    shed: stats.shed,
    noiseCompared: stats.noiseCompared,
    firstAt: null,
    lastAt: null,
    fields: Object.fromEntries(stats.fields),
    headerKinds: Object.fromEntries(stats.headerKinds),
    noise: Object.fromEntries(stats.noise),
    signatures: Object.fromEntries(stats.signatures),
    controlLatency: Object.fromEntries(stats.controlLatency),
    candidateLatency: Object.fromEntries(stats.candidateLatency),
    samples: [...stats.samples].reverse(),
  };
}

function record(stats: ShadowStats, comparison: Comparison, path = "/api/accounts/1"): void {
  recordComparison(stats, comparison, 10, 20, DEFAULT_REDACTION, () => ({
    at: `2026-12-07T14:00:${String(stats.compared).padStart(2, "0")}Z`,
    method: "GET",
    path,
    controlStatus: 200,
    candidateStatus: 200,
    controlMs: 10,
    candidateMs: 20,
    differences: redactDifferences(comparison.differences),
  }));
}

const headerNames = (differences: readonly { field: string }[]) => differences.map((d) => d.field.slice(7)).sort();
const account = { id: 1, name: "Ada", plan: "pro" };

describe("the verdict is about status and body: a Rails app against a Lambda that sends none of its headers", () => {
  it("counts identical bodies as a match, and lists every header that differs by name", () => {
    const comparison = compareResponses(answer(account, RAILS_JSON_HEADERS), answer(account, LAMBDA_JSON_HEADERS), compileRules([]));
    expect(comparison.matched).toBe(true);
    // Volatile ones are not counted: X-Runtime, X-Request-Id, Date, Server, Via; ETag and
    // Content-Encoding since the decoded bodies match; the JSON charset is no difference.
    expect(headerNames(comparison.differences)).toEqual(RAILS_HEADERS_COUNTED);
    expect(comparison.differences.every((d) => d.kind === "missing")).toBe(true);
  });

  it("reports 12 of 12 matched, and the headers apart: by name, how they differ, security ones flagged", () => {
    const stats = emptyStats();
    for (let i = 0; i < 12; i++) record(stats, compareResponses(answer(account, RAILS_JSON_HEADERS), answer(account, LAMBDA_JSON_HEADERS), compileRules([])));
    const report = buildShadowReport("accounts", stored(stats), OPTIONS);
    expect(report).toMatchObject({ compared: 12, matched: 12, mismatched: 0, matchRate: 100, differences: [] });
    expect(report.headers.map((h) => h.name).sort()).toEqual(RAILS_HEADERS_COUNTED);
    for (const header of report.headers) {
      expect(header).toMatchObject({ count: 12, missing: 12, extra: 0, changed: 0, security: RAILS_SECURITY_HEADERS.includes(header.name) });
      expect(header.example).toMatchObject({ field: `header:${header.name}`, kind: "missing", method: "GET", path: "/api/accounts/1" });
    }
    // Flagged security headers come first.
    expect(report.headers.slice(0, 4).map((h) => h.name).sort()).toEqual(RAILS_SECURITY_HEADERS);
    expect([...report.verdict.securityHeaders].sort()).toEqual(RAILS_SECURITY_HEADERS);
    expect(report.verdict.ready).toBe(true);
    expect(report.verdict.summary).toBe(
      `ready to cut over: 100 % of 12 matched in status and body (threshold 99 %); security headers missing or changed on the candidate: ${report.verdict.securityHeaders.join(", ")}`,
    );
  });

  it("still fails a body that differs, with the headers beside it", () => {
    const stats = emptyStats();
    for (let i = 0; i < 12; i++) {
      record(stats, compareResponses(answer(account, RAILS_JSON_HEADERS), answer({ ...account, plan: i < 6 ? "pro" : "free" }, LAMBDA_JSON_HEADERS), compileRules([])));
    }
    const report = buildShadowReport("accounts", stored(stats), OPTIONS);
    expect(report).toMatchObject({ compared: 12, matched: 6, mismatched: 6, matchRate: 50 });
    expect(report.differences).toEqual([{ field: "body:$.plan", count: 6, example: expect.objectContaining({ kind: "value", control: "pro", candidate: "free" }) }]);
    // Where the bodies differ the ETag differs too, and is shown (not counted in the verdict).
    expect(report.headers.find((h) => h.name === "etag")).toMatchObject({ count: 6, missing: 6 });
    expect(report.verdict).toMatchObject({ ready: false, summary: expect.stringMatching(/^not ready: 50 % of 12 matched in status and body .*most frequent difference: body:\$\.plan; security headers/) });
  });

  it("fails a status that differs even when the bodies are the same", () => {
    const comparison = compareResponses(answer(account, RAILS_JSON_HEADERS), answer(account, LAMBDA_JSON_HEADERS, 201), compileRules([]));
    expect(comparison.matched).toBe(false);
    expect(comparison.differences[0]).toEqual({ field: "status", kind: "status", control: 200, candidate: 201 });
  });

  it("keeps a body mismatch's example when header-only differences filled the flush's samples", () => {
    const stats = emptyStats();
    const rules = compileRules([]);
    for (let i = 0; i < 8; i++) record(stats, compareResponses(answer(account, RAILS_JSON_HEADERS), answer(account, LAMBDA_JSON_HEADERS), rules));
    record(stats, compareResponses(answer(account, RAILS_JSON_HEADERS), answer({ ...account, plan: "free" }, LAMBDA_JSON_HEADERS), rules), "/api/accounts/9");
    expect(stats.samples).toHaveLength(5);
    expect(buildShadowReport("accounts", stored(stats), OPTIONS).differences[0]?.example).toMatchObject({ field: "body:$.plan", path: "/api/accounts/9" });
  });
});

describe("header values compared for what they mean", () => {
  const rules = compileRules([]);
  const compareHeaders = (control: [string, string][], candidate: [string, string][]) =>
    compareResponses(answer({}, [["content-type", "application/json"], ...control]), answer({}, [["content-type", "application/json"], ...candidate]), rules).differences;

  it("compares Vary and Cache-Control as sets of lower-case members", () => {
    expect(compareHeaders([["vary", "Accept, Accept-Encoding"]], [["Vary", "accept-encoding,accept"]])).toEqual([]);
    expect(compareHeaders([["cache-control", "private, max-age=0"]], [["cache-control", "max-age=0, private"]])).toEqual([]);
    expect(compareHeaders([["vary", "Accept, Origin"]], [["vary", "Accept"]])).toEqual([{ field: "header:vary", kind: "value", control: "Accept, Origin", candidate: "Accept" }]);
  });

  it("reads a JSON Content-Type without its charset=utf-8, and any other without case or spacing", () => {
    const differences = (a: string, b: string) => compareResponses(answer({}, [["content-type", a]]), answer({}, [["content-type", b]]), rules).differences;
    expect(differences("application/json; charset=utf-8", "application/json")).toEqual([]);
    expect(differences("application/vnd.api+json; charset=UTF-8", "application/vnd.api+json")).toEqual([]);
    expect(differences("text/html; charset=utf-8", "Text/HTML;charset=UTF-8")).toEqual([]);
    // Without a charset an HTML page is read as windows-1252: a real difference.
    expect(differences("text/html; charset=utf-8", "text/html")).toHaveLength(1);
  });

  it("sets ETag and Content-Encoding aside only when the decoded bodies match", () => {
    const control = answer({ a: 1 }, [["content-type", "application/json"], ["etag", '"1"'], ["content-encoding", "gzip"]]);
    expect(compareResponses(control, answer({ a: 1 }, [["content-type", "application/json"]]), rules)).toMatchObject({ matched: true, differences: [] });
    expect(headerNames(compareResponses(control, answer({ a: 2 }, [["content-type", "application/json"]]), rules).differences.filter((d) => d.field.startsWith("header:")))).toEqual([
      "content-encoding",
      "etag",
    ]);
  });

  it("flags a cookie the candidate sets without Secure, HttpOnly or its SameSite, and keeps the attributes readable", () => {
    const control: [string, string][] = [["set-cookie", "_app_session=abc; path=/; secure; HttpOnly; SameSite=Lax"], ["set-cookie", "theme=dark; path=/"]];
    const weaker: [string, string][] = [["set-cookie", "_app_session=def; path=/; SameSite=Lax"], ["set-cookie", "theme=dark; path=/"]];
    const differences = compareHeaders(control, weaker);
    const attributes = { field: "header:set-cookie:attributes", kind: "missing", control: "_app_session: HttpOnly, SameSite=Lax, Secure", candidate: "_app_session: SameSite=Lax" };
    expect(differences).toContainEqual(attributes);
    expect(redactDifferences(differences)).toContainEqual(attributes);
    expect(redactDifferences(differences).find((d) => d.field === "header:set-cookie")).toMatchObject({ control: "[redacted]" });
    // Another value with the same attributes is not a weakening; `header:set-cookie` sets both aside.
    expect(compareHeaders(control, [["set-cookie", "_app_session=x; Path=/; Secure; HttpOnly; SameSite=lax"], ["set-cookie", "theme=dark"]]).map((d) => d.field)).toEqual(["header:set-cookie"]);
    expect(compareResponses(answer({}, control), answer({}, weaker), compileRules(["header:set-cookie"])).differences).toEqual([]);

    const stats = emptyStats();
    record(stats, compareResponses(answer({}, control), answer({}, weaker), rules));
    expect(buildShadowReport("r", stored(stats), OPTIONS).verdict.securityHeaders).toEqual(["set-cookie:attributes"]);
  });

  it("does not flag a security header the candidate adds, only one it drops or changes", () => {
    const stats = emptyStats();
    record(stats, compareResponses(answer({}, []), answer({}, [["strict-transport-security", "max-age=63072000"]]), rules));
    record(stats, compareResponses(answer({}, [["x-frame-options", "DENY"]]), answer({}, [["x-frame-options", "SAMEORIGIN"]]), rules));
    const report = buildShadowReport("r", stored(stats), OPTIONS);
    expect(report.headers).toEqual([
      expect.objectContaining({ name: "x-frame-options", security: true, changed: 1 }),
      expect.objectContaining({ name: "strict-transport-security", security: true, extra: 1 }),
    ]);
    expect(report.verdict.securityHeaders).toEqual(["x-frame-options"]);
  });
});

describe("preset:rails", () => {
  /** Header names a rule set sets aside in the Rails/Lambda pair. */
  const setAside = (ignore: string[], candidateBody: unknown = account) =>
    compareResponses(answer(account, RAILS_JSON_HEADERS), answer(candidateBody, LAMBDA_JSON_HEADERS), compileRules(ignore))
      .ignored.filter((d) => d.field.startsWith("header:"))
      .map((d) => d.field.slice(7))
      .sort();

  it("sets aside exactly its list and Rails' default Cache-Control, and no security header", () => {
    const added = setAside(["preset:rails"]).filter((name) => !setAside([]).includes(name));
    expect(added).toEqual(["cache-control", "x-download-options", "x-xss-protection"]);
    // ETag is set aside even where the bodies differ; X-Runtime and X-Request-Id are default noise anyway.
    expect(setAside(["preset:rails"], { other: true })).toContain("etag");
    expect(setAside([], { other: true })).not.toContain("etag");
    expect([...RAILS_PRESET_HEADERS].sort()).toEqual(["etag", "x-download-options", "x-request-id", "x-runtime", "x-xss-protection"]);
    expect([...RAILS_PRESET_HEADERS].filter((name) => SECURITY_HEADERS.has(name))).toEqual([]);

    const left = compareResponses(answer(account, RAILS_JSON_HEADERS), answer(account, LAMBDA_JSON_HEADERS), compileRules(["preset:rails"]));
    expect(headerNames(left.differences)).toEqual(["vary", ...RAILS_SECURITY_HEADERS].sort());
  });

  it("counts a Cache-Control the app chose, and a security header unless a route names it", () => {
    const cached = compareResponses(answer({}, [["cache-control", "public, max-age=3600"]]), answer({}, []), compileRules(["preset:rails"]));
    expect(cached.differences).toEqual([{ field: "header:cache-control", kind: "missing", control: "public, max-age=3600" }]);
    const named = compareResponses(answer(account, RAILS_JSON_HEADERS), answer(account, LAMBDA_JSON_HEADERS), compileRules(["preset:rails", "header:x-frame-options", "header:vary"]));
    expect(headerNames(named.differences)).toEqual(["referrer-policy", "x-content-type-options", "x-permitted-cross-domain-policies"]);
  });
});

describe("statistics stored before issue 24", () => {
  it("reads a signature that names headers as a match, and flags a security header whose kind is unknown", () => {
    const report = buildShadowReport(
      "r",
      {
        ...stored(emptyStats()),
        compared: 12,
        fields: { "header:x-frame-options": 12, "header:x-runtime": 12, "body:$.a": 2 },
        headerKinds: {},
        signatures: { "header:x-frame-options\nheader:x-runtime": 10, "body:$.a\nheader:x-frame-options\nheader:x-runtime": 2 },
      },
      OPTIONS,
    );
    expect(report).toMatchObject({ matched: 10, mismatched: 2, matchRate: 83.33, differences: [{ field: "body:$.a", count: 2 }] });
    expect(report.headers).toEqual([
      { name: "x-frame-options", security: true, count: 12, missing: 0, extra: 0, changed: 0, example: null },
      { name: "x-runtime", security: false, count: 12, missing: 0, extra: 0, changed: 0, example: null },
    ]);
    expect(report.verdict.securityHeaders).toEqual(["x-frame-options"]);
  });
});
