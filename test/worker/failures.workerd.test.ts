import { describe, expect, it, vi } from "vitest";
import { compileTable } from "../../routes/compile.ts";
import { validateRouteTable } from "../../routes/validate.ts";
import { proxy } from "../../worker/proxy.ts";
import { get, origin, ports, received, send, table, testId } from "../support/worker-harness.ts";

const failing = table({
  backends: {
    slow: { url: origin(ports.legacy), timeoutMs: 200 },
    down: { url: origin(ports.refused) },
    "down-too": { url: origin(ports.refused) },
    "slow-behind-fb": { url: origin(ports.legacy), timeoutMs: 200, stripPrefix: "/fb" },
    "new-behind-write": { url: origin(ports.new), stripPrefix: "/write" },
  },
  routes: [
    { id: "slow", match: { path: "/slow/*" }, to: "slow" },
    { id: "hold", match: { path: "/hold/*" }, to: "slow" },
    { id: "down", match: { path: "/down/*" }, to: "down" },
    { id: "reset", match: { path: "/reset" }, to: "new" },
    { id: "down-fb", match: { path: "/fb/down/*" }, to: "down", fallback: "spare" },
    { id: "slow-fb", match: { path: "/fb/slow/*" }, to: "slow-behind-fb", fallback: "spare" },
    { id: "status-fb", match: { path: "/status/*" }, to: "new", fallback: { to: "legacy", on: ["5xx", "404"] } },
    { id: "write-fb", match: { path: "/write/*" }, to: "new-behind-write", fallback: { to: "legacy", on: ["5xx", "404", "error", "timeout"], unsafeMethods: true } },
    { id: "both-down", match: { path: "/both/*" }, to: "down", fallback: { to: "down-too", on: ["error"] } },
  ],
});

async function json(response: Response): Promise<Record<string, unknown>> {
  return response.json();
}

describe("a failing backend gets a clear page, never a Worker exception", () => {
  it("answers 504 when the backend does not answer within its timeoutMs", async () => {
    const response = await send(failing, get("/slow/3000", { accept: "application/json" }));
    expect(response.status).toBe(504);
    expect(response.headers.get("x-cutover-error")).toBe("timeout");
    expect(await json(response)).toMatchObject({ error: "gateway_timeout", backend: "slow", route: "slow" });
  });

  it("frees the connection of a request that timed out: the backend sees it abandoned", async () => {
    const id = testId();
    const response = await send(failing, get("/slow/3000", { "x-test-id": id }));
    expect(response.status).toBe(504);
    let abandoned = "0";
    for (let i = 0; i < 40 && abandoned === "0"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      abandoned = await (await fetch(`${origin(ports.legacy)}/__abandoned?test=${id}`)).text();
    }
    expect(abandoned).toBe("1");
  });

  it("ends a body that stalls mid-stream after the backend's idleTimeoutMs, with an error the client sees", async () => {
    const stalling = table({ backends: { stalls: { url: origin(ports.legacy), idleTimeoutMs: 200 } }, routes: [{ id: "stall", match: { path: "/hold/*" }, to: "stalls" }] });
    const hold = testId();
    const response = await send(stalling, get(`/hold/${hold}`, { "x-test-id": hold }));
    expect(response.status).toBe(200);
    await expect(response.text()).rejects.toThrow();
    let abandoned = "0";
    for (let i = 0; i < 40 && abandoned === "0"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      abandoned = await (await fetch(`${origin(ports.legacy)}/__abandoned?test=${hold}`)).text();
    }
    expect(abandoned).toBe("1");
    await fetch(`${origin(ports.legacy)}/__release?id=${hold}`, { method: "POST" });
  });

  it("does not cut off a body that streams longer than the timeout once the head arrived", async () => {
    const hold = testId();
    const response = await send(failing, get(`/hold/${hold}`));
    expect(response.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 400));
    await fetch(`${origin(ports.legacy)}/__release?id=${hold}`, { method: "POST" });
    expect(await response.text()).toBe("data: first\n\ndata: last\n\n");
  });

  it("answers 502 with an HTML page when the connection is refused", async () => {
    const response = await send(failing, get("/down/x", { accept: "text/html" }));
    expect(response.status).toBe(502);
    expect(response.headers.get("content-type")).toContain("text/html");
    expect(response.headers.get("x-cutover-backend")).toBe("down");
    const page = await response.text();
    expect(page).toContain("502 Bad Gateway");
    expect(page).toContain("Backend &#39;down&#39; could not be reached.");
    expect(page).not.toContain(String(ports.refused));
  });

  it.each([999, 600, 101, 199])("answers a clear 502 when the backend answers status %i, never a Worker exception", async (status) => {
    const response = await send(failing, get(`/raw-status/${status}`, { accept: "application/json" }));
    expect(response.status).toBe(502);
    expect(await json(response)).toMatchObject({ error: expect.stringMatching(/^bad_(status|gateway)$/), backend: "legacy" });
  });

  it("logs the failure with the path and the query's keys, never its values", async () => {
    const warnings = vi.spyOn(console, "warn");
    await (await send(failing, get("/down/reset/Zx8Qm2LpW7rT4vYk9sNbQ1?token=query-secret-9&page=2"))).arrayBuffer();
    const line = JSON.parse(String(warnings.mock.calls.find((call) => String(call[0]).includes("upstream_error"))?.[0]));
    warnings.mockRestore();
    expect(line).toMatchObject({ event: "upstream_error", route: "down", path: "/down/reset/[redacted]", queryKeys: ["token", "page"] });
    expect(JSON.stringify(line)).not.toContain("query-secret-9");
  });

  it("answers 502 when the backend resets the connection", async () => {
    const response = await send(failing, get("/reset"));
    expect(response.status).toBe(502);
  });
});

