import { describe, expect, it } from "vitest";
import { signOverride } from "../../routes/override-token.ts";
import { get, ports, received, send, table, testId } from "../support/worker-harness.ts";

const SECRET = "test-override-secret-of-at-least-32-bytes";

const routes = table({
  routes: [
    { id: "accounts-read", match: { path: "/api/accounts/:id", methods: ["GET", "HEAD"] }, to: "new" },
    { id: "api", match: { path: "/api/*" }, to: "legacy" },
    { id: "admin", match: { path: "/admin/*" }, to: "spare" },
    { id: "split", match: { path: "/split/:id" }, to: { legacy: 50, new: 50 }, sticky: "cookie:session_id" },
    { id: "dark", match: { path: "/dark" }, to: { legacy: 100, new: 0 } },
    { id: "host-only", match: { path: "/api/accounts/:id", host: "internal.example.com" }, to: "spare" },
  ],
});

async function backendFor(request: Request, routeTable: unknown = routes, vars: Partial<Env> = {}) {
  const response = await send(routeTable, request, vars);
  await response.arrayBuffer();
  return { route: response.headers.get("x-cutover-route"), backend: response.headers.get("x-cutover-backend"), served: response.headers.get("x-served-by") };
}

describe("routing", () => {
  it("sends each path to the backend of its most specific route", async () => {
    expect(await backendFor(get("/api/accounts/42"))).toEqual({ route: "accounts-read", backend: "new", served: "new" });
    expect(await backendFor(get("/api/accounts/42", {}, { method: "DELETE" }))).toEqual({ route: "api", backend: "legacy", served: "legacy" });
    expect(await backendFor(get("/api/other"))).toEqual({ route: "api", backend: "legacy", served: "legacy" });
    expect(await backendFor(get("/"))).toEqual({ route: "(default)", backend: "legacy", served: "legacy" });
  });

  it("prefers a route that names the request's host", async () => {
    const request = new Request("https://internal.example.com/api/accounts/42");
    expect(await backendFor(request)).toEqual({ route: "host-only", backend: "spare", served: "spare" });
  });

  it("matches and forwards the same normalized path, so dot segments cannot reach another route", async () => {
    const id = testId();
    const sneaky = await backendFor(get("/api/%2e%2e/admin/users", { "x-test-id": id }));
    expect(sneaky).toEqual({ route: "admin", backend: "spare", served: "spare" });
    expect((await received(ports.spare, id))[0]?.url).toBe("/admin/users");

    const encoded = testId();
    await backendFor(get("/%61pi/accounts/7", { "x-test-id": encoded }));
    expect((await received(ports.new, encoded))[0]?.url).toBe("/api/accounts/7");

  });

  it.each(["//api/accounts/42", "/api//accounts/42", "/api/accounts/42/", "/api/accounts//42//"])(
    "takes %s as /api/accounts/42, as Rails would: matched and forwarded alike",
    async (path) => {
      const id = testId();
      expect(await backendFor(get(path, { "x-test-id": id }))).toEqual({ route: "accounts-read", backend: "new", served: "new" });
      expect((await received(ports.new, id)).map((r) => r.url)).toEqual(["/api/accounts/42"]);
    },
  );

  it.each([
    ["/api/accounts;x=1/1", "path_parameters"],
    ["/api/..;/admin/users", "path_parameters"],
    ["/api/accounts%2F1", "encoded_slash"],
    ["/api/accounts%5C1", "encoded_slash"],
    ["/api/%C0%AE%C0%AE/admin", "invalid_encoding"],
    ["/api/%252e%252e/admin", "double_encoding"],
    ["/api/accounts/1%00", "nul"],
    ["/api/accounts/%zz", "invalid_encoding"],
  ])("refuses %s with a 400 (%s) and sends it nowhere", async (path, reason) => {
    const id = testId();
    const response = await send(routes, get(path, { "x-test-id": id }));
    expect(response.status).toBe(400);
    expect(response.headers.get("x-cutover-error")).toBe(`bad_path;${reason}`);
    expect(await response.text()).toContain("400 Bad Request");
    for (const port of [ports.legacy, ports.new, ports.spare]) expect(await received(port, id)).toEqual([]);
  });

  it("keeps a trailing slash significant, and double slashes, when the table says so", async () => {
    const strict = { ...routes, paths: { trailingSlash: "exact", mergeSlashes: false } };
    expect(await backendFor(get("/api/accounts/42/"), strict)).toMatchObject({ route: "api" });
    expect(await backendFor(get("//api/accounts/42"), strict)).toMatchObject({ route: "(default)" });
  });

  it("lets a route that lists GET take HEAD (RFC 9110: HEAD is GET without a body)", async () => {
    const getOnly = table({ routes: [{ id: "read", match: { path: "/items/:id", methods: ["GET"] }, to: "new" }] });
    expect(await backendFor(get("/items/1", {}, { method: "HEAD" }), getOnly)).toEqual({ route: "read", backend: "new", served: "new" });
    expect(await backendFor(get("/items/1", {}, { method: "POST" }), getOnly)).toMatchObject({ route: "(default)" });
  });

  it("keeps a user on one side of a split, by cohort cookie", async () => {
    const sides = new Set<string | null>();
    for (let user = 0; user < 40; user++) {
      const cookie = { cookie: `session_id=user-${user}` };
      const first = await backendFor(get(`/split/${user}`, cookie));
      const again = await backendFor(get(`/split/${user + 1000}`, cookie));
      expect(again.backend).toBe(first.backend);
      sides.add(first.backend);
    }
    expect(sides).toEqual(new Set(["legacy", "new"]));
  });
});

