import { describe, expect, it } from "vitest";
import { compareResponses, compileRules, type Observation } from "../../compare/compare-responses.ts";
import { percentile } from "../../compare/latency-histogram.ts";
import { redactDifferences, requestSecrets } from "../../compare/redact.ts";
import { redactTarget } from "../../compare/scrub-urls.ts";
import { compileRedaction, DEFAULT_REDACTION } from "../../compare/secret-names.ts";
import { buildShadowReport, type StoredShadowStats } from "../../compare/shadow-report.ts";
import { emptyStats, recordCandidateError, recordComparison, recordNoise, type ShadowStats } from "../../compare/shadow-stats.ts";

const encoder = new TextEncoder();
const json = (body: unknown, status = 200): Observation => ({ status, headers: [["content-type", "application/json"]], body: encoder.encode(JSON.stringify(body)), durationMs: 1 });
const rules = compileRules([]);

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

function observe(stats: ShadowStats, control: Observation, candidate: Observation) {
  const comparison = compareResponses(control, candidate, rules);
  recordComparison(stats, comparison, 10, 40, DEFAULT_REDACTION, () => ({ at: "t", method: "GET", path: "/x", controlStatus: control.status, candidateStatus: candidate.status, controlMs: 10, candidateMs: 40, differences: comparison.differences }));
}

describe("buildShadowReport", () => {
  it("counts matches and differences per field, with an example", () => {
    const stats = emptyStats();
    for (let i = 0; i < 8; i++) observe(stats, json({ a: 1, items: [{ p: i }] }), json({ a: 1, items: [{ p: i }] }));
    observe(stats, json({ a: 1, items: [{ p: 1 }, { p: 2 }] }), json({ a: 2, items: [{ p: 1 }, { p: 3 }] }));
    observe(stats, json({ a: 1 }), json({ a: 1 }, 500));
    recordCandidateError(stats, 12);
    const report = buildShadowReport("r", stored(stats), { minComparisons: 5, threshold: 99, noiseRate: 0.05 });
    expect(report).toMatchObject({ compared: 10, matched: 8, mismatched: 2, candidateErrors: 1, matchRate: 72.73 });
    expect(report.differences).toEqual([
      { field: "body:$.a", count: 1, example: expect.objectContaining({ field: "body:$.a", kind: "value", control: 1, candidate: 2 }) },
      { field: "body:$.items[*].p", count: 1, example: expect.objectContaining({ field: "body:$.items[1].p", kind: "value", control: 2, candidate: 3 }) },
      { field: "status", count: 1, example: expect.objectContaining({ field: "status", kind: "status", control: 200, candidate: 500 }) },
    ]);
    // The example says which request produced it.
    expect(report.differences[0]?.example).toMatchObject({ method: "GET", path: "/x" });
    expect(report.verdict).toEqual({ ready: false, summary: "not ready: 72.73 % of 11 matched in status and body (threshold 99 %); most frequent difference: body:$.a", securityHeaders: [] });
    expect(report.latency.control.p50).toBe(10);
    expect(report.latency.candidate.p99).toBe(40);
  });

  it("treats fields that differ between two control responses as noise, not mismatches", () => {
    const stats = emptyStats();
    for (let i = 0; i < 20; i++) observe(stats, json({ id: 1, generatedAt: i }), json({ id: 1, generatedAt: i + 100 }));
    const before = buildShadowReport("r", stored(stats), { minComparisons: 10, threshold: 99, noiseRate: 0.05 });
    expect(before).toMatchObject({ matched: 0, matchRate: 0 });
    recordNoise(stats, compareResponses(json({ generatedAt: 1 }), json({ generatedAt: 2 }), rules).differences);
    const after = buildShadowReport("r", stored(stats), { minComparisons: 10, threshold: 99, noiseRate: 0.05 });
    expect(after).toMatchObject({ matched: 20, matchRate: 100, noise: [{ field: "body:$.generatedAt", count: 1 }], differences: [] });
    expect(after.verdict).toEqual({ ready: true, summary: "ready to cut over: 100 % of 20 matched in status and body (threshold 99 %)", securityHeaders: [] });
  });

  it("does not discount a field the candidate gets wrong far more often than the control varies", () => {
    const stats = emptyStats();
    for (let i = 0; i < 20; i++) observe(stats, json({ balance: 10 }), json({ balance: 12 }));
    for (let i = 0; i < 10; i++) recordNoise(stats, i === 0 ? [{ field: "body:$.balance", kind: "value" }] : []);
    const report = buildShadowReport("r", stored(stats), { minComparisons: 10, threshold: 99, noiseRate: 0.05 });
    expect(report).toMatchObject({ matched: 0, noise: [], differences: [{ field: "body:$.balance", count: 20 }] });
  });

  it("never learns a status difference as noise", () => {
    const stats = emptyStats();
    observe(stats, json({ a: 1 }), json({ a: 1 }, 503));
    recordNoise(stats, [{ field: "status", kind: "status", control: 200, candidate: 429 }]);
    expect(buildShadowReport("r", stored(stats), { minComparisons: 1, threshold: 99, noiseRate: 0.05 })).toMatchObject({ matched: 0, noise: [] });
  });

  it("does not call a route ready when most bodies were too large to compare", () => {
    const stats = emptyStats();
    const big: Observation = { ...json({}), body: undefined };
    for (let i = 0; i < 3; i++) observe(stats, big, json({}));
    expect(buildShadowReport("r", stored(stats), { minComparisons: 1, threshold: 99, noiseRate: 0.05 }).verdict).toEqual({
      ready: false,
      summary: "not verified: 3 of 3 bodies were over shadow.maxBodyBytes and only their status and headers were compared",
      securityHeaders: [],
    });
  });

  it("withholds a verdict until there are enough comparisons", () => {
    const stats = emptyStats();
    observe(stats, json({ a: 1 }), json({ a: 1 }));
    expect(buildShadowReport("r", stored(stats)).verdict).toEqual({ ready: false, summary: "not enough data: 1 of 1000 comparisons", securityHeaders: [] });
  });
});

