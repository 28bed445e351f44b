import { describe, expect, it } from "vitest";
import { readCookie, withoutCookie } from "../../lib/cookies.ts";

describe("readCookie", () => {
  it("reads the first cookie of a name and ignores empty values", () => {
    expect(readCookie("a=1; a=2", "a")).toBe("1");
    expect(readCookie("a=; b=2", "a")).toBeUndefined();
    expect(readCookie("ab=1", "a")).toBeUndefined();
    expect(readCookie(null, "a")).toBeUndefined();
  });

  it("reads Cookie lines the runtime joined with ', ' (two lines, or HTTP/2 crumbs)", () => {
    expect(readCookie("session_id=alice, session_id=mallory", "session_id")).toBe("alice");
    expect(readCookie("a=1, cutover_override=t", "cutover_override")).toBe("t");
    expect(readCookie("when=Wed, 21 Oct 2015", "when")).toBe("Wed, 21 Oct 2015");
  });

  it("removes the quotes of a quoted value", () => {
    expect(readCookie('session="abc"; x=1', "session")).toBe("abc");
  });
});

describe("withoutCookie", () => {
  it("drops every cookie of a name and keeps the others as sent", () => {
    expect(withoutCookie("a=1; cutover_override=t; b=2", "cutover_override")).toBe("a=1; b=2");
    expect(withoutCookie("a=1, cutover_override=t", "cutover_override")).toBe("a=1");
    expect(withoutCookie("cutover_override=t; cutover_override=u", "cutover_override")).toBe("");
    expect(withoutCookie("flag; a=1", "a")).toBe("flag");
  });
});
