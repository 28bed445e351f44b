import { describe, expect, it } from "vitest";
import type { Difference } from "../../compare/difference.ts";
import { redactDifferences, requestSecrets } from "../../compare/redact.ts";
import { redactTarget } from "../../compare/scrub-urls.ts";
import { compileRedaction } from "../../compare/secret-names.ts";

const JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ";
const MAGIC = "4f8a9b2c7d6e5f4a3b2c1d0e9f8a7b6c";

/** What a sample would store for one header difference on both sides. */
function storedHeader(name: string, control: string, candidate: string): Difference | undefined {
  return redactDifferences([{ field: `header:${name}`, kind: "value", control, candidate }])[0];
}

describe("default redaction of secrets a response generates", () => {
  it("redacts CSRF tokens and nonces in JSON bodies and headers", () => {
    const redacted = redactDifferences([
      { field: "body:$._csrf", kind: "value", control: "Xk2pQ9", candidate: "Lm4tR7" },
      { field: "body:$.meta.xsrf", kind: "extra", candidate: "abc" },
      { field: "body:$.form.authenticity_token", kind: "value", control: "a1", candidate: "b2" },
      { field: "body:$.nonce", kind: "missing", control: "n-1" },
      { field: "header:x-csrf", kind: "value", control: "c1", candidate: "c2" },
      { field: "header:x-xsrf-token", kind: "value", control: "x1", candidate: "x2" },
    ]);
    expect(redacted).toEqual([
      { field: "body:$._csrf", kind: "value", control: "[redacted]", candidate: "[redacted]" },
      { field: "body:$.meta.xsrf", kind: "extra", candidate: "[redacted]" },
      { field: "body:$.form.authenticity_token", kind: "value", control: "[redacted]", candidate: "[redacted]" },
      { field: "body:$.nonce", kind: "missing", control: "[redacted]" },
      { field: "header:x-csrf", kind: "value", control: "[redacted]", candidate: "[redacted]" },
      { field: "header:x-xsrf-token", kind: "value", control: "[redacted]", candidate: "[redacted]" },
    ]);
  });

  it("redacts OAuth code and state in a Location, on both sides, and keeps where it redirected", () => {
    expect(storedHeader("location", "https://app.example.com/callback?code=abc123&state=xyz789", "https://app.example.com/callback?code=def456&state=uvw000&lang=en")).toEqual({
      field: "header:location",
      kind: "value",
      control: "https://app.example.com/callback?code=[redacted]&state=[redacted]",
      candidate: "https://app.example.com/callback?code=[redacted]&state=[redacted]&lang=en",
    });
    expect(redactDifferences([{ field: "header:location", kind: "extra", candidate: "myapp://oauth/cb?session_state=s1&code=c1" }])).toEqual([
      { field: "header:location", kind: "extra", candidate: "myapp://oauth/cb?session_state=[redacted]&code=[redacted]" },
    ]);
  });

  it("redacts token fragments (the implicit flow) like query parameters", () => {
    const [stored] = redactDifferences([
      { field: "header:location", kind: "missing", control: "https://app.example.com/cb#access_token=ya29.a0AfH6&id_token=x.y.z&expires_in=3599&state=s1" },
    ]);
    expect(stored).toEqual({ field: "header:location", kind: "missing", control: "https://app.example.com/cb#access_token=[redacted]&id_token=[redacted]&expires_in=3599&state=[redacted]" });
    expect(storedHeader("location", "/app#/reset/" + MAGIC, "/app#refresh_token=r1")).toMatchObject({ control: "/app#/reset/[redacted]", candidate: "/app#refresh_token=[redacted]" });
  });

  it("redacts magic-link tokens in a Location path, a JWT among them", () => {
    expect(storedHeader("location", `/login/magic/${MAGIC}`, `https://app.example.com/magic/${JWT}/confirm`)).toMatchObject({
      control: "/login/magic/[redacted]",
      candidate: "https://app.example.com/magic/[redacted]/confirm",
    });
    expect(storedHeader("refresh", `0; url=/login/magic/${MAGIC}`, "0; url=/login")).toMatchObject({ control: "0; url=/login/magic/[redacted]", candidate: "0; url=/login" });
    expect(storedHeader("link", `<https://api.example.com/orders?page=3&token=t1>; rel="next"`, `<https://api.example.com/orders?page=3>; rel="next"`)).toMatchObject({
      control: `<https://api.example.com/orders?page=3&token=[redacted]>; rel="next"`,
      candidate: `<https://api.example.com/orders?page=3>; rel="next"`,
    });
  });

  it("redacts tokens in URLs inside JSON string values, absolute or path-absolute", () => {
    const redacted = redactDifferences([
      { field: "body:$.message", kind: "value", control: `Sign in at https://app.example.com/login/magic/${MAGIC} within 15 minutes.`, candidate: "Sign in at https://app.example.com/login." },
      { field: "body:$.links", kind: "value", control: [`/reset?token=r1&email=a%40b.c`, "/help"], candidate: [`/verify?t=${MAGIC}`] },
      { field: "body:$.html", kind: "extra", candidate: `<a href="/login?next=/reset/${MAGIC}">reset</a>` },
    ]);
    expect(redacted).toEqual([
      { field: "body:$.message", kind: "value", control: "Sign in at https://app.example.com/login/magic/[redacted] within 15 minutes.", candidate: "Sign in at https://app.example.com/login." },
      { field: "body:$.links", kind: "value", control: ["/reset?token=[redacted]&email=a%40b.c", "/help"], candidate: ["/verify?t=[redacted]"] },
      { field: "body:$.html", kind: "extra", candidate: `<a href="/login?next=/reset/[redacted]">reset</a>` },
    ]);
  });

  it("redacts passwords, token users and session parameters inside URLs, and the route's own query and path rules", () => {
    expect(storedHeader("location", "https://deploy:hunter22@git.example.com/repo", "https://ghp_abcdefghijklmnop1234567890@github.com/x")).toMatchObject({
      control: "https://deploy:[redacted]@git.example.com/repo",
      candidate: "https://[redacted]@github.com/x",
    });
    expect(storedHeader("location", "/app/home;jsessionid=8F3A9C;v=2", "/app/home")).toMatchObject({ control: "/app/home;jsessionid=[redacted];v=2" });
    // A URL as a parameter's value is scrubbed too, shown decoded once it had to change.
    expect(storedHeader("location", "https://auth.example.com/authorize?client_id=web&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb%3Fcode%3Dabc", "/")).toMatchObject({
      control: "https://auth.example.com/authorize?client_id=web&redirect_uri=https://app.example.com/cb?code=[redacted]",
    });
    const rules = compileRedaction(["query:partner", "path:/invite/:code"]);
    expect(redactDifferences([{ field: "header:location", kind: "value", control: "/invite/short?partner=acme", candidate: "/invite/other" }], rules)).toEqual([
      { field: "header:location", kind: "value", control: "/invite/[redacted]?partner=[redacted]", candidate: "/invite/[redacted]" },
    ]);
  });

  it("redacts OAuth code and state in the request target, and treats them as the request's secrets", () => {
    expect(redactTarget("/callback", "?code=abc123&state=xyz789&lang=en")).toBe("/callback?code=[redacted]&state=[redacted]&lang=en");
    expect(redactTarget("/callback", "?code=&state=")).toBe("/callback?code=[redacted]&state=[redacted]");
    expect(redactTarget("/verify", `?t=${MAGIC}`)).toBe("/verify?t=[redacted]");
    const code = "SplxlOBeZQQYbYS6WxSbIA";
    expect(requestSecrets(new Headers(), `?code=${code}&state=af0ifjsldkj0123456&page=2`)).toEqual([code, "af0ifjsldkj0123456"]);
    expect(redactDifferences([{ field: "body:$.note", kind: "value", control: `used ${code}`, candidate: "ok" }], undefined, requestSecrets(new Headers(), `?code=${code}`))).toEqual([
      { field: "body:$.note", kind: "value", control: "used [redacted]", candidate: "ok" },
    ]);
  });

  it("does not scrub a short filter word sent as ?state= from the whole sample (an ordinary API's filter, not an OAuth state)", () => {
    const secrets = requestSecrets(new Headers(), "?state=closed&page=2");
    expect(secrets).toEqual([]);
    expect(redactDifferences([{ field: "body:$.issues[0].state", kind: "value", control: "closed", candidate: "open" }], undefined, secrets)).toEqual([
      { field: "body:$.issues[0].state", kind: "value", control: "closed", candidate: "open" },
    ]);
    expect(redactTarget("/issues", "?state=closed")).toBe("/issues?state=[redacted]");
  });

  it("keeps error codes under a JSON key `code` and ordinary URLs as they are", () => {
    const differences: Difference[] = [
      { field: "body:$.code", kind: "value", control: "E_NOT_FOUND", candidate: "E_GONE" },
      { field: "body:$.error.code", kind: "value", control: 404, candidate: 410 },
      { field: "body:$.state", kind: "value", control: "shipped", candidate: "pending" },
      { field: "header:location", kind: "value", control: "/orders/12?page=2", candidate: "/orders/13?page=2" },
      { field: "body:$.next", kind: "value", control: "https://shop.example.com/orders/12?page=2&sort=desc#items", candidate: "https://shop.example.com/orders/12?page=3" },
      { field: "body:$.self", kind: "value", control: "/users/3f2504e0-4f89-11d3-9a0c-0305e82c3301/orders", candidate: "application/json and/or text/html" },
      { field: "header:location", kind: "value", control: "https://auth.example.com/authorize?client_id=web&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcallback", candidate: "/" },
    ];
    expect(redactDifferences(differences)).toEqual(differences);
    expect(redactTarget("/orders/12", "?page=2")).toBe("/orders/12?page=2");
  });

  it("scrubs before cutting, and never keeps the start of a token a long value's cut runs through", () => {
    const [near] = redactDifferences([{ field: "body:$.note", kind: "value", control: `${"x".repeat(160)} https://a.example/cb?code=abcdefghijklmnop`, candidate: "y" }]);
    expect(near?.control).toBe(`${"x".repeat(160)} https://a.example/cb?code=[redacted]`);
    // The first segment collapses to "[redacted]", pulling the one cut at the scan limit into what is kept.
    const long = `https://a.example/${"a1".repeat(2035)}/${MAGIC}${"b2".repeat(1_000_000)}`;
    const [cut] = redactDifferences([{ field: "header:location", kind: "value", control: long, candidate: "/" }]);
    expect(cut?.control).toBe("https://a.example/[redacted]/…");
    const token = `tok_${"k7".repeat(3000)}`;
    const secrets = requestSecrets(new Headers({ authorization: `Bearer ${token}` }), "");
    const [echoed] = redactDifferences([{ field: "body:$.debug", kind: "value", control: `${token} /cb?code=abc`, candidate: "/" }], undefined, secrets);
    expect(echoed?.control).toBe("[redacted] /cb?code=[redacted]");
    const [huge] = redactDifferences([{ field: "body:$.blob", kind: "value", control: `/x?page=2 ${"z".repeat(3_000_000)}`, candidate: "/" }]);
    expect(huge?.control).toBe(`/x?page=2 ${"z".repeat(190)}…`);
  });
});
