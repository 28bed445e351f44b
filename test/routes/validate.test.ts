import { describe, expect, it } from "vitest";
import { acceptStoredTable, isValidatedTable, validateRouteTable, type ValidatedRouteTable, type ValidationIssue } from "../../routes/validate.ts";
import type { RouteTable } from "../../routes/schema.ts";

const backends = {
  legacy: { url: "https://my-app.herokuapp.com" },
  accounts: { url: "https://abc123.lambda-url.us-east-1.on.aws", auth: { type: "aws-iam", region: "us-east-1", service: "lambda" }, timeoutMs: 10000 },
  assets: { url: "https://my-bucket.s3.us-east-1.amazonaws.com", stripPrefix: "/assets" },
};

function withRoutes(routes: unknown[], extra: Record<string, unknown> = {}) {
  return { backends, default: "legacy", routes, ...extra };
}

function issues(input: unknown): readonly ValidationIssue[] {
  const result = validateRouteTable(input);
  if (result.ok) throw new Error("expected the table to be refused");
  return result.error;
}

describe("validateRouteTable", () => {
  it("accepts the DESIGN.md example and freezes it", () => {
    const result = validateRouteTable(
      withRoutes([
        {
          id: "accounts-read",
          match: { path: "/api/accounts/:id", methods: ["GET", "HEAD"] },
          to: { legacy: 75, accounts: 25 },
          sticky: "cookie:session_id",
          fallback: "legacy",
          shadow: { to: "accounts", percent: 100, ignore: ["body:$.meta.requestId", "header:date"] },
        },
        { id: "assets", match: { path: "/assets/*" }, to: "assets" },
      ]),
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(Object.isFrozen(result.value.routes[0]?.match)).toBe(true);
  });

  it("accepts weights in 0.01 steps and zero weights", () => {
    expect(validateRouteTable(withRoutes([{ id: "r", match: { path: "/a" }, to: { legacy: 99.99, accounts: 0.01 } }])).ok).toBe(true);
    expect(validateRouteTable(withRoutes([{ id: "r", match: { path: "/a" }, to: { legacy: 100, accounts: 0 } }])).ok).toBe(true);
    expect(validateRouteTable(withRoutes([{ id: "r", match: { path: "/a" }, to: { legacy: 33.33, accounts: 33.33, assets: 33.34 } }])).ok).toBe(true);
  });

  const refused: [string, unknown, ValidationIssue][] = [
    ["not an object", "routes", { path: "$", message: expect.stringContaining("object") }],
    ["missing backends", { default: "legacy" }, { path: "$.backends", message: expect.stringContaining("required") }],
    ["unknown field", { ...withRoutes([]), extra: 1 }, { path: "$", message: "unknown field 'extra'" }],
    ["unknown default backend", withRoutes([], { default: "heroku" }), { path: "$.default", message: "unknown backend 'heroku' (known: legacy, accounts, assets)" }],
    ["no backends", { backends: {}, default: "legacy" }, { path: "$.backends", message: "must name at least one backend" }],
    [
      "backend URL with a path",
      { backends: { legacy: { url: "https://app.example.com/prod" } }, default: "legacy" },
      { path: "$.backends.legacy.url", message: expect.stringContaining("use addPrefix") },
    ],
    ["backend URL not http", { backends: { legacy: { url: "ftp://app.example.com" } }, default: "legacy" }, { path: "$.backends.legacy.url", message: expect.stringContaining("http(s) origin") }],
    ["backend URL not a URL", { backends: { legacy: { url: "my-app" } }, default: "legacy" }, { path: "$.backends.legacy.url", message: expect.stringContaining("http(s) origin") }],
    ["backend URL with a query", { backends: { legacy: { url: "https://a.example.com?x=1" } }, default: "legacy" }, { path: "$.backends.legacy.url", message: expect.stringContaining("http(s) origin") }],
    ["bad backend name", { backends: { "1legacy": { url: "https://a.example.com" } }, default: "legacy" }, { path: '$.backends["1legacy"]', message: expect.stringContaining("start with a letter") }],
    ["negative timeout", { backends: { legacy: { url: "https://a.example.com", timeoutMs: -1 } }, default: "legacy" }, { path: "$.backends.legacy.timeoutMs", message: expect.any(String) }],
    ["bad region", { backends: { legacy: { url: "https://a.example.com", auth: { type: "aws-iam", region: "mars", service: "lambda" } } }, default: "legacy" }, { path: "$.backends.legacy.auth.region", message: expect.stringContaining("AWS region") }],
    ["unknown backend in to", withRoutes([{ id: "r", match: { path: "/a" }, to: "lambda" }]), { path: "$.routes[0].to", message: expect.stringContaining("unknown backend 'lambda'") }],
    ["unknown backend in weights", withRoutes([{ id: "r", match: { path: "/a" }, to: { legacy: 50, lambda: 50 } }]), { path: "$.routes[0].to.lambda", message: expect.stringContaining("unknown backend 'lambda'") }],
    ["weights not summing to 100", withRoutes([{ id: "r", match: { path: "/a" }, to: { legacy: 75, accounts: 15 } }]), { path: "$.routes[0].to", message: "weights sum to 90, they must sum to 100" }],
    ["weight off the 0.01 grid", withRoutes([{ id: "r", match: { path: "/a" }, to: { legacy: 99.995, accounts: 0.005 } }]), { path: "$.routes[0].to.legacy", message: "weight 99.995 is not a multiple of 0.01" }],
    ["weight above 100", withRoutes([{ id: "r", match: { path: "/a" }, to: { legacy: 150 } }]), { path: "$.routes[0].to.legacy", message: expect.any(String) }],
    ["empty weights", withRoutes([{ id: "r", match: { path: "/a" }, to: {} }]), { path: "$.routes[0].to", message: "must name at least one backend" }],
    ["unknown fallback", withRoutes([{ id: "r", match: { path: "/a" }, to: "accounts", fallback: "heroku" }]), { path: "$.routes[0].fallback", message: expect.stringContaining("unknown backend 'heroku'") }],
    ["unknown fallback.to", withRoutes([{ id: "r", match: { path: "/a" }, to: "accounts", fallback: { to: "heroku" } }]), { path: "$.routes[0].fallback.to", message: expect.stringContaining("unknown backend") }],
    [
      "bad fallback trigger",
      withRoutes([{ id: "r", match: { path: "/a" }, to: "accounts", fallback: { to: "legacy", on: ["4xx"] } }]),
      { path: "$.routes[0].fallback.on[0]", message: 'must be "404" or "error" or "timeout" or "5xx", not the string "4xx"' },
    ],
    ["a misspelt field", withRoutes([{ id: "r", match: { path: "/a", method: ["GET"] }, to: "accounts" }]), { path: "$.routes[0].match", message: "unknown field 'method' (did you mean 'methods'?)" }],
    ["a weight given as a string", withRoutes([{ id: "r", match: { path: "/a" }, to: { legacy: "90", accounts: 10 } }]), { path: "$.routes[0].to.legacy", message: 'must be a number, not the string "90"' }],
    ["a negative timeout", { ...withRoutes([]), backends: { ...backends, accounts: { url: "https://b.example.com", timeoutMs: -5 } } }, { path: "$.backends.accounts.timeoutMs", message: "must be at least 0" }],
    ["a missing route id", withRoutes([{ match: { path: "/a" }, to: "accounts" }]), { path: "$.routes[0].id", message: "is required (a string)" }],
    ["unknown shadow backend", withRoutes([{ id: "r", match: { path: "/a" }, to: "legacy", shadow: { to: "heroku" } }]), { path: "$.routes[0].shadow.to", message: expect.stringContaining("unknown backend") }],
    ["bad shadow ignore rule", withRoutes([{ id: "r", match: { path: "/a" }, to: "legacy", shadow: { to: "accounts", ignore: ["meta.id"] } }]), { path: "$.routes[0].shadow.ignore[0]", message: "must be 'body:$.path', 'header:name' or 'preset:rails'" }],
    ["bad sticky", withRoutes([{ id: "r", match: { path: "/a" }, to: "legacy", sticky: "session" }]), { path: "$.routes[0].sticky", message: expect.any(String) }],
    ["bad method", withRoutes([{ id: "r", match: { path: "/a", methods: ["GET POST"] }, to: "legacy" }]), { path: "$.routes[0].match.methods[0]", message: "must be an HTTP method such as GET" }],
    ["bad host", withRoutes([{ id: "r", match: { path: "/a", host: "API.example.com:443" }, to: "legacy" }]), { path: "$.routes[0].match.host", message: "must be a lower-case host name without port" }],
    ["bad route id", withRoutes([{ id: "my route", match: { path: "/a" }, to: "legacy" }]), { path: "$.routes[0].id", message: expect.any(String) }],
    ["duplicate route id", withRoutes([{ id: "r", match: { path: "/a" }, to: "legacy" }, { id: "r", match: { path: "/b" }, to: "legacy" }]), { path: "$.routes[1].id", message: "duplicate route id 'r' (also routes[0])" }],
    [
      "two routes that tie on a method",
      withRoutes([
        { id: "one", match: { path: "/api/*", methods: ["GET", "HEAD"] }, to: "legacy" },
        { id: "two", match: { path: "/api/*", methods: ["POST", "GET"] }, to: "accounts" },
      ]),
      { path: "$.routes[1].match", message: expect.stringContaining("ties with routes[0] ('one')") },
    ],
    ["pattern without leading slash", withRoutes([{ id: "r", match: { path: "api/*" }, to: "legacy" }]), { path: "$.routes[0].match.path", message: "bad pattern 'api/*': must start with '/'" }],
    ["wildcard in the middle", withRoutes([{ id: "r", match: { path: "/api/*/x" }, to: "legacy" }]), { path: "$.routes[0].match.path", message: "bad pattern '/api/*/x': '*' is allowed only as the last segment" }],
    ["partial wildcard", withRoutes([{ id: "r", match: { path: "/assets/*.js" }, to: "legacy" }]), { path: "$.routes[0].match.path", message: "bad pattern '/assets/*.js': '*' must be a whole segment" }],
    ["bad param name", withRoutes([{ id: "r", match: { path: "/a/:1d" }, to: "legacy" }]), { path: "$.routes[0].match.path", message: "bad pattern '/a/:1d': ':1d' is not a valid parameter name" }],
    ["dot segment", withRoutes([{ id: "r", match: { path: "/a/../b" }, to: "legacy" }]), { path: "$.routes[0].match.path", message: "bad pattern '/a/../b': is not in normalized form (write it as '/b')" }],
    ["encoded unreserved", withRoutes([{ id: "r", match: { path: "/%61pi" }, to: "legacy" }]), { path: "$.routes[0].match.path", message: "bad pattern '/%61pi': is not in normalized form (write it as '/api')" }],
    ["empty segment", withRoutes([{ id: "r", match: { path: "/a//b" }, to: "legacy" }]), { path: "$.routes[0].match.path", message: "bad pattern '/a//b': must not contain an empty segment ('//')" }],
    ["space", withRoutes([{ id: "r", match: { path: "/a b" }, to: "legacy" }]), { path: "$.routes[0].match.path", message: expect.stringContaining("white space") }],
    ["query in pattern", withRoutes([{ id: "r", match: { path: "/a?x=1" }, to: "legacy" }]), { path: "$.routes[0].match.path", message: expect.stringContaining("query") }],
    [
      "two routes that tie",
      withRoutes([
        { id: "one", match: { path: "/api/accounts/:id" }, to: "legacy" },
        { id: "two", match: { path: "/api/accounts/:accountId" }, to: "accounts" },
      ]),
      { path: "$.routes[1].match", message: "ties with routes[0] ('one'): same path pattern, host and methods, so neither is more specific" },
    ],
  ];

  it.each(refused)("refuses %s, naming the field and the reason", (_name, input, expected) => {
    expect(issues(input)).toContainEqual(expected);
  });

  describe("the signed-in user at the edge", () => {
    const session = { type: "rails", cookie: "_app_session" };
    const withIdentity = (name: string, identity: Record<string, unknown>, extra: Record<string, unknown> = { session }) =>
      withRoutes([], { backends: { ...backends, [name]: { ...backends[name as keyof typeof backends], identity } }, ...extra });

    it("takes sticky 'cutover' and 'session:FIELD', defaultSticky, session and identity on a new backend", () => {
      const table = withRoutes(
        [
          { id: "a", match: { path: "/a" }, to: { legacy: 50, accounts: 50 }, sticky: "cutover" },
          { id: "b", match: { path: "/b" }, to: { legacy: 50, accounts: 50 }, sticky: "session:warden.user.user.key" },
          { id: "c", match: { path: "/c" }, to: { legacy: 50, accounts: 50 } },
        ],
        { defaultSticky: "session:user_id", session: { ...session, keyDigest: "sha256" }, backends: { ...backends, accounts: { ...backends.accounts, identity: { fields: ["warden.user.user.key", "email"], ttlSeconds: 30 } } } },
      );
      expect(validateRouteTable(table)).toMatchObject({ ok: true });
    });

    it.each<[string, unknown, ValidationIssue]>([
      ["a route's session sticky without a session", withRoutes([{ id: "r", match: { path: "/a" }, to: { legacy: 50, accounts: 50 }, sticky: "session:user_id" }]), { path: "$.routes[0].sticky", message: expect.stringContaining("needs the table's session") }],
      ["a session defaultSticky without a session", withRoutes([], { defaultSticky: "session:user_id" }), { path: "$.defaultSticky", message: expect.stringContaining("needs the table's session") }],
      ["identity without a session", withIdentity("accounts", { fields: ["user_id"] }, {}), { path: "$.backends.accounts.identity", message: expect.stringContaining("needs the table's session") }],
      ["identity on the default backend", withIdentity("legacy", { fields: ["user_id"] }), { path: "$.backends.legacy.identity", message: expect.stringContaining("'legacy' is the table's default backend: it never receives X-Cutover-Identity") }],
      ["a field that would be a registered claim", withIdentity("accounts", { fields: ["user_id", "exp"] }), { path: "$.backends.accounts.identity.fields[1]", message: "'exp' would be the token's own claim 'exp'" }],
      ["two fields that would be one claim", withIdentity("accounts", { fields: ["user_id", "warden.user.user.key"] }), { path: "$.backends.accounts.identity.fields[1]", message: "'warden.user.user.key' and 'user_id' would both be claim 'user_id'" }],
      ["a session of another type", withRoutes([], { session: { type: "django", cookie: "sessionid" } }), { path: "$.session.type", message: expect.any(String) }],
      ["a bad session field", withRoutes([{ id: "r", match: { path: "/a" }, to: "legacy", sticky: "session:" }], { session }), { path: "$.routes[0].sticky", message: expect.any(String) }],
    ])("refuses %s, naming the field", (_name, input, expected) => {
      expect(issues(input)).toContainEqual(expected);
    });
  });

  it("does not call routes that differ in methods or host a tie", () => {
    const table = withRoutes([
      { id: "any", match: { path: "/api/accounts/:id" }, to: "legacy" },
      { id: "read", match: { path: "/api/accounts/:id", methods: ["GET", "HEAD"] }, to: "accounts" },
      { id: "write", match: { path: "/api/accounts/:id", methods: ["PUT", "DELETE"] }, to: "legacy" },
      { id: "internal", match: { path: "/api/accounts/:id", host: "internal.example.com" }, to: "legacy" },
    ]);
    expect(validateRouteTable(table).ok).toBe(true);
  });

  it("lists every problem at once", () => {
    const found = issues(withRoutes([{ id: "r", match: { path: "a" }, to: { legacy: 10, nope: 10 } }], { default: "nope" }));
    expect(found.map((issue) => issue.path)).toEqual(["$.default", "$.routes[0].match.path", "$.routes[0].to.nope", "$.routes[0].to"]);
  });
});

describe("acceptStoredTable: a table read back that cutover validated before storing it", () => {
  const table = withRoutes([
    { id: "accounts-read", match: { path: "/api/accounts/:id" }, to: { legacy: 75, accounts: 25 }, fallback: { to: "legacy" }, shadow: { to: "accounts" } },
    { id: "assets", match: { path: "/assets/*" }, to: "assets" },
  ]);
  const refused = (input: unknown) => {
    const result = acceptStoredTable(input);
    if (result.ok) throw new Error("expected the table to be refused");
    return result.error;
  };

  it("accepts it as it is, frozen, and brands it validated", () => {
    const result = acceptStoredTable(JSON.parse(JSON.stringify(table)));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value).toEqual(table);
    expect(Object.isFrozen(result.value.routes)).toBe(true);
    expect(isValidatedTable(result.value)).toBe(true);
  });

  it("still refuses what the compiler could not serve: a missing route list, a route without a path, a backend no one defined", () => {
    expect(refused({ ...table, routes: undefined })).toContainEqual({ path: "$.routes", message: "must be an array" });
    expect(refused(withRoutes([{ id: "r", match: {}, to: "legacy" }]))).toContainEqual({ path: "$.routes[0]", message: expect.stringContaining("match.path") });
    expect(refused({ ...table, default: "heroku" })).toContainEqual({ path: "$.default", message: "unknown backend 'heroku'" });
    expect(refused(withRoutes([{ id: "r", match: { path: "/r" }, to: { legacy: 50, lambda: 50 } }]))).toContainEqual({ path: "$.routes[0].to.lambda", message: "unknown backend 'lambda'" });
    expect(refused(withRoutes([{ id: "r", match: { path: "/r" }, to: "legacy", shadow: { to: "ghost" } }]))).toContainEqual({ path: "$.routes[0].shadow.to", message: "unknown backend 'ghost'" });
    expect(refused(withRoutes([{ id: "r", match: { path: "/r" }, to: "legacy", fallback: "ghost" }]))).toContainEqual({ path: "$.routes[0].fallback", message: "unknown backend 'ghost'" });
  });

  it("brands only what passed: a table that skipped validation, or a copy of one that passed, is not taken for one that did", () => {
    const checked = validateRouteTable(table);
    if (!checked.ok) throw new Error("expected a valid table");
    expect(isValidatedTable(checked.value)).toBe(true);
    expect(isValidatedTable(JSON.parse(JSON.stringify(table)))).toBe(false);
    // A change is made on a copy: the copy is a new table, to be validated (control/publish.ts).
    const changed = { ...checked.value, routes: [] };
    expect(isValidatedTable(changed)).toBe(false);
    expect(isValidatedTable(structuredClone(checked.value))).toBe(false);
    // The brand is no field of the table: JSON, keys and equality do not see it.
    expect(Object.keys(checked.value)).toEqual(Object.keys(table));
    expect(JSON.parse(JSON.stringify(checked.value))).toEqual(table);
    // The type says the same (checked by tsc): a copy, or a table that was never validated, is not a ValidatedRouteTable.
    // @ts-expect-error a change made to a validated table
    const copied: ValidatedRouteTable = changed;
    const plain: RouteTable = checked.value;
    // @ts-expect-error a table not known to be validated (narrow it with isValidatedTable)
    const unchecked: ValidatedRouteTable = plain;
    expect([copied, unchecked]).toHaveLength(2);
  });
});

