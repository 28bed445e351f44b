import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startUpstream, type RecordedRequest, type Upstream } from "../support/upstream.ts";
import { json, visit } from "./support/client.ts";
import { startEdge, type Edge } from "./support/edge.ts";

/**
 * Rails and a new backend side by side: a Node HTTP server standing in for the Lambda that
 * takes a route over (test/support/upstream.ts: it answers with `backend: "new"`, `/status/N`
 * with N, `/reset` by dropping the connection). Rails answers the same paths with
 * `backend: "rails"` and counts what reached it by `x-test-id`. Cohorts that outlive Rails'
 * session rewrites are in cohorts.rails.ts, the signed-in user for the new backend in
 * identity.rails.ts, the shadow verdict in shadow.rails.ts.
 */
describe("Rails beside a new backend", () => {
  let edge: Edge;
  let node: Upstream;
  const railsPort = inject("railsPort");

  beforeAll(async () => {
    node = await startUpstream("new");
    edge = await startEdge({
      bundleRoot: inject("cutoverBundleRoot"),
      table: {
        backends: { legacy: { url: `http://127.0.0.1:${railsPort}` }, new: { url: `http://127.0.0.1:${node.port}` } },
        default: "legacy",
        routes: [
          { id: "split", match: { path: "/split/*" }, to: { legacy: 50, new: 50 }, sticky: "ip" },
          { id: "status", match: { path: "/status/*" }, to: "new", fallback: { to: "legacy", on: ["5xx", "error"] } },
          { id: "reset", match: { path: "/reset" }, to: "new", fallback: { to: "legacy", on: ["error"] } },
        ],
      },
    });
  });

  afterAll(async () => {
    await edge?.stop();
    await node?.close();
  });

  /** How many `method` requests with this `x-test-id` reached Rails. */
  async function railsCount(method: string, id: string): Promise<number> {
    const answer = await fetch(`http://127.0.0.1:${railsPort}/__requests?method=${method}&id=${id}`);
    return ((await answer.json()) as { count: number }).count;
  }

  async function nodeLog(id: string): Promise<RecordedRequest[]> {
    return (await fetch(`http://127.0.0.1:${node.port}/__log?test=${id}`)).json() as Promise<RecordedRequest[]>;
  }

  it("splits users between Rails and the new backend, each user staying on one", async () => {
    const servedBy = new Map<string, Set<string>>();
    for (let user = 1; user <= 40; user++) {
      const clientIp = `198.51.100.${user}`;
      for (const page of ["a", "b", "c"]) {
        const visited = await visit(edge.port, `/split/${page}`, { clientIp });
        expect(visited.status).toBe(200);
        const backend = json<{ backend: string }>(visited).backend;
        servedBy.set(clientIp, (servedBy.get(clientIp) ?? new Set()).add(backend));
      }
    }
    for (const [user, backends] of servedBy) expect([...backends], user).toHaveLength(1);
    const arms = [...servedBy.values()].map((backends) => [...backends][0]);
    expect(new Set(arms)).toEqual(new Set(["rails", "new"]));
  });

  it("falls back to Rails when the new backend answers a GET with a 5xx", async () => {
    const id = randomUUID();
    const visited = await visit(edge.port, "/status/503", { headers: { "x-test-id": id } });
    expect(visited.status).toBe(200);
    expect(json(visited)).toEqual({ backend: "rails", path: "/status/503", method: "GET" });
    expect(visited.headers["x-cutover-fallback"]).toBe("new;503");
    expect(await nodeLog(id)).toHaveLength(1);
    expect(await railsCount("GET", id)).toBe(1);
  });

  it("falls back to Rails when the new backend drops a GET's connection", async () => {
    const id = randomUUID();
    const visited = await visit(edge.port, "/reset", { headers: { "x-test-id": id } });
    expect(visited.status).toBe(200);
    expect(json<{ backend: string }>(visited).backend).toBe("rails");
    expect(await railsCount("GET", id)).toBe(1);
  });

  describe("a POST is never sent twice", () => {
    it("is not retried on Rails when the new backend answers it with a 5xx: the client gets that answer", async () => {
      const id = randomUUID();
      const visited = await visit(edge.port, "/status/503", { method: "POST", body: "order=1", headers: { "x-test-id": id, "content-type": "application/x-www-form-urlencoded" } });
      expect(visited.status).toBe(503);
      expect(json<{ backend: string }>(visited).backend).toBe("new");
      expect(await nodeLog(id)).toHaveLength(1);
      expect(await railsCount("POST", id)).toBe(0);
    });

    it("is not retried on Rails when the new backend drops its connection (it may have been processed): 502", async () => {
      const id = randomUUID();
      const visited = await visit(edge.port, "/reset", { method: "POST", body: "order=1", headers: { "x-test-id": id, "content-type": "application/x-www-form-urlencoded" } });
      expect(visited.status).toBe(502);
      expect(await nodeLog(id)).toHaveLength(1);
      expect(await railsCount("POST", id)).toBe(0);
    });

    it("reaches Rails exactly once on a route of its own", async () => {
      const id = randomUUID();
      const visited = await visit(edge.port, "/orders", { method: "POST", body: "order=1", headers: { "x-test-id": id, "content-type": "application/x-www-form-urlencoded" } });
      expect(visited.status).toBe(200);
      expect(await railsCount("POST", id)).toBe(1);
    });
  });
});