describe("percentile", () => {
  it("reads the bucket bound at a rank", () => {
    expect(percentile({}, 50)).toBeNull();
    expect(percentile({ 5: 50, 12: 49, 19: 1 }, 50)).toBe(10);
    expect(percentile({ 5: 50, 12: 49, 19: 1 }, 99)).toBe(100);
    expect(percentile({ 5: 50, 12: 49, 19: 1 }, 100)).toBe(1000);
  });
});

describe("redactDifferences", () => {
  it("never keeps secret headers, configured headers and body fields, values that contain them, or keys beneath them", () => {
    const redacted = redactDifferences(
      [
        { field: "header:set-cookie", kind: "value", control: "session=abc", candidate: "session=def" },
        { field: "header:authorization", kind: "missing", control: "Bearer x" },
        { field: "body:$.card.number", kind: "value", control: "4111", candidate: "4242" },
        { field: "body:$.ssns", kind: "order", control: ["1", "2"], candidate: ["2", "1"] },
        { field: "body:$.users[3].ssns[0]", kind: "value", control: "1", candidate: "2" },
        { field: "body:$.name", kind: "value", control: "x".repeat(300), candidate: "y" },
        { field: "header:x-api-key", kind: "value", control: "k1", candidate: "k2" },
      ],
      compileRedaction(["$.card", "$.ssns[*]", "$.users[*].ssns", "header:x-api-key"]),
    );
    expect(redacted).toEqual([
      { field: "header:set-cookie", kind: "value", control: "[redacted]", candidate: "[redacted]" },
      { field: "header:authorization", kind: "missing", control: "[redacted]" },
      { field: "body:$.card", kind: "value", control: "[redacted]", candidate: "[redacted]" },
      { field: "body:$.ssns", kind: "order", control: "[redacted]", candidate: "[redacted]" },
      { field: "body:$.users[*].ssns", kind: "value", control: "[redacted]", candidate: "[redacted]" },
      { field: "body:$.name", kind: "value", control: `${"x".repeat(200)}…`, candidate: "y" },
      { field: "header:x-api-key", kind: "value", control: "[redacted]", candidate: "[redacted]" },
    ]);
  });
});

