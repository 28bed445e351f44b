import { describe, expect, it } from "vitest";
import { generateTable, samplePaths } from "../../fixtures/big-table.ts";
import { compileTable } from "../../routes/compile.ts";
import type { RouteTable } from "../../routes/schema.ts";
import { acceptStoredLines, findRoute, lazyRoutesOf, routeIds, tableLines } from "../../routes/table-lines.ts";
import { isValidatedTable, validateRouteTable } from "../../routes/validate.ts";

const backends = {
  legacy: { url: "https://my-app.herokuapp.com" },
  accounts: { url: "https://abc123.lambda-url.us-east-1.on.aws", timeoutMs: 10000 },
};

function valid(input: unknown): RouteTable {
  const result = validateRouteTable(input);
  if (!result.ok) throw new Error(JSON.stringify(result.error));
  return result.value;
}

const table = valid({
  paths: { trailingSlash: "either" },
  backends,
  default: "legacy",
  routes: [
    // Keys in an unusual order: the stored line puts id and match (path, methods, host) first.
    { to: { legacy: 75, accounts: 25 }, match: { host: "api.example.com", methods: ["GET", "HEAD"], path: "/api/accounts/:id" }, id: "accounts-read", shadow: { to: "accounts" } },
    { id: "accounts-any", match: { path: "/api/accounts/:id" }, to: "legacy", fallback: { to: "legacy" } },
    { id: "docs", match: { path: "/docs/" }, to: "accounts" },
    { id: "assets", match: { path: "/assets/*", methods: ["GET"] }, to: "accounts" },
  ],
});

function read(text: string): RouteTable {
  const result = acceptStoredLines(text);
  if (result === undefined) throw new Error("not read as lines");
  if (!result.ok) throw new Error(JSON.stringify(result.error));
  return result.value;
}

