import { describe, expect, it } from "vitest";
import { normalizePath } from "../../routes/normalize-path.ts";

describe("normalizePath", () => {
  it.each([
    ["/", "/"],
    ["/api/accounts/42", "/api/accounts/42"],
    ["/%61pi/%7Euser", "/api/~user"],
    ["/a%2fb", "/a%2Fb"],
    ["/a%2Fb", "/a%2Fb"],
    ["/caf%c3%a9", "/caf%C3%A9"],
    ["/api/%2E%2E/admin", "/admin"],
    ["/api/%2e/x", "/api/x"],
    ["/a/b/../c", "/a/c"],
    ["/a/./b/.", "/a/b/"],
    ["/a/..", "/"],
    ["/..", "/"],
    ["//api", "//api"],
    ["/a//b/../c", "/a//c"],
    ["/100%", "/100%"],
    ["/%zz", "/%zz"],
    ["/a.b/..c/c..", "/a.b/..c/c.."],
  ])("%s → %s", (input, expected) => {
    expect(normalizePath(input)).toBe(expected);
  });

  it("is idempotent", () => {
    for (const path of ["/%61/%2e%2e/b", "/a%2fb/./c", "//x/../y"]) {
      expect(normalizePath(normalizePath(path))).toBe(normalizePath(path));
    }
  });
});
