import { describe, expect, it } from "vitest";
import railsShop from "../../fixtures/legacy-surface/rails-shop.txt?raw";
import railsShopExpanded from "../../fixtures/legacy-surface/rails-shop-expanded.txt?raw";
import { readLegacySurface } from "../../migration/read-legacy-surface.ts";
import { OPERATOR, VIEWER, dynamoWorker } from "../support/admin-harness.ts";
import { get, table } from "../support/worker-harness.ts";

type Json = Record<string, unknown>;
type MapAnswer = { summary: Json; endpoints: { method: string; pattern: string; state: string; route?: string; stage?: string; stageLabel?: string; requests?: number; days?: number; lastSeen?: string | null }[]; unexplained: { template: string; methods: string[] }[] };
const json = async (response: Response) => (await response.json()) as Json;

/**
 * The legacy surface through the real Worker in workerd, over the embedded DynamoDB and a real
 * legacy upstream: a route list captured from Rails is imported (as `cutover legacy import`
 * sends it), traffic goes through the proxy, and the migration map shows an endpoint in each
 * of its three states.
 */
describe("the legacy surface, end to end in workerd", () => {
  const routes = table({
    routes: [
      { id: "orders", match: { path: "/users/:uid/orders/:id", methods: ["GET"] }, to: { legacy: 90, new: 10 }, sticky: "none" },
      { id: "invoices", match: { path: "/api/v1/invoices/*" }, to: "new" },
    ],
  });
  const shop = readLegacySurface(railsShop);

  async function imported() {
    const w = await dynamoWorker();
    expect((await w.api("PUT", "/routes", { body: { table: routes, reason: "first table" }, headers: { "if-match": '"0"' } })).status).toBe(200);
    const response = await w.api("POST", "/legacy", { body: { endpoints: shop.endpoints, format: shop.format, sourceName: "rails-shop.txt", reason: "the shop's routes" } });
    expect(response.status).toBe(200);
    return { ...w, first: await json(response) };
  }

  it("imports a route list, audited, and the same list again makes no new import", async () => {
    const w = await imported();
    expect(w.first).toMatchObject({ unchanged: false, added: 53, removed: 0, changed: 0, info: { version: 1, parent: 0, author: "olivia", format: "rails", sourceName: "rails-shop.txt", endpointCount: 53 } });
    const again = await json(await w.api("POST", "/legacy", { body: { endpoints: shop.endpoints, format: "rails", reason: "again" } }));
    expect(again).toMatchObject({ unchanged: true, info: { version: 1 } });
    const shown = await json(await w.api("GET", "/legacy", { token: VIEWER }));
    expect(shown.endpoints).toEqual(shop.endpoints);
    const audit = (await json(await w.api("GET", "/audit"))).entries as Json[];
    expect(audit.filter((entry) => entry.action === "legacy-import")).toEqual([
      expect.objectContaining({ actor: "olivia", reason: "the shop's routes", details: expect.objectContaining({ surfaceBefore: 0, surfaceAfter: 1, endpoints: 53, added: 53 }) }),
    ]);
  });

  it("versions imports and diffs them; a viewer reads, only an operator imports; a stale or invalid import is refused", async () => {
    const w = await imported();
    // The expanded form of the same routes is the same surface: only the format differs, so it is a new import with no endpoint changed.
    const expanded = readLegacySurface(railsShopExpanded);
    const changedList = [...expanded.endpoints.filter((e) => e.pattern !== "/pricing"), { method: "GET", pattern: "/plans", source: "/plans(.:format)", action: "plans#index", kind: "action", format: true }];
    const second = await w.api("POST", "/legacy", { body: { endpoints: changedList, format: expanded.format, reason: "pricing became plans", expectedVersion: 1 } });
    expect(await json(second)).toMatchObject({ added: 1, removed: 1, changed: 0, info: { version: 2, parent: 1, format: "rails-expanded" } });
    const diff = await json(await w.api("GET", "/legacy/diff?from=1&to=2", { token: VIEWER }));
    expect(diff.changes).toEqual([expect.objectContaining({ kind: "endpoint-added", key: "GET /plans" }), expect.objectContaining({ kind: "endpoint-removed", key: "GET /pricing" })]);
    expect(((await json(await w.api("GET", "/legacy/imports", { token: VIEWER }))).imports as Json[]).map((i) => i.version)).toEqual([2, 1]);
    expect(((await json(await w.api("GET", "/legacy?version=1", { token: VIEWER }))).info as Json).version).toBe(1);

    const stale = await w.api("POST", "/legacy", { body: { endpoints: shop.endpoints, format: "rails", reason: "r", expectedVersion: 1 } });
    expect(stale.status).toBe(412);
    expect(await json(stale)).toMatchObject({ error: "stale_version", latestVersion: 2 });
    expect((await w.api("POST", "/legacy", { token: VIEWER, body: { endpoints: shop.endpoints, format: "rails", reason: "r" } })).status).toBe(403);
    const invalid = await w.api("POST", "/legacy", { token: OPERATOR, body: { endpoints: [{ method: "get", pattern: "users", source: "", action: "", kind: "action" }], format: "rails", reason: "r" } });
    expect(invalid.status).toBe(400);
    expect(JSON.stringify(await json(invalid))).toMatch(/endpoints\[0\]\.method.*endpoints\[0\]\.pattern|endpoints\[0\]\.pattern.*endpoints\[0\]\.method/s);
    expect((await w.api("GET", "/legacy/diff?from=1&to=9", { token: VIEWER })).status).toBe(404);
  });

  it("maps each endpoint: covered by a route at its stage, seen on legacy, or not seen; and traffic no endpoint explains", async () => {
    const w = await imported();
    for (const path of ["/users/7", "/users/8", "/users/7/orders/3", "/users/7/orders/search", "/blog/articles/12", "/pricing.json", "/wp-login.php", "/api/v1/invoices/4"]) {
      const response = await w.call(get(path));
      await response.arrayBuffer();
    }
    const update = await w.call(new Request("https://shop.example.com/users/9", { method: "PATCH", body: "name=x" }));
    await update.arrayBuffer();

    const map = (await json(await w.api("GET", "/legacy/map?since=14d", { token: VIEWER }))) as unknown as MapAnswer;
    const at = (key: string) => map.endpoints.find((e) => `${e.method} ${e.pattern}` === key);
    expect(at("GET /users/:user_id/orders/:id")).toMatchObject({ state: "covered", route: "orders", stage: "split", stageLabel: "split 10 % → new" });
    expect(at("GET /api/v1/invoices/:id")).toMatchObject({ state: "covered", route: "invoices", stage: "new" });
    // The inventory counts a template over every method: two GETs and the PATCH.
    expect(at("GET /users/:id")).toMatchObject({ state: "seen", requests: 3 });
    expect(at("PATCH /users/:id")).toMatchObject({ state: "seen" });
    expect(at("GET /blog/articles/:id")).toMatchObject({ state: "seen", requests: 1 });
    expect(at("GET /pricing")).toMatchObject({ state: "seen", requests: 1 });
    expect(at("GET /admin/accounts")).toMatchObject({ state: "unseen", days: 14, lastSeen: null });
    expect(at("PUT /users/:id")).toMatchObject({ state: "unseen" });
    expect(map.unexplained).toEqual([expect.objectContaining({ template: "/wp-login.php", methods: ["GET"] })]);
    expect(map.summary).toMatchObject({ endpoints: 53, seen: 4, unexplained: 1 });
    expect((map.summary.covered as number) + (map.summary.seen as number) + (map.summary.unseen as number)).toBe(53);
    expect((await w.api("GET", "/legacy/map?since=1y", { token: VIEWER })).status).toBe(400);
  });

  it("says what to do before anything is imported", async () => {
    const w = await dynamoWorker();
    const response = await w.api("GET", "/legacy/map", { token: VIEWER });
    expect(response.status).toBe(404);
    expect(await json(response)).toMatchObject({ error: "no_surface", message: expect.stringContaining("cutover legacy import") });
  });
});
