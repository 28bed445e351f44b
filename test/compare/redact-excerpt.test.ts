import { describe, expect, it } from "vitest";
import { redactExcerpt } from "../../compare/redact-excerpt.ts";
import { requestSecrets } from "../../compare/redact.ts";
import { compileRedaction } from "../../compare/secret-names.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ";

describe("the start of a response body as an example keeps it", () => {
  it("keeps a JSON body read whole, its secret-like keys' values redacted at any depth, the rest readable", () => {
    const body = JSON.stringify({ id: "from-new", error: "conflict", session: { id: "s-1", user: 7 }, items: [{ access_token: "abc", name: "Ada" }], cvv: 123 });
    expect(JSON.parse(redactExcerpt(bytes(body), { complete: true, maxBytes: 512 }))).toEqual({
      id: "from-new",
      error: "conflict",
      session: "[redacted]",
      items: [{ access_token: "[redacted]", name: "Ada" }],
      cvv: "[redacted]",
    });
  });

  it("redacts the route's body rules, card numbers (as text or number), the request's own credentials and secrets in URLs", () => {
    const authorization = `Bearer ${JWT}`;
    const secrets = requestSecrets(new Headers({ authorization }), "?api_key=k-0123456789");
    const body = JSON.stringify({
      account: { pin: "1234", nickname: "Ada" },
      ssnLike: { last4: "6789" },
      card: "x",
      number: 4111111111111111,
      text: "4111 1111 1111 1111",
      echo: `you sent ${JWT}`,
      key: "k-0123456789 again",
      next: "https://app.example.com/reset?code=s3cr3t-code-value&lang=en",
    });
    const redacted = JSON.parse(redactExcerpt(bytes(body), { complete: true, maxBytes: 2048, redaction: compileRedaction(["body:$.ssnLike"]), secrets })) as Record<string, unknown>;
    expect(redacted).toEqual({
      account: { pin: "[redacted]", nickname: "Ada" },
      ssnLike: "[redacted]",
      card: "[redacted]",
      number: "[redacted]",
      text: "[redacted]",
      echo: "you sent [redacted]",
      key: "[redacted] again",
      next: "https://app.example.com/reset?code=[redacted]&lang=en",
    });
  });

  it("scrubs text and JSON the read cut off: secret-like pairs and parameters, card numbers, credentials", () => {
    const cutJson = '{"id":"x1","password":"hunter2","note":"card 4111-1111-1111-1111","token":"abc';
    expect(redactExcerpt(bytes(cutJson), { complete: false, maxBytes: 512 })).toBe('{"id":"x1","password":"[redacted]","note":"card [redacted]","token":"[redacted]"');
    const form = "user=ada&password=hunter2&remember=1";
    expect(redactExcerpt(bytes(form), { complete: true, maxBytes: 512 })).toBe("user=ada&password=[redacted]&remember=1");
    const html = `<p>Error for session 12345678 at /reset/${JWT}</p>`;
    expect(redactExcerpt(bytes(html), { complete: true, maxBytes: 512, secrets: ["12345678"] })).toBe("<p>Error for session [redacted] at /reset/[redacted]</p>");
  });

  it("keeps at most maxBytes of UTF-8, cut before a character, never through it", () => {
    const text = `${"a".repeat(510)}éé`;
    const excerpt = redactExcerpt(bytes(text), { complete: true, maxBytes: 512 });
    expect(excerpt).toBe(`${"a".repeat(510)}é…`);
    expect(redactExcerpt(bytes("short"), { complete: true, maxBytes: 512 })).toBe("short");
    // A JSON body is cut after it is redacted: no secret comes back through the cut.
    const json = JSON.stringify({ password: "p".repeat(600), name: "Ada" });
    expect(redactExcerpt(bytes(json), { complete: true, maxBytes: 512 })).toBe('{"password":"[redacted]","name":"Ada"}');
  });

  it("keeps no bytes that are not UTF-8 text; a read cut inside a character loses only that character", () => {
    expect(redactExcerpt(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0xff, 0x00]), { complete: true, maxBytes: 512 })).toBe("[6 bytes, not UTF-8 text]");
    const cut = bytes("prix: 5 €").subarray(0, 10); // the euro sign's first two bytes of three
    expect(redactExcerpt(cut, { complete: false, maxBytes: 512 })).toBe("prix: 5 ");
  });
});