describe("static backends (what the default becomes when legacy is switched off)", () => {
  const gone = { type: "static", status: 410, body: "<h1>gone</h1>" };

  it("accepts a static answer as the default, with legacy kept among the backends", () => {
    const result = validateRouteTable({ backends: { ...backends, gone }, default: "gone", routes: [{ id: "accounts", match: { path: "/api/*" }, to: "accounts", fallback: "gone" }] });
    expect(result.ok).toBe(true);
  });

  it("refuses an origin's fields on a static answer and a static answer's fields on an origin", () => {
    expect(issues({ backends: { ...backends, gone: { ...gone, url: "https://gone.example", timeoutMs: 5 } }, default: "gone", routes: [] })).toEqual([
      { path: "$.backends.gone.url", message: "a static backend is an answer cutover gives itself: it has no origin (leave this out)" },
      { path: "$.backends.gone.timeoutMs", message: "a static backend is an answer cutover gives itself: it has no origin (leave this out)" },
    ]);
    expect(issues({ backends: { legacy: { url: "https://my-app.herokuapp.com", status: 410 } }, default: "legacy", routes: [] })).toEqual([{ path: "$.backends.legacy.status", message: "only a backend of type 'static' has status" }]);
  });

  it("requires a url of every backend but a static one", () => {
    expect(issues({ backends: { legacy: {} }, default: "legacy", routes: [] })).toEqual([{ path: "$.backends.legacy.url", message: "is required: the origin requests are sent to, such as https://my-app.herokuapp.com" }]);
  });

  it("copies nothing to a static answer", () => {
    const found = issues(
      withRoutes(
        [
          { id: "a", match: { path: "/a" }, to: "legacy", shadow: { to: "gone" } },
          { id: "b", match: { path: "/b", methods: ["POST"] }, to: "legacy", dualWrite: { to: "gone" } },
        ],
        { backends: { ...backends, gone } },
      ),
    );
    expect(found.map((issue) => issue.path)).toEqual(["$.routes[0].shadow.to", "$.routes[1].dualWrite.to"]);
  });
});
