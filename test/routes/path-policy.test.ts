import { describe, expect, it } from "vitest";
import { applyPathPolicy, DEFAULT_PATH_POLICY, rawPathOf, type PathPolicy } from "../../routes/path-policy.ts";

const normalized = (raw: string, policy: Partial<PathPolicy> = {}) => applyPathPolicy(raw, { ...DEFAULT_PATH_POLICY, ...policy });

describe("the paths policy, defaults", () => {
  it.each([
    ["/", "/"],
    ["/api/accounts/42", "/api/accounts/42"],
    ["//api/accounts/1", "/api/accounts/1"],
    ["/api//accounts///1", "/api/accounts/1"],
    ["/api/accounts/1/", "/api/accounts/1/"],
    ["/%61pi/%7Euser", "/api/~user"],
    ["/api/%2e%2e/admin", "/admin"],
    ["/api/%2E/x", "/api/x"],
    ["/a/b/../c", "/a/c"],
    ["/..", "/"],
    ["/caf%c3%a9", "/caf%C3%A9"],
    ["/a%20b", "/a%20b"],
    ["/a b", "/a%20b"],
    ["/é", "/%C3%A9"],
    ["/a.b/..c/c..", "/a.b/..c/c.."],
    ["/a%3Fb", "/a%3Fb"],
  ])("%s → %s", (raw, expected) => {
    expect(normalized(raw)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ["/api/a%2Fb", "encoded_slash", "encodedSlash"],
    ["/api/a%2fb", "encoded_slash", "encodedSlash"],
    ["/api/a%5Cb", "encoded_slash", "encodedSlash"],
    ["/api\\accounts", "backslash", "backslash"],
    ["/api/accounts;x=1/1", "path_parameters", "pathParameters"],
    ["/api/..;/admin", "path_parameters", "pathParameters"],
    ["/100%", "invalid_encoding", "invalidEncoding"],
    ["/%zz", "invalid_encoding", "invalidEncoding"],
    ["/%C0%AE%C0%AE/admin", "invalid_encoding", "invalidEncoding"],
    ["/%ff", "invalid_encoding", "invalidEncoding"],
    ["/%252e%252e/admin", "double_encoding", "doubleEncoding"],
    ["/a%00b", "nul", "nul"],
  ])("refuses %s (%s) by default, naming the knob %s", (raw, reason, knob) => {
    expect(normalized(raw)).toMatchObject({ ok: false, error: { reason, knob, detail: expect.stringContaining("The request path contains") } });
  });

  it.each([
    ["/api/a%2fb", { encodedSlash: "keep" }, "/api/a%2Fb"],
    ["/api\\accounts", { backslash: "keep" }, "/api%5Caccounts"],
    ["/a;x=1/b", { pathParameters: "keep" }, "/a;x=1/b"],
    ["/100%", { invalidEncoding: "keep" }, "/100%"],
    ["/%C0%AE", { invalidEncoding: "keep" }, "/%C0%AE"],
    ["/%252e", { doubleEncoding: "keep" }, "/%252e"],
    ["/a%00", { nul: "keep" }, "/a%00"],
    ["//a//b", { mergeSlashes: false }, "//a//b"],
  ] as const)("keeps %s when %o", (raw, policy, expected) => {
    expect(normalized(raw, policy)).toEqual({ ok: true, value: expected });
  });

  it("is idempotent", () => {
    for (const raw of ["/%61/%2e%2e/b", "/a/./c", "//x/../y", "/caf%c3%a9/"]) {
      const once = normalized(raw);
      if (!once.ok) throw new Error(raw);
      expect(normalized(once.value)).toEqual(once);
    }
  });
});

describe("rawPathOf", () => {
  it("takes the path of request.url exactly as sent, without the query", () => {
    expect(rawPathOf("https://shop.example.com/a\\b/%2e%2e/x;y?q=1/2")).toBe("/a\\b/%2e%2e/x;y");
    expect(rawPathOf("https://shop.example.com")).toBe("/");
    expect(rawPathOf("http://h:8787/x#frag")).toBe("/x");
  });
});