describe("tester override", () => {
  const now = () => Math.floor(Date.now() / 1000);

  it("forces a backend of the route with a valid signed header or cookie", async () => {
    const token = await signOverride(SECRET, { backend: "new", expiresAt: now() + 600 });
    const vars = { CUTOVER_OVERRIDE_SECRET: SECRET };
    expect((await backendFor(get("/dark", { "x-cutover-override": token }), routes, vars)).served).toBe("new");
    expect((await backendFor(get("/dark", { cookie: `a=1; cutover_override=${token}` }), routes, vars)).served).toBe("new");
  });

  it("never reaches the backend: header and cookie are removed", async () => {
    const id = testId();
    const token = await signOverride(SECRET, { backend: "new", expiresAt: now() + 600 });
    await backendFor(get("/dark", { "x-test-id": id, "x-cutover-override": token, cookie: `a=1; cutover_override=${token}; b=2` }), routes, {
      CUTOVER_OVERRIDE_SECRET: SECRET,
    });
    const [seen] = await received(ports.new, id);
    expect(seen?.headers["x-cutover-override"]).toBeUndefined();
    expect(seen?.headers.cookie).toBe("a=1; b=2");
  });

  it("is ignored when unsigned, signed with another secret, expired, or for a backend outside the route", async () => {
    const vars = { CUTOVER_OVERRIDE_SECRET: SECRET };
    const forged = await signOverride("someone-else", { backend: "new", expiresAt: now() + 600 });
    const expired = await signOverride(SECRET, { backend: "new", expiresAt: now() - 1 });
    const elsewhere = await signOverride(SECRET, { backend: "spare", expiresAt: now() + 600 });
    for (const token of ["new", "v1.new.9999999999.AAAA", forged, expired, elsewhere]) {
      expect((await backendFor(get("/dark", { "x-cutover-override": token }), routes, vars)).served, token).toBe("legacy");
    }
  });

  it("honours a token bound to one route on that route only", async () => {
    const vars = { CUTOVER_OVERRIDE_SECRET: SECRET };
    const boundToSplit = await signOverride(SECRET, { backend: "new", route: "split", expiresAt: now() + 600 });
    expect((await backendFor(get("/dark", { "x-cutover-override": boundToSplit }), routes, vars)).served).toBe("legacy");
    expect((await backendFor(get("/split/1", { "x-cutover-override": boundToSplit, cookie: "session_id=x" }), routes, vars)).served).toBe("new");
  });

  it("is ignored, and logged, when the Worker's override secret is shorter than 32 bytes", async () => {
    const short = "too-short-a-secret";
    const token = await signOverride(short, { backend: "new", expiresAt: now() + 600 });
    expect((await backendFor(get("/dark", { "x-cutover-override": token }), routes, { CUTOVER_OVERRIDE_SECRET: short })).served).toBe("legacy");
  });

  it("is ignored when the Worker has no override secret", async () => {
    const token = await signOverride(SECRET, { backend: "new", expiresAt: now() + 600 });
    expect((await backendFor(get("/dark", { "x-cutover-override": token }))).served).toBe("legacy");
  });
});

describe("a static backend (legacy switched off)", () => {
  const switchedOff = table({
    backends: { gone: { type: "static" }, notice: { type: "static", status: 503, body: '{"error":"moved"}', contentType: "application/json" } },
    default: "gone",
    routes: [{ id: "moved", match: { path: "/moved/*" }, to: "notice" }, { id: "accounts-read", match: { path: "/api/accounts/:id" }, to: "new" }],
  });

  it("answers 410 Gone itself for what no route matches, and legacy gets nothing", async () => {
    const id = testId();
    const response = await send(switchedOff, get("/orders/7", { "x-test-id": id }, { method: "POST", body: "a=1" }));
    expect(response.status).toBe(410);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.headers.get("x-cutover-backend")).toBe("gone");
    expect(await response.text()).toContain("This page is gone");
    expect(await received(ports.legacy, id)).toEqual([]);
  });

  it("answers the status, body and type the table gives; HEAD gets the head alone", async () => {
    const response = await send(switchedOff, get("/moved/x"));
    expect({ status: response.status, type: response.headers.get("content-type"), body: await response.json() }).toEqual({ status: 503, type: "application/json", body: { error: "moved" } });
    const head = await send(switchedOff, get("/", {}, { method: "HEAD" }));
    expect(head.status).toBe(410);
    expect(await head.text()).toBe("");
  });

  it("answers a status that carries no body (204) without one, not with an exception", async () => {
    const noContent = table({ backends: { gone: { type: "static", status: 204 } }, default: "gone", routes: [] });
    const response = await send(noContent, get("/anything"));
    expect({ status: response.status, body: await response.text() }).toEqual({ status: 204, body: "" });
  });

  it("still sends migrated routes to their backend", async () => {
    expect(await backendFor(get("/api/accounts/42"), switchedOff)).toEqual({ route: "accounts-read", backend: "new", served: "new" });
  });
});
