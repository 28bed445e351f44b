import { describe, expect, it } from "vitest";
import { didYouMean, nearest } from "../../lib/nearest.ts";

describe("nearest", () => {
  it.each([
    ["method", ["methods", "path", "host"], "methods"],
    ["drak", ["dark", "other"], "dark"],
    ["acounts-read", ["accounts-read", "accounts-write"], "accounts-read"],
    ["Backend", ["backends", "default", "routes"], "backends"],
    ["zzz", ["dark", "other"], undefined],
  ])("%s in %j → %s", (word, candidates, expected) => {
    expect(nearest(word, candidates)).toBe(expected);
  });

  it("phrases a suggestion, or nothing", () => {
    expect(didYouMean("method", ["methods"])).toBe(" (did you mean 'methods'?)");
    expect(didYouMean("q", [])).toBe("");
  });
});
