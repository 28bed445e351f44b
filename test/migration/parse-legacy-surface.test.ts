import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../cli/wrangler-dev.ts";
import { diffSurfaces } from "../../migration/diff-surfaces.ts";
import { endpointKey, type LegacyEndpoint } from "../../migration/legacy-endpoint.ts";
import { expandOptional, railsPatterns } from "../../migration/rails-path.ts";
import { detectFormat, readLegacySurface } from "../../migration/read-legacy-surface.ts";

const fixture = (name: string) => readFileSync(path.join(PROJECT_ROOT, "fixtures", "legacy-surface", name), "utf8");
const keys = (endpoints: readonly LegacyEndpoint[]) => endpoints.map(endpointKey);
const strip = (endpoints: readonly LegacyEndpoint[]) => endpoints.map(({ action, constraints, engine, format, kind, method, name, pattern, source }) => ({ action, constraints, engine, format, kind, method, name, pattern, source }));

describe("a Rails path as cutover patterns", () => {
  it.each([
    ["/users/:user_id/orders/:id(.:format)", ["/users/:user_id/orders/:id"], true],
    ["/", ["/"], false],
    ["/reports/:year(/:month)(.:format)", ["/reports/:year", "/reports/:year/:month"], true],
    ["(/:locale)/catalog(.:format)", ["/catalog", "/:locale/catalog"], true],
    ["/views/*rest(.:format)", ["/views/*"], true],
    ["/files/*path/edit", ["/files/*"], false],
    ["/posts/:id-:slug", ["/posts/:id"], false],
    ["/archive(/:year(/:month))", ["/archive", "/archive/:year", "/archive/:year/:month"], false],
  ])("%s → %j", (source, patterns, format) => {
    expect(railsPatterns(source)).toEqual({ ok: true, value: { patterns, format } });
  });

  it("puts a mount point first, and an engine's root is the mount point", () => {
    expect(railsPatterns("/articles(.:format)", "/blog")).toMatchObject({ ok: true, value: { patterns: ["/blog/articles"] } });
    expect(railsPatterns("/", "/blog")).toMatchObject({ ok: true, value: { patterns: ["/blog"] } });
  });

  it("refuses unbalanced groups and paths that are no pattern", () => {
    expect(railsPatterns("/a(/:b")).toMatchObject({ ok: false });
    expect(expandOptional("/a)/b")).toBeUndefined();
    expect(railsPatterns("/a b")).toMatchObject({ ok: true, value: { patterns: ["/a%20b"] } });
    expect(expandOptional("(/:a)(/:b)(/:c)(/:d)(/:e)")).toBeUndefined();
  });
});

