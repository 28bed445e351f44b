import { describe, expect, it } from "vitest";
import { pathTemplate, samplePath } from "../../accounting/path-template.ts";
import { templateSegment } from "../../accounting/template-segment.ts";

/**
 * One segment of the migration map at the edges of each rule: the shortest hex that is an id,
 * the fewest digits that make a phone number, the shortest token, the longest extension —
 * what every viewer of the map sees, and what is kept of a path for the retention period.
 */
describe("a segment at the edges of its rule", () => {
  it.each([
    // Ids: 12+ hex digits (either case), a UUID with its dashes, a run of 6+ digits anywhere.
    ["9f8e7d6c5b4a", ":id"],
    ["9F8E7D6C5B4A", ":id"],
    ["f81d4fae-7dec-11d0-a765-00a0c91e6bf6", ":id"],
    ["F81D4FAE-7DEC-11D0-A765-00A0C91E6BF6", ":id"],
    ["inv123456-a1", ":id"],
    ["123-456", ":id"],
    ["+1234567890123456", ":id"],
    // Phone numbers: 7 to 15 digits with phone punctuation.
    ["555-1234", ":phone"],
    ["+123456789012345", ":phone"],
    // Addresses, dates (a time without its Z too).
    ["1.2.3.4", ":ip"],
    ["2026-11-25T17:20:00", ":date"],
    // Free text: a control character or DEL, decoded.
    ["%1F", ":text"],
    ["a%7Fb", ":text"],
    // Tokens: 16 of the base64url alphabet mixing letters and digits, or cases at random; with an extension of up to 8.
    ["Zx8Qm2LpW7rT4vYk", ":token"],
    ["AbCdEfGhIjKlMnOp", ":token"],
    ["Zx8Qm2LpW7rT4vYk9sNb.archive", ":token"],
    ["Zx8Qm2LpW7rT4vYk9sNb.manifest", ":token"],
    // E-mail addresses, whatever the case and the letters of the domain.
    ["ada@example.ca", ":email"],
    ["ada@example.biz", ":email"],
    ["ADA@EXAMPLE.CA", ":email"],
    ["ADA@EXAMPLE.BIZ", ":email"],
  ])("%s → %s", (segment, template) => {
    expect(templateSegment(segment)).toBe(template);
  });

  it.each([
    // Words and numbers that are not personal stay as they are.
    ["ABCDEFGHIJKL", "upper-case letters past F are no hex"],
    ["ppppQppppQppppQppp", "a capital every few letters is a word's, not a token's mixed case"],
    ["10-12", "a range of small numbers"],
    ["v2026-11-25", "a version that ends in a date"],
    ["1.2.3.4.5", "a version number, not an address"],
    ["eyJunk", "a word that only starts like a JWT"],
    ["*", "a literal star"],
    ["app.deadbeef.js", "a hex word without a digit is no hash"],
    ["3f9a2b1c.js", "a file named by its hash alone"],
    ["main2.AbcdEfghIjklMnop.css", "letters without a digit after the separator are no hash"],
  ])("%s stays (%s)", (segment) => {
    expect(templateSegment(segment)).toBe(segment);
  });
});

describe("a hashed file name", () => {
  it.each([
    // Hex of 8+ with a digit after the last `.` or `-`, from the second character on.
    ["a.3f9a2b1c.js", "a.:hash.js"],
    ["app.abcdef0a.js", "app.:hash.js"],
    ["app.abcdef9a.js", "app.:hash.js"],
    ["app.3f9a2b1c.manifest", "app.:hash.manifest"],
    // 16+ of the base64url alphabet with a digit, after the separator nearest to the extension.
    ["main.Ab3_dE-fGh1JkLmN.css", "main.:hash.css"],
    ["app-x.Ab3_dE-fGh1JkLmN.css", "app-x.:hash.css"],
    ["vendors-Ab3dEfGh1JkLmNoPq.js", "vendors.:hash.js"],
  ])("%s → %s", (segment, template) => {
    expect(templateSegment(segment)).toBe(template);
  });
});

describe("a template's sample path", () => {
  it("keeps a literal `*` in the middle of a path: only the marker at the end stands for the rest", () => {
    const template = pathTemplate("/files/*/readme");
    expect(template).toBe("/files/*/readme");
    expect(samplePath(template)).toBe("/files/*/readme");
    expect(samplePath("/files/:id/*")).toBe("/files/1/x");
  });
});
