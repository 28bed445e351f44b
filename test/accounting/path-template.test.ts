import { afterEach, describe, expect, it, vi } from "vitest";
import { MAX_SEGMENTS, MAX_TEMPLATE_BYTES, pathTemplate, samplePath } from "../../accounting/path-template.ts";
import { MAX_SEGMENT_LENGTH, templateSegment } from "../../accounting/template-segment.ts";

const bytes = (text: string) => new TextEncoder().encode(text).length;
const KB = 1024;

/** `/files/` and one segment: `unit` repeated to `size` characters. */
const oneSegment = (unit: string, size: number) => `/files/${unit.repeat(Math.ceil(size / unit.length)).slice(0, size)}`;

describe("path templates of an attacker's paths", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it.each([
    ["dots and @ alternating (the e-mail pattern's worst case)", oneSegment("a.", 14 * KB - 1) + "@"],
    ["@ and dots (the hashed-file pattern's worst case)", oneSegment("a@a.", 14 * KB)],
    ["a hashed file name with a 14 KB prefix", `/files/${"a".repeat(14 * KB)}.3f9a2b1c.js`],
    ["percent-encoded e-mail shape", oneSegment("%40a.", 14 * KB)],
    ["malformed percent-encoding", oneSegment("%E0%A4%A", 14 * KB)],
  ])("a 14 KB segment of %s is one parameter, and the template stays bounded", (_shape, path) => {
    expect(pathTemplate(path)).toBe("/files/:token");
  });

  it("a segment over the bound becomes a parameter before any regular expression or decoding reads it", () => {
    const tests = vi.spyOn(RegExp.prototype, "test");
    const execs = vi.spyOn(RegExp.prototype, "exec");
    const decodes = vi.spyOn(globalThis, "decodeURIComponent");
    const template = pathTemplate(`/a%40b.co/${"%40a.".repeat(3000)}@x/${"a.".repeat(7000)}3f9a2b1c.js`);
    const inputs = [...tests.mock.calls, ...execs.mock.calls, ...decodes.mock.calls].map(([input]) => String(input));
    vi.restoreAllMocks();
    expect(template).toBe("/:email/:token/:token");
    expect(Math.max(...inputs.map((input) => input.length))).toBeLessThanOrEqual(MAX_SEGMENT_LENGTH);
  });

  it("a path of many segments keeps MAX_SEGMENTS of them and marks the rest", () => {
    expect(pathTemplate("/a".repeat(8 * KB))).toBe(`${"/a".repeat(MAX_SEGMENTS)}/*`);
    expect(pathTemplate("/".repeat(16 * KB))).toBe(`${"/".repeat(MAX_SEGMENTS)}/*`);
  });

  it("long literal segments are cut at the byte bound with the marker, never past it", () => {
    const slug = (i: number) => `${String.fromCharCode(97 + i)}-`.repeat(MAX_SEGMENT_LENGTH / 2); // 64 characters, stays literal
    const path = Array.from({ length: 12 }, (_, i) => `/${slug(i)}`).join("");
    const template = pathTemplate(path);
    expect(bytes(template)).toBeLessThanOrEqual(MAX_TEMPLATE_BYTES);
    expect(template.endsWith("/*")).toBe(true);
    expect(template.startsWith(`/${slug(0)}/${slug(1)}/`)).toBe(true);
  });

  it("a template may be MAX_TEMPLATE_BYTES exactly: a last segment fills it; one before the last leaves room for the marker", () => {
    const slug = (letter: string, length: number) => `${letter}-`.repeat(length / 2);
    const seven = Array.from({ length: 7 }, (_, i) => `/${slug(String.fromCharCode(97 + i), MAX_SEGMENT_LENGTH)}`).join("");
    expect(seven.length).toBe(455);
    // The last segment: 455 + 57 = 512 bytes, kept whole.
    const fills = `${seven}/${slug("x", 56)}`;
    expect(pathTemplate(fills)).toBe(fills);
    expect(bytes(pathTemplate(fills))).toBe(MAX_TEMPLATE_BYTES);
    // Not the last: 455 + 55 = 510, and the marker makes 512.
    const fits = `${seven}/${slug("x", 54)}`;
    expect(pathTemplate(`${fits}/more`)).toBe(`${fits}/*`);
    // Not the last, 512 before the marker: cut before it.
    expect(pathTemplate(`${fills}/more`)).toBe(`${seven}/*`);
  });

  it("every template of a few thousand random and adversarial paths is within the byte bound, printable ASCII, and a cut one ends with the marker", () => {
    let seed = 5;
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const pick = <T,>(items: readonly T[]) => items[Math.floor(random() * items.length)] as T;
    const alphabet = ["a", "Z", "7", ".", "@", "-", "_", "%", "%40", "%20", "%C3%A9", "%E0", "+", "=", "(", ")", " ", "é", "😀", "\u0000", ":", "*", "~"];
    const segmentOf = (): string => {
      switch (Math.floor(random() * 6)) {
        case 0: // a hashed file name with a long prefix
          return `${"app-".repeat(Math.floor(random() * 40))}main.3f9a2b1c${Math.floor(random() * 10)}.js`;
        case 1: // a long slug that stays literal up to the segment bound
          return "ab-".repeat(Math.floor(random() * 30));
        case 2: // a long run of one character
          return pick(alphabet).repeat(Math.floor(random() * 4 * KB));
        default:
          return Array.from({ length: Math.floor(random() * 90) }, () => pick(alphabet)).join("");
      }
    };
    for (let i = 0; i < 3000; i++) {
      const segments = Array.from({ length: 1 + Math.floor(random() * 14) }, segmentOf);
      const path = `/${segments.join("/")}`;
      const template = pathTemplate(path);
      expect(bytes(template), path).toBeLessThanOrEqual(MAX_TEMPLATE_BYTES);
      expect(template, path).toMatch(/^[\x21-\x7e]*$/);
      // Each segment kept is that segment's own template; a template that is not the whole
      // path's ends with the marker.
      const whole = segments.map(templateSegment);
      const kept = template.split("/").slice(1);
      if (kept.length === whole.length && kept.every((segment, index) => segment === whole[index])) continue;
      expect(kept.pop(), path).toBe("*");
      expect(kept.length, path).toBeLessThan(whole.length);
      expect(kept, path).toEqual(whole.slice(0, kept.length));
    }
  });
});