describe("bin/rails routes, captured from Rails 6.1 (fixtures/legacy-surface/print-routes.rb)", () => {
  it("reads the Rails suite's app the same in both forms", () => {
    const table = readLegacySurface(fixture("rails-suite.txt"));
    const expanded = readLegacySurface(fixture("rails-suite-expanded.txt"));
    expect(table.format).toBe("rails");
    expect(expanded.format).toBe("rails-expanded");
    expect(table.problems).toEqual([]);
    expect(expanded.problems).toEqual([]);
    // A Proc's address, new on every boot, is left out: both captures are the same endpoints.
    expect(strip(expanded.endpoints)).toEqual(strip(table.endpoints));
    expect(keys(table.endpoints)).toEqual([
      "GET /up", "GET /client", "GET /secure/page", "GET /secure/elsewhere", "GET /form", "POST /form", "GET /form/done", "GET /login/:id", "GET /views", "GET /views/*",
      "GET /whoami", "GET /fallback/whoami", "GET /cookies", "GET /document", "GET /text", "GET /download/:mib", "POST /upload", "GET /events/:id", "POST /events/:id/release",
      "GET /split/:x", "GET /status/:code", "POST /status/:code", "GET /reset", "POST /reset", "POST /orders", "GET /__requests", "GET /api/:kind/:id",
    ]);
    expect(table.endpoints[0]).toMatchObject({ kind: "app", action: "#<Proc config.ru:40>", name: "up", source: "/up(.:format)", format: true });
    expect(table.endpoints.find((e) => e.pattern === "/login/:id")).toEqual({ method: "GET", pattern: "/login/:id", source: "/login/:id(.:format)", action: "sessions#login", kind: "action", format: true });
    expect(table.endpoints.find((e) => e.pattern === "/reset" && e.method === "POST")).toMatchObject({ name: "reset", action: "backends#show" });
  });

  it("reads a Heroku-style app: resources, shallow nesting, constraints, redirects, an optional scope, an engine and a Rack app", () => {
    const table = readLegacySurface(fixture("rails-shop.txt"));
    const expanded = readLegacySurface(fixture("rails-shop-expanded.txt"));
    expect(table.problems).toEqual([]);
    expect(expanded.problems).toEqual([]);
    expect(strip(expanded.endpoints)).toEqual(strip(table.endpoints));
    const by = (key: string) => table.endpoints.find((e) => endpointKey(e) === key);
    expect(by("GET /")).toMatchObject({ name: "root", action: "home#index" });
    expect(by("GET /old-pricing")).toMatchObject({ kind: "redirect", action: "redirect(301, /pricing)" });
    expect(by("GET /docs/*")).toMatchObject({ kind: "redirect", action: "redirect(302, https://docs.example.com/%{path})" });
    // A line without a prefix belongs to the resource above it.
    expect(by("POST /session")).toMatchObject({ action: "sessions#create", source: "/session(.:format)" });
    expect(by("POST /session")).not.toHaveProperty("name");
    expect(by("GET /users/:user_id/orders/search")).toMatchObject({ name: "search_user_orders", action: "orders#search" });
    expect(by("GET /addresses/:id/edit")).toMatchObject({ action: "addresses#edit" });
    expect(by("PUT /users/:id")).toMatchObject({ action: "users#update" });
    expect(by("GET /products/:id")).toMatchObject({ constraints: "{:id=>/\\d+/}", action: "products#show" });
    expect(by("GET /reports/:year/:month")).toMatchObject({ name: "report", source: "/reports/:year(/:month)(.:format)" });
    expect(by("GET /:locale/catalog")).toMatchObject({ action: "catalog#index", constraints: "{:locale=>/en|fr/}" });
    expect(by("GET /catalog")).toBeDefined();
    expect(by("GET /api/v1/invoices/:id/pdf")).toMatchObject({ action: "api/v1/invoices#pdf", constraints: "{:format=>:json}" });
    expect(by("GET /legacy/search")).toBeDefined();
    expect(by("POST /legacy/search")).toBeDefined();
    // The engine's routes under its mount point; the mount itself stands for nothing more.
    expect(by("GET /blog/articles/:id")).toMatchObject({ engine: "Blog::Engine", action: "blog/articles#show", source: "/blog/articles/:id(.:format)" });
    expect(by("GET /blog")).toMatchObject({ engine: "Blog::Engine", action: "blog/articles#index" });
    expect(by("* /blog/*")).toBeUndefined();
    // A Rack app: every method, the whole prefix.
    expect(by("* /sidekiq/*")).toMatchObject({ kind: "mount", action: "Sidekiq::Web", name: "sidekiq_web" });
    expect(table.endpoints).toHaveLength(53);
  });

  it("reads a hand-written list like a Rails 7 Devise app prints, ActionCable and Active Storage included", () => {
    const read = readLegacySurface(fixture("heroku-app.txt"));
    expect(read.problems).toEqual([]);
    const by = (key: string) => read.endpoints.find((e) => endpointKey(e) === key);
    expect(by("DELETE /users/sign_out")).toMatchObject({ action: "devise/sessions#destroy", name: "destroy_user_session" });
    expect(by("OPTIONS /api/*")).toMatchObject({ action: "api/cors#preflight" });
    expect(by("* /cable/*")).toMatchObject({ kind: "mount", action: "#<ActionCable::Server::Base @config=#<ActionCable::Server::Configuration>>" });
    expect(by("GET /rails/active_storage/blobs/redirect/:signed_id/*")).toMatchObject({ action: "active_storage/blobs/redirect#show" });
    expect(by("GET /help")).toMatchObject({ kind: "redirect" });
  });

  it("keeps the first of two routes with the same method and pattern (Rails never reaches the second), and names lines it cannot read", () => {
    const read = readLegacySurface(["Prefix Verb URI Pattern Controller#Action", "a GET /a(.:format) a#first", "  GET /a(.:format) a#second", "this is not a route", "b GET POST /b b#x", ""].join("\n"));
    expect(read.endpoints.map((e) => e.action)).toEqual(["a#first"]);
    expect(read.problems.map((p) => p.line)).toEqual([4, 5]);
  });

  it("reads an expanded block with fields it does not know (Rails 7's Source Location) and an engine section", () => {
    const text = ["--[ Route 1 ]----", "Prefix            | blog", "Verb              | ", "URI               | /blog", "Controller#Action | Blog::Engine", "Source Location   | config/routes.rb:3", "", "[ Routes for Blog::Engine ]", "--[ Route 1 ]----", "Prefix            | posts", "Verb              | GET|HEAD", "URI               | /posts(.:format)", "Controller#Action | blog/posts#index"].join("\n");
    const read = readLegacySurface(text);
    expect(read.format).toBe("rails-expanded");
    expect(read.problems).toEqual([]);
    expect(keys(read.endpoints)).toEqual(["GET /blog/posts", "HEAD /blog/posts"]);
  });
});

