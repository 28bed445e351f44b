import { describe, expect, it } from "vitest";
import { compileMatcher, type MatcherEntry, type RouteMatcher } from "../../routes/matcher.ts";
import { parsePattern } from "../../routes/path-pattern.ts";
import { compileLinearMatcher } from "../../fixtures/linear-matcher.ts";

type Spec = { id: string; path: string; methods?: string[]; host?: string };

function entries(specs: Spec[]): MatcherEntry<string>[] {
  return specs.map((spec) => {
    const segments = parsePattern(spec.path);
    if (!segments.ok) throw new Error(`${spec.path}: ${segments.error}`);
    return { pattern: spec.path, methods: spec.methods, host: spec.host, value: spec.id };
  });
}

const table: Spec[] = [
  { id: "root", path: "/" },
  { id: "everything", path: "/*" },
  { id: "api", path: "/api/*" },
  { id: "accounts", path: "/api/accounts" },
  { id: "accounts-slash", path: "/api/accounts/" },
  { id: "account", path: "/api/accounts/:id" },
  { id: "account-read", path: "/api/accounts/:id", methods: ["GET", "HEAD"] },
  { id: "me", path: "/api/accounts/me" },
  { id: "account-orders", path: "/api/accounts/:id/orders" },
  { id: "any-orders", path: "/api/:kind/:id/orders" },
  { id: "account-files", path: "/api/accounts/:id/files/*" },
  { id: "internal", path: "/api/accounts/:id", host: "internal.example.com" },
  { id: "encoded", path: "/files/a%2Fb" },
];

// [method, host, path, expected route]
const cases: [string, string, string, string | undefined][] = [
  ["GET", "a.com", "/", "root"],
  ["GET", "a.com", "/about", "everything"],
  ["GET", "a.com", "/api", "api"],
  ["GET", "a.com", "/api/", "api"],
  ["GET", "a.com", "/api/accounts", "accounts"],
  ["GET", "a.com", "/api/accounts/", "accounts-slash"],
  ["GET", "a.com", "/api/accounts/42", "account-read"],
  ["HEAD", "a.com", "/api/accounts/42", "account-read"],
  ["DELETE", "a.com", "/api/accounts/42", "account"],
  ["get", "a.com", "/api/accounts/42", "account-read"],
  ["GET", "a.com", "/api/accounts/me", "me"],
  ["GET", "a.com", "/api/accounts/42/orders", "account-orders"],
  ["GET", "a.com", "/api/users/42/orders", "any-orders"],
  ["GET", "a.com", "/api/accounts/me/orders", "account-orders"],
  ["GET", "a.com", "/api/accounts/42/files", "account-files"],
  ["GET", "a.com", "/api/accounts/42/files/a/b.txt", "account-files"],
  ["GET", "a.com", "/api/accounts/42/other", "api"],
  ["GET", "internal.example.com", "/api/accounts/42", "internal"],
  ["GET", "a.com", "/files/a%2Fb", "encoded"],
  ["GET", "a.com", "/files/a/b", "everything"],
  ["GET", "a.com", "//api/accounts", "everything"],
];

function suite(name: string, compile: <R>(entries: readonly MatcherEntry<R>[]) => RouteMatcher<R>) {
  describe(name, () => {
    const matcher = compile(entries(table));
    it.each(cases)("%s %s%s → %s", (method, host, path, expected) => {
      expect(matcher.match(method, host, path)).toBe(expected);
    });

    it("returns undefined when nothing matches", () => {
      const narrow = compile(entries([{ id: "a", path: "/a/:id", methods: ["GET"] }]));
      expect(narrow.match("GET", "h", "/b")).toBeUndefined();
      expect(narrow.match("GET", "h", "/a/")).toBeUndefined();
      expect(narrow.match("GET", "h", "/a")).toBeUndefined();
      expect(narrow.match("POST", "h", "/a/1")).toBeUndefined();
    });

    it("lets a wildcard match the bare prefix", () => {
      const assets = compile(entries([{ id: "assets", path: "/assets/*" }]));
      expect(assets.match("GET", "h", "/assets")).toBe("assets");
      expect(assets.match("GET", "h", "/assetsx")).toBeUndefined();
    });

    it("backtracks from a literal branch that fails on a later segment", () => {
      const specs = [
        { id: "lit", path: "/a/b/c", methods: ["POST"] },
        { id: "param", path: "/a/:x/c" },
      ];
      const m = compile(entries(specs));
      expect(m.match("GET", "h", "/a/b/c")).toBe("param");
      expect(m.match("POST", "h", "/a/b/c")).toBe("lit");
    });
  });
}

suite("trie matcher", compileMatcher);
suite("linear reference matcher", compileLinearMatcher);