describe("fallback", () => {
  it("retries a GET once on the fallback backend when the connection is refused", async () => {
    const id = testId();
    const response = await send(failing, get("/fb/down/a?q=1", { "x-test-id": id }));
    expect(response.status).toBe(200);
    expect(response.headers.get("x-cutover-backend")).toBe("spare");
    expect(response.headers.get("x-cutover-fallback")).toBe("down;error");
    expect((await received(ports.spare, id)).map((r) => r.url)).toEqual(["/fb/down/a?q=1"]);
  });

  it("retries a GET on timeout", async () => {
    const response = await send(failing, get("/fb/slow/3000"));
    expect(response.status).toBe(200);
    expect(response.headers.get("x-cutover-fallback")).toBe("slow-behind-fb;timeout");
  });

  it("falls back on 5xx and 404 only when the route asks for it (read-through)", async () => {
    const five = await send(failing, get("/status/503"));
    expect(five.status).toBe(503); // the legacy test backend answers /status/503 with 503 too
    expect(five.headers.get("x-cutover-backend")).toBe("legacy");
    expect(five.headers.get("x-cutover-fallback")).toBe("new;503");
    const missing = await send(failing, get("/status/404"));
    expect(missing.headers.get("x-cutover-fallback")).toBe("new;404");

    const plain = await send(table({ routes: [{ id: "s", match: { path: "/status/*" }, to: "new", fallback: "legacy" }] }), get("/status/500"));
    expect(plain.status).toBe(500);
    expect(plain.headers.get("x-cutover-backend")).toBe("new");
    expect(plain.headers.get("x-cutover-fallback")).toBeNull();
  });

  it("never sends a POST twice: no fallback for a POST unless the route allows it", async () => {
    const id = testId();
    const response = await send(failing, get("/fb/down/order", { "x-test-id": id }, { method: "POST", body: "{}" }));
    expect(response.status).toBe(502);
    expect(await received(ports.spare, id)).toEqual([]);
  });

  it("with unsafeMethods, resends a small buffered POST only when the backend answered 404", async () => {
    const id = testId();
    const body = JSON.stringify({ order: 42 });
    const response = await send(failing, get("/write/status/404", { "x-test-id": id, "content-type": "application/json" }, { method: "POST", body }));
    expect(response.headers.get("x-cutover-fallback")).toBe("new-behind-write;404");
    const [first] = await received(ports.new, id);
    const [second] = await received(ports.legacy, id);
    expect(first?.url).toBe("/status/404");
    expect(second?.url).toBe("/write/status/404");
    expect(first?.bodyBytes).toBe(body.length);
    expect(second?.bodySha256).toBe(first?.bodySha256);
  });

  it.each([500, 502, 503, 504])("with unsafeMethods, never resends a POST after a %i: the app behind may still be working on it", async (status) => {
    const id = testId();
    const response = await send(failing, get(`/write/status/${status}`, { "x-test-id": id }, { method: "POST", body: "{}" }));
    expect(response.status).toBe(status);
    expect(response.headers.get("x-cutover-fallback")).toBeNull();
    expect(await received(ports.legacy, id)).toEqual([]);
  });

  it("with unsafeMethods, does not resend a POST after a timeout: it may have been processed", async () => {
    const slowWrite = table({
      backends: { slow: { url: origin(ports.new), timeoutMs: 200 } },
      routes: [{ id: "w", match: { path: "/slow/*" }, to: "slow", fallback: { to: "legacy", on: ["timeout", "error"], unsafeMethods: true } }],
    });
    const id = testId();
    const response = await send(slowWrite, get("/slow/1000", { "x-test-id": id }, { method: "POST", body: "x" }));
    expect(response.status).toBe(504);
    expect(await received(ports.legacy, id)).toEqual([]);
  });

  it("returns the fallback's own failure when it fails too", async () => {
    const response = await send(failing, get("/both/x", { accept: "application/json" }));
    expect(response.status).toBe(502);
    expect(response.headers.get("x-cutover-fallback")).toBe("down;error");
    expect(response.headers.get("x-cutover-backend")).toBe("down-too");
    expect(await json(response)).toMatchObject({ error: "bad_gateway", backend: "down-too", route: "both-down" });
  });
});