describe("a route table stored one route per line", () => {
  it("is JSON any release reads whole, with the table's other fields on the first line and a route on each line after", () => {
    const text = tableLines(table);
    expect(JSON.parse(text)).toEqual(table);
    const lines = text.split("\n");
    expect(lines).toHaveLength(table.routes.length + 2);
    expect(lines[1]).toMatch(/^\{"id":"accounts-read","match":\{"path":"\/api\/accounts\/:id","methods":\["GET","HEAD"\],"host":"api.example.com"\},/);
    expect(lines.at(-1)).toBe("]}");
  });

  it("reads back equal to the table, frozen and branded validated", () => {
    const back = read(tableLines(table));
    expect(back).toEqual(table);
    expect(JSON.parse(JSON.stringify(back))).toEqual(table);
    expect(Object.isFrozen(back)).toBe(true);
    expect(Object.isFrozen(back.routes)).toBe(true);
    expect(Object.isFrozen(back.routes[0]?.match)).toBe(true);
    expect(isValidatedTable(back)).toBe(true);
    expect(read(tableLines(valid({ backends, default: "legacy", routes: [] }))).routes).toEqual([]);
  });

  it("routes a lazily read 10 000-route table exactly as the validated table, method and host included", () => {
    const big = valid(generateTable(10_000));
    const lazy = read(tableLines(big));
    const whole = compileTable(big, 1).matcher;
    const fromLines = compileTable(lazy, 1).matcher;
    for (const [index, path] of samplePaths(3000, 10_000).entries()) {
      const method = ["GET", "HEAD", "POST"][index % 3] as string;
      expect(fromLines.match(method, "h", path)?.id, `${method} ${path}`).toBe(whole.match(method, "h", path)?.id);
    }
    const small = compileTable(read(tableLines(table)), 2).matcher;
    expect(small.match("GET", "api.example.com", "/api/accounts/7")?.id).toBe("accounts-read");
    expect(small.match("GET", "other.example.com", "/api/accounts/7")?.id).toBe("accounts-any");
    expect(small.match("POST", "api.example.com", "/api/accounts/7")?.id).toBe("accounts-any");
    expect(small.match("GET", "h", "/docs")).toMatchObject({ id: "docs", slashEnd: true });
    expect(small.match("HEAD", "h", "/assets/a/b.css")).toMatchObject({ id: "assets", wildcard: true });
  });

  it("parses a route only when a request first matches it: a damaged route fails there, the others serve", () => {
    const text = tableLines(table).replace('{"path":"/docs/"},"to":"accounts"}', '{"path":"/docs/"},"to":"ghost"}');
    const lazy = read(text);
    const compiled = compileTable(lazy, 3);
    expect(compiled.matcher.match("GET", "api.example.com", "/api/accounts/7")?.id).toBe("accounts-read");
    expect(() => compiled.matcher.match("GET", "h", "/docs")).toThrow(/stored route cannot be served:\n\$\.routes\[2\]\.to: unknown backend 'ghost'/);
    // Reading every route (the admin API, a publish) finds it too.
    expect(() => lazy.routes).toThrow(/ghost/);
  });

  it("finds one route, or lists the ids, without parsing the others; a line that is not JSON is refused with its path", () => {
    const damaged = read(tableLines(table).replace('{"path":"/docs/"},"to":"accounts"}', '{"path":"/docs/"},"to":"ghost"}'));
    expect(routeIds(damaged)).toEqual(["accounts-read", "accounts-any", "docs", "assets"]);
    expect(findRoute(damaged, "assets")?.match.path).toBe("/assets/*");
    expect(findRoute(damaged, "nope")).toBeUndefined();
    expect(() => findRoute(damaged, "docs")).toThrow(/unknown backend 'ghost'/);
    // The same on a table that was parsed whole.
    expect(routeIds(table)).toEqual(["accounts-read", "accounts-any", "docs", "assets"]);
    expect(findRoute(table, "docs")?.to).toBe("accounts");

    const cut = read(tableLines(table).replace('{"path":"/docs/"},"to":"accounts"}', '{"path":"/docs/"},"to":"accounts"'));
    const refused = (issues: readonly { path: string; message: string }[]) => Object.assign(new Error("refused"), { issues });
    const lines = acceptStoredLines(tableLines(table).replace('{"path":"/docs/"},"to":"accounts"}', '{"path":"/docs/"},"to":"accounts"'), refused);
    expect(() => cut.routes).toThrow(/\$\.routes\[2\]: not JSON/);
    expect(() => (lines?.ok ? lazyRoutesOf(lines.value)?.route(2) : undefined)).toThrow(expect.objectContaining({ issues: [expect.objectContaining({ path: "$.routes[2]" })] }));
  });

  it("keeps its lazy routes with the table read, not with a copy: a changed copy finds its own routes", () => {
    const lazy = read(tableLines(table));
    expect(lazyRoutesOf(lazy)?.keys).toHaveLength(4);
    const changed = { ...lazy, routes: lazy.routes.filter((route) => route.id !== "docs") };
    expect(lazyRoutesOf(changed)).toBeUndefined();
    expect(isValidatedTable(changed)).toBe(false);
    expect(routeIds(changed)).toEqual(["accounts-read", "accounts-any", "assets"]);
    expect(findRoute(changed, "docs")).toBeUndefined();
    expect(Object.keys(lazy)).toEqual(Object.keys(table));
  });

  it("refuses a line whose key and route disagree (a hand-edited item), on first use", () => {
    const text = tableLines(table).replace('{"path":"/docs/"},"to":"accounts"}', '{"path":"/docs/"},"to":"accounts","id":"other"}');
    const routes = lazyRoutesOf(read(text));
    expect(() => routes?.route(2)).toThrow(/id and match disagree/);
    expect(routes?.route(1).id).toBe("accounts-any");
  });

  it("checks the table's other fields at once, and leaves text in another layout to be parsed whole", () => {
    const noDefault = tableLines(table).replace('"default":"legacy"', '"default":"heroku"');
    expect(acceptStoredLines(noDefault)).toEqual({ ok: false, error: [{ path: "$.default", message: "unknown backend 'heroku'" }] });
    // As releases before this layout stored tables, or a hand-made item.
    expect(acceptStoredLines(JSON.stringify(table))).toBeUndefined();
    expect(acceptStoredLines(JSON.stringify(table, undefined, 2))).toBeUndefined();
    // A route line not in the layout (a key the schema does not know in match).
    expect(acceptStoredLines(tableLines(table).replace('"path":"/docs/"', '"path":"/docs/","x":1'))).toBeUndefined();
  });
});