describe("HEAD and trailing slashes", () => {
  const matcher = (options?: Parameters<typeof compileMatcher>[1]) =>
    compileMatcher(
      entries([
        { id: "read", path: "/a/:id", methods: ["GET"] },
        { id: "any", path: "/a/:id" },
        { id: "rest", path: "/a/*" },
        { id: "head", path: "/b", methods: ["HEAD"] },
        { id: "get", path: "/b", methods: ["GET"] },
      ]),
      options,
    );

  it("sends HEAD to the route listing GET (RFC 9110: HEAD is GET without a body), unless one lists HEAD", () => {
    expect(matcher().match("HEAD", "h", "/a/1")).toBe("read");
    expect(matcher().match("POST", "h", "/a/1")).toBe("any");
    expect(matcher().match("HEAD", "h", "/b")).toBe("head");
    expect(matcher().match("GET", "h", "/b")).toBe("get");
  });

  it("reads a trailing slash as the end of the path only under trailingSlash: either", () => {
    expect(matcher().match("GET", "h", "/a/1/")).toBe("rest");
    expect(matcher({ trailingSlash: "either" }).match("GET", "h", "/a/1/")).toBe("read");
    expect(matcher({ trailingSlash: "either" }).match("GET", "h", "/a/1/x")).toBe("rest");
  });
});

describe("trie matcher agrees with the reference on random tables", () => {
  it("matches 20 000 random requests against 300 random routes identically", () => {
    let seed = 42;
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const words = ["api", "v1", "v2", "accounts", "orders", "files", "me", "admin", "x"];
    // Disjoint method sets: two routes of one pattern tie only if both list a common method.
    const methodSets = [undefined, ["GET"], ["POST"], ["PUT", "DELETE"], ["HEAD"]];
    const specs: Spec[] = [];
    const seen = new Set<string>();
    while (specs.length < 300) {
      const depth = 1 + Math.floor(random() * 4);
      const parts = Array.from({ length: depth }, (_, i) => {
        const roll = random();
        if (i === depth - 1 && roll < 0.15) return "*";
        return roll < 0.35 ? `:p${i}` : pick(words);
      });
      // Some patterns end with a slash (a literal "" segment under trailingSlash "exact").
      const path = parts.at(-1) !== "*" && random() < 0.15 ? `/${parts.join("/")}/` : `/${parts.join("/")}`;
      const methods = pick(methodSets);
      const key = `${path.replace(/:p\d/g, ":")} ${methods?.join(",") ?? "*"}`;
      if (seen.has(key)) continue;
      seen.add(key);
      specs.push({ id: `r${specs.length}`, path, methods });
    }
    specs.push({ id: "root", path: "/" });
    const trie = compileMatcher(entries(specs));
    const linear = compileLinearMatcher(entries(specs));
    for (let i = 0; i < 20_000; i++) {
      const depth = Math.floor(random() * 6);
      const path = `/${Array.from({ length: depth }, () => (random() < 0.1 ? "" : pick([...words, "42", "zz"]))).join("/")}`;
      const method = pick(["GET", "POST", "HEAD", "DELETE"]);
      expect(trie.match(method, "h", path), `${method} ${path}`).toBe(linear.match(method, "h", path));
    }
  });
});

describe("trailing slashes and the root pattern, read segment by segment", () => {
  const specs: Spec[] = [
    { id: "root", path: "/" },
    { id: "docs", path: "/docs/" },
    { id: "doc", path: "/docs/:id" },
    { id: "assets", path: "/a/*" },
  ];
  const exact = compileMatcher(entries(specs));
  const either = compileMatcher(entries(specs), { trailingSlash: "either" });

  it("under exact: a pattern's trailing slash is one more (empty) segment", () => {
    expect(exact.match("GET", "h", "/")).toBe("root");
    expect(exact.match("GET", "h", "/docs/")).toBe("docs");
    expect(exact.match("GET", "h", "/docs")).toBeUndefined();
    expect(exact.match("GET", "h", "/docs/1")).toBe("doc");
    expect(exact.match("GET", "h", "/docs/1/")).toBeUndefined();
    expect(exact.match("GET", "h", "/a")).toBe("assets");
    expect(exact.match("GET", "h", "/a/")).toBe("assets");
  });

  it("under either: /docs/ is /docs, and a request's trailing slash may end its path (never the root's)", () => {
    expect(either.match("GET", "h", "/")).toBe("root");
    expect(either.match("GET", "h", "/docs")).toBe("docs");
    expect(either.match("GET", "h", "/docs/")).toBe("docs");
    expect(either.match("GET", "h", "/docs/1/")).toBe("doc");
    expect(either.match("GET", "h", "/a/")).toBe("assets");
    expect(either.match("GET", "h", "/b/")).toBeUndefined();
  });
});