describe("path templates keep no personal data", () => {
  it.each([
    // Tokens: mixed letters and digits, mixed case, long letter runs, JWTs, base64(url)
    ["/reset/Zx8Qm2LpW7rT4vYk9sNb", "/reset/:token"],
    ["/reset/AbCdEfGhIjKlMnOpQrStUvWx", "/reset/:token"],
    ["/reset/kqzvhxpwmtrnbjlcfgdsyqwe", "/reset/:token"],
    ["/reset/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln", "/reset/:token"],
    ["/reset/dGhpcyBpcyBh_c2VjcmV0-dG9rZW4", "/reset/:token"],
    ["/reset/YWJjZGVmZ2hpamtsbW5vcA==", "/reset/:token"],
    ["/exports/Zx8Qm2LpW7rT4vYk9sNb.csv", "/exports/:token"],
    [`/reset/${"x".repeat(MAX_SEGMENT_LENGTH + 1)}`, "/reset/:token"],
    // E-mail addresses
    ["/users/ada%40example.com/profile", "/users/:email/profile"],
    ["/unsubscribe/jane.doe+news@mail.example.co.uk", "/unsubscribe/:email"],
    // Phone numbers
    ["/call/+15551234567", "/call/:phone"],
    ["/call/%2B15551234567", "/call/:phone"],
    ["/call/555-123-4567", "/call/:phone"],
    ["/call/555.123.4567", "/call/:phone"],
    ["/call/%28555%29%20123-4567", "/call/:phone"],
    ["/call/%2B44%2020%207946%200958", "/call/:phone"],
    // Digit runs of 6+ inside a segment, and longer numbers with separators (a card)
    ["/invoices/invoice-20261234", "/invoices/:id"],
    ["/orders/order123456/items", "/orders/:id/items"],
    ["/cards/4111-1111-1111-1111", "/cards/:id"],
    // Free text: names, search terms
    ["/people/Jane%20Doe", "/people/:text"],
    ["/people/Jos%C3%A9", "/people/:text"],
    ["/people/Jos%C3%A9.json", "/people/:text"],
    ["/search/jane+doe", "/search/:text"],
    // Addresses
    ["/geo/192.168.1.1", "/geo/:ip"],
  ])("%s → %s", (path, template) => {
    expect(pathTemplate(path)).toBe(template);
  });

  it("a session token is now `:token` (it was `:id`: ids are numbers, UUIDs and hex)", () => {
    expect(pathTemplate("/sessions/Zx8Qm2LpW7rT4vYk9sNb")).toBe("/sessions/:token");
  });

  it.each([
    ["/orders", "/orders"],
    ["/api/v2/accounts", "/api/v2/accounts"],
    ["/assets/app.3f9a2b1c.js", "/assets/app.:hash.js"],
    ["/assets/main.Ab3_dE-fGh1JkLmNo.css", "/assets/main.:hash.css"],
    ["/assets/logo.png", "/assets/logo.png"],
    ["/wp-login.php", "/wp-login.php"],
    ["/.well-known/openid-configuration", "/.well-known/openid-configuration"],
    ["/blog/How-To-Migrate-From-Heroku-To-AWS", "/blog/How-To-Migrate-From-Heroku-To-AWS"],
    ["/api/getUserProfileSettings", "/api/getUserProfileSettings"],
    ["/internationalization", "/internationalization"],
    ["/docs/v1.2.3/index.html", "/docs/v1.2.3/index.html"],
    ["/auth/oauth2/2fa", "/auth/oauth2/2fa"],
    ["/npm/@babel/core", "/npm/@babel/core"],
    ["/reports/2026-11-25T17:20:00Z", "/reports/:date"],
  ])("an ordinary segment stays as it is: %s → %s", (path, template) => {
    expect(pathTemplate(path)).toBe(template);
  });

  it("a month is now `:date` (it was kept as it came)", () => {
    expect(pathTemplate("/reports/2026-11")).toBe("/reports/:date");
  });

  it("a file hash after the last `-` keeps the whole name before it: `chunk-vendors.:hash.js` (it was `chunk.:hash.js`)", () => {
    expect(pathTemplate("/assets/chunk-vendors-3f9a2b1c.js")).toBe("/assets/chunk-vendors.:hash.js");
  });

  it("every parameter's sample path templates back to the same template", () => {
    const templates = ["/a/:id", "/a/:date", "/a/:email", "/a/:phone", "/a/:ip", "/a/:text", "/a/:token", "/a/app.:hash.js"];
    for (const template of templates) {
      const sample = samplePath(template);
      expect(sample, template).not.toContain(":");
      expect(pathTemplate(sample), sample).toBe(template);
    }
    expect(samplePath("/a/b/c/d/e/f/g/h/*")).toBe("/a/b/c/d/e/f/g/h/x");
    expect(samplePath("/constructor/:id/toString")).toBe("/constructor/1/toString");
  });
});