describe("default redaction: secrets never stored, with no rules configured", () => {
  it("redacts values under secret-like keys at any depth, and folds keys beneath them", () => {
    const redacted = redactDifferences([
      { field: "body:$.password", kind: "value", control: "hunter2", candidate: "hunter3" },
      { field: "body:$.user.credentials.apiKey", kind: "value", control: "k-1", candidate: "k-2" },
      { field: "body:$.tokens.abcdef123456", kind: "missing", control: "x" },
      { field: "body:$.refresh_token", kind: "extra", candidate: "r" },
      { field: "body:$.author", kind: "value", control: "Ada", candidate: "Grace" },
      { field: "body:$.classname", kind: "value", control: "a", candidate: "b" },
      { field: "body:$.note", kind: "value", control: "card 4111 1111 1111 1111", candidate: "4111 1111 1111 1111" },
      { field: "header:x-api-key", kind: "value", control: "k1", candidate: "k2" },
      { field: "header:x-partner-session", kind: "value", control: "s1", candidate: "s2" },
      { field: "header:content-type", kind: "value", control: "a", candidate: "b" },
    ]);
    expect(redacted).toEqual([
      { field: "body:$.password", kind: "value", control: "[redacted]", candidate: "[redacted]" },
      { field: "body:$.user.credentials", kind: "value", control: "[redacted]", candidate: "[redacted]" },
      { field: "body:$.tokens", kind: "missing", control: "[redacted]" },
      { field: "body:$.refresh_token", kind: "extra", candidate: "[redacted]" },
      { field: "body:$.author", kind: "value", control: "Ada", candidate: "Grace" },
      { field: "body:$.classname", kind: "value", control: "a", candidate: "b" },
      { field: "body:$.note", kind: "value", control: "card 4111 1111 1111 1111", candidate: "[redacted]" },
      { field: "header:x-api-key", kind: "value", control: "[redacted]", candidate: "[redacted]" },
      { field: "header:x-partner-session", kind: "value", control: "[redacted]", candidate: "[redacted]" },
      { field: "header:content-type", kind: "value", control: "a", candidate: "b" },
    ]);
  });

  it("scrubs the request's own credentials wherever a stored value repeats them", () => {
    const secrets = requestSecrets(new Headers({ authorization: "Bearer tok_live_abcdef", cookie: "session=s3cr3t-value; theme=dark" }), "?access_token=qwerty123&page=2");
    const [echoed] = redactDifferences([{ field: "body:$.debug", kind: "value", control: "auth was tok_live_abcdef, q=qwerty123", candidate: "s3cr3t-value" }], DEFAULT_REDACTION, secrets);
    expect(echoed).toEqual({ field: "body:$.debug", kind: "value", control: "auth was [redacted], q=[redacted]", candidate: "[redacted]" });
  });

  it("redacts token-like path segments, secret query values and the route's path rules", () => {
    expect(redactTarget("/reset/Zx8Qm2LpW7rT4vYk9sNb/confirm", "?token=abc&page=2")).toBe("/reset/[redacted]/confirm?token=[redacted]&page=2");
    expect(redactTarget("/users/42/orders/7", "")).toBe("/users/42/orders/7");
    expect(redactTarget("/invite/short", "?code=1234567", compileRedaction(["path:/invite/:code", "query:code"]))).toBe("/invite/[redacted]?code=[redacted]");
  });

  it("applies recursive rules at any depth and counts fields beneath them under the rule", () => {
    const rules = compileRedaction(["body:$..pin", "$.card"]);
    expect(redactDifferences([{ field: "body:$.a.b[3].pin", kind: "value", control: 1234, candidate: 4321 }], rules)).toEqual([
      { field: "body:$..pin", kind: "value", control: "[redacted]", candidate: "[redacted]" },
    ]);
    const stats = emptyStats();
    recordNoise(stats, [{ field: "body:$.card.number", kind: "value" }, { field: "body:$.sessions.s-123.ip", kind: "value" }], rules);
    expect([...stats.noise.keys()].sort()).toEqual(["body:$.card", "body:$.sessions"]);
  });
});
