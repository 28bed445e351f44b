import { describe, expect, it } from "vitest";
import { compareResponses, compileRules, type Observation } from "../../compare/compare-responses.ts";
import { diffJson } from "../../compare/diff-json.ts";

const encoder = new TextEncoder();

function response(body: unknown, init: { status?: number; headers?: [string, string][]; raw?: boolean } = {}): Observation {
  return {
    status: init.status ?? 200,
    headers: init.headers ?? [["content-type", "application/json"]],
    body: init.raw ? encoder.encode(String(body)) : encoder.encode(JSON.stringify(body)),
    durationMs: 5,
  };
}

describe("diffJson", () => {
  it.each([
    ["equal objects in another key order", { a: 1, b: 2 }, { b: 2, a: 1 }, []],
    ["a changed value", { balance: 10 }, { balance: 12 }, [{ field: "body:$.balance", kind: "value", control: 10, candidate: 12 }]],
    ["a missing field", { plan: "pro", id: 1 }, { id: 1 }, [{ field: "body:$.plan", kind: "missing", control: "pro" }]],
    ["an extra field", { id: 1 }, { id: 1, beta: true }, [{ field: "body:$.beta", kind: "extra", candidate: true }]],
    ["a changed type", { id: 1 }, { id: "1" }, [{ field: "body:$.id", kind: "type", control: 1, candidate: "1" }]],
    ["null against an object", { a: null }, { a: { b: 1 } }, [{ field: "body:$.a", kind: "type", control: null, candidate: "{…1 keys}" }]],
    ["a reordered array", { tags: ["a", "b", "c"] }, { tags: ["c", "a", "b"] }, [{ field: "body:$.tags", kind: "order", control: ["a", "b", "c"], candidate: ["c", "a", "b"] }]],
    [
      "a shorter array with a changed element",
      { items: [{ p: 1 }, { p: 2 }, { p: 3 }] },
      { items: [{ p: 1 }, { p: 5 }] },
      [
        { field: "body:$.items", kind: "length", control: 3, candidate: 2 },
        { field: "body:$.items[1].p", kind: "value", control: 2, candidate: 5 },
      ],
    ],
    ["a key that needs quoting", { "content type": 1 }, { "content type": 2 }, [{ field: 'body:$["content type"]', kind: "value", control: 1, candidate: 2 }]],
  ])("%s", (_name, control, candidate, expected) => {
    expect(diffJson(control, candidate)).toEqual(expected);
  });
});

describe("compareResponses", () => {
  const rules = compileRules(["body:$.meta.requestId", "header:x-version", "body:$.items[*].updatedAt"]);

  it("matches identical responses, ignoring default noise headers", () => {
    const a = response({ id: 1 }, { headers: [["content-type", "application/json"], ["date", "Mon"], ["x-request-id", "a"]] });
    const b = response({ id: 1 }, { headers: [["Content-Type", "application/json"], ["date", "Tue"], ["x-request-id", "b"]] });
    const result = compareResponses(a, b, rules);
    expect(result.differences).toEqual([]);
    expect(result.ignored.map((d) => d.field)).toEqual(["header:date", "header:x-request-id"]);
  });

  it("reports status, header and body differences, and sets ignored ones aside", () => {
    const a = response(
      { id: 1, meta: { requestId: "x" }, items: [{ id: 1, updatedAt: 1 }] },
      { headers: [["content-type", "application/json"], ["x-version", "1"], ["cache-control", "no-store"]] },
    );
    const b = response(
      { id: 2, meta: { requestId: "y" }, items: [{ id: 1, updatedAt: 2 }] },
      { status: 500, headers: [["content-type", "application/json"], ["x-version", "2"], ["etag", '"e"']] },
    );
    const result = compareResponses(a, b, rules);
    // Status and body first (they decide the match), then headers.
    expect(result.differences).toEqual([
      { field: "status", kind: "status", control: 200, candidate: 500 },
      { field: "body:$.id", kind: "value", control: 1, candidate: 2 },
      { field: "header:cache-control", kind: "missing", control: "no-store" },
      { field: "header:etag", kind: "extra", candidate: '"e"' },
    ]);
    expect(result.matched).toBe(false);
    expect(result.ignored.map((d) => d.field)).toEqual(["body:$.meta.requestId", "body:$.items[0].updatedAt", "header:x-version"]);
  });

  it("compares every Set-Cookie header", () => {
    const a = response({}, { headers: [["content-type", "application/json"], ["set-cookie", "a=1"], ["set-cookie", "b=2"]] });
    const b = response({}, { headers: [["content-type", "application/json"], ["set-cookie", "a=1"]] });
    expect(compareResponses(a, b, rules).differences).toEqual([{ field: "header:set-cookie", kind: "value", control: "a=1\nb=2", candidate: "a=1" }]);
  });

  it("compares non-JSON bodies by length and content hash", () => {
    const html = [["content-type", "text/html"]] as [string, string][];
    const result = compareResponses(response("<p>a</p>", { raw: true, headers: html }), response("<p>b!</p>", { raw: true, headers: html }), rules);
    expect(result.differences).toEqual([{ field: "body", kind: "bytes", control: expect.stringMatching(/^8 bytes, fnv1a [0-9a-f]{8}$/), candidate: expect.stringMatching(/^9 bytes/) }]);
  });

  it("compares only status and headers when a body was over the cap", () => {
    const big: Observation = { ...response({}), body: undefined };
    const result = compareResponses(big, response({ other: true }), rules);
    expect(result).toEqual({ differences: [], ignored: [], matched: true, tooLarge: true });
  });
});

describe("diffJson has bounded cost whatever the bodies", () => {
  const nested = (depth: number, leaf: unknown): unknown => (depth === 0 ? leaf : [nested(depth - 1, leaf)]);

  it("compares what lies below the depth limit as one value", () => {
    const differences = diffJson(nested(2000, 1), nested(2000, 2));
    expect(differences).toHaveLength(1);
    expect(differences[0]?.field).toBe(`body:$${"[0]".repeat(32)}`);
    expect(diffJson(nested(2000, { a: 1, b: 2 }), nested(2000, { b: 2, a: 1 }))).toEqual([]);
  });

  it("records at most 100 differences and says the rest was not compared", () => {
    const a = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i]));
    const b = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, -i - 1]));
    const differences = diffJson(a, b);
    expect(differences).toHaveLength(101);
    expect(differences.at(-1)).toMatchObject({ field: "body", kind: "truncated" });
  });

  it("still reports a reordered array, but does not look for reorders in huge ones", () => {
    expect(diffJson([1, 2, 3], [3, 2, 1])).toEqual([{ field: "body:$", kind: "order", control: [1, 2, 3], candidate: [3, 2, 1] }]);
    const big = Array.from({ length: 2000 }, (_, i) => i);
    expect(diffJson(big, [...big].reverse()).some((d) => d.kind === "order")).toBe(false);
  });
});