describe("fail to legacy", () => {
  it("serves from the default backend when routing throws, and logs it", async () => {
    const valid = validateRouteTable(table({ routes: [{ id: "new", match: { path: "/*" }, to: "new" }] }));
    if (!valid.ok) throw new Error("test table invalid");
    const compiled = compileTable(valid.value, 7);
    const broken = {
      ...compiled,
      matcher: {
        match() {
          throw new Error("matcher exploded");
        },
      },
    };
    const id = testId();
    const errors = vi.spyOn(console, "error");
    const request = get("/anything", { "x-test-id": id });
    const response = await proxy(request, new URL(request.url), broken, {
      responseHeaders: true,
      overrideSecret: undefined,
      overridePolicy: () => ({ maxSeconds: 86_400, acceptV1: false, revoked: new Set() }),
      legacy: undefined,
      now: Date.now,
      random: Math.random,
      shadowRecorder: undefined,
      trafficRecorder: undefined,
      analytics: undefined,
      awsCredentials: undefined,
    }, () => {});
    expect(response.status).toBe(200);
    expect(response.headers.get("x-cutover-backend")).toBe("legacy");
    expect(response.headers.get("x-cutover-version")).toBe("7");
    expect(await received(ports.legacy, id)).toHaveLength(1);
    const line = JSON.parse(String(errors.mock.calls.at(-1)?.[0]));
    expect(line).toMatchObject({ level: "error", event: "routing_failed", version: 7, method: "GET", error: { message: "matcher exploded" } });
    errors.mockRestore();
  });

  it("serves from CUTOVER_LEGACY_URL when the configured table is invalid, and says so on /_cutover/health", async () => {
    const invalid = { backends: {}, default: "legacy", routes: [] };
    const vars = { CUTOVER_LEGACY_URL: origin(ports.legacy) };
    const response = await send(invalid, get("/x"), vars);
    expect(response.status).toBe(200);
    expect(response.headers.get("x-served-by")).toBe("legacy");
    expect(response.headers.get("x-cutover-version")).toBe("none");
    const health = await send(invalid, get("/_cutover/health"), vars);
    expect(health.status).toBe(503);
    expect(await json(health)).toMatchObject({ status: "unavailable" });
  });

  it("answers 503 when there is neither a table nor CUTOVER_LEGACY_URL", async () => {
    const response = await send("", get("/x"), { CUTOVER_LEGACY_URL: "" });
    expect(response.status).toBe(503);
    expect(await response.text()).toContain("no route table");
  });
});

describe("fallback with a large body", () => {
  it("streams a POST too large to buffer to the first backend only, complete", async () => {
    const id = testId();
    const big = new Uint8Array(300 * 1024).fill(1);
    const routeTable = table({
      backends: { "new-behind-write": { url: origin(ports.new), stripPrefix: "/write" } },
      routes: [{ id: "w", match: { path: "/write/*" }, to: "new-behind-write", fallback: { to: "legacy", on: ["404"], unsafeMethods: true } }],
    });
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 3; i++) controller.enqueue(big.subarray(i * 100 * 1024, (i + 1) * 100 * 1024));
        controller.close();
      },
    });
    const response = await send(routeTable, get("/write/status/404", { "x-test-id": id }, { method: "POST", body }));
    expect(response.status).toBe(404);
    expect(response.headers.get("x-cutover-fallback")).toBeNull();
    expect((await received(ports.new, id))[0]?.bodyBytes).toBe(big.byteLength);
    expect(await received(ports.legacy, id)).toEqual([]);
  });
});