describe("an OpenAPI document", () => {
  const document = {
    openapi: "3.0.3",
    servers: [{ url: "https://api.example.com/{stage}", variables: { stage: { default: "v2" } } }],
    paths: {
      "/accounts": { get: { operationId: "listAccounts", summary: "List accounts" }, post: { operationId: "createAccount" } },
      "/accounts/{accountId}": { get: { operationId: "getAccount" }, parameters: [] },
      "/files/{name}.{ext}": { get: {} },
    },
  };

  it("gives one endpoint per operation, under the server's path, {id} as :id", () => {
    const read = readLegacySurface(JSON.stringify(document));
    expect(read.format).toBe("openapi");
    expect(read.problems).toEqual([]);
    expect(read.endpoints).toEqual([
      { method: "GET", pattern: "/v2/accounts", source: "/v2/accounts", action: "listAccounts", kind: "action", name: "List accounts" },
      { method: "POST", pattern: "/v2/accounts", source: "/v2/accounts", action: "createAccount", kind: "action" },
      { method: "GET", pattern: "/v2/accounts/:accountId", source: "/v2/accounts/{accountId}", action: "getAccount", kind: "action" },
      { method: "GET", pattern: "/v2/files/:name", source: "/v2/files/{name}.{ext}", action: "", kind: "action" },
    ]);
  });

  it("reads Swagger 2's basePath, and refuses YAML and what is no OpenAPI document", () => {
    expect(readLegacySurface(JSON.stringify({ swagger: "2.0", basePath: "/api/", paths: { "/x": { delete: {} } } })).endpoints.map(endpointKey)).toEqual(["DELETE /api/x"]);
    expect(detectFormat("openapi: 3.0.0\npaths:\n  /x: {}\n")).toBe("openapi-yaml");
    expect(readLegacySurface("openapi: 3.0.0\npaths:\n  /x: {}\n").problems[0]?.message).toMatch(/YAML.*JSON/);
    expect(readLegacySurface('{"paths": {}}').problems[0]?.message).toMatch(/not an OpenAPI document/);
    expect(readLegacySurface("{nope").problems[0]?.message).toMatch(/not valid JSON/);
  });
});

describe("two imports compared", () => {
  it("says which endpoints were added, changed and removed", () => {
    const before = readLegacySurface(fixture("rails-suite.txt")).endpoints;
    const after = [...before.filter((e) => e.pattern !== "/cookies").map((e) => (e.pattern === "/whoami" ? { ...e, action: "identity#show" } : e)), { method: "GET", pattern: "/new", source: "/new", action: "x#y", kind: "action" as const }];
    expect(diffSurfaces(before, after)).toEqual([
      { kind: "endpoint-added", key: "GET /new", endpoint: after.at(-1) },
      { kind: "endpoint-changed", key: "GET /whoami", fields: [{ field: "action", before: "sessions#whoami", after: "identity#show" }] },
      { kind: "endpoint-removed", key: "GET /cookies", endpoint: before.find((e) => e.pattern === "/cookies") },
    ]);
    expect(diffSurfaces(before, before)).toEqual([]);
  });
});
