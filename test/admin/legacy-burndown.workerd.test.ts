import { describe, expect, it } from "vitest";
import { validateRouteTable } from "../../routes/validate.ts";
import { createDynamoStore } from "../../store/dynamo-store.ts";
import { OPERATOR, VIEWER, dynamoWorker } from "../support/admin-harness.ts";
import { table } from "../support/worker-harness.ts";

const DAY = 86_400_000;
type Point = { at: string; version: number; counts: Record<string, number>; unrouted: number };
type Burndown = { since: string; until: string; surfaceVersion: number; stages: string[]; points: Point[] };

const endpoint = (method: string, pattern: string) => ({ method, pattern, source: pattern, action: "", kind: "action" });
/** A made-up legacy app of four endpoints. */
const SURFACE = [endpoint("GET", "/users/:id"), endpoint("POST", "/users"), endpoint("GET", "/orders/:id"), endpoint("GET", "/pricing")];

const usersRead = (to: unknown) => ({ id: "users-read", match: { path: "/users/:id", methods: ["GET"] }, to });
const ordersShadowed = { id: "orders", match: { path: "/orders/*" }, to: "legacy", shadow: { to: "new" } };

/**
 * GET /legacy/burndown through the real Worker in workerd over the embedded DynamoDB: two
 * versions written days ago (by a store whose clock is set back), two through the API now,
 * and the surface's endpoints counted at each stage under each of them.
 */
describe("the legacy surface's burndown, in workerd", () => {
  async function fourVersions() {
    const w = await dynamoWorker();
    const publishedAgo = async (days: number, routes: unknown[], expectedVersion: number) => {
      const store = createDynamoStore({ client: w.client, tableName: w.tableName, now: () => new Date(Date.now() - days * DAY) });
      const validated = validateRouteTable(table({ routes }));
      if (!validated.ok) throw new Error(JSON.stringify(validated.error));
      const published = await store.publish({ table: validated.value, expectedVersion, author: "test", reason: `${days} days ago`, action: "apply" });
      expect(published.ok).toBe(true);
    };
    await publishedAgo(3, [usersRead("legacy")], 0);
    await publishedAgo(2, [usersRead("legacy"), ordersShadowed], 1);
    expect((await w.api("POST", "/legacy", { body: { endpoints: SURFACE, format: "openapi", reason: "the app's endpoints" } })).status).toBe(200);
    expect((await w.api("POST", "/routes/users-read/weights", { body: { weights: { legacy: 50, new: 50 }, reason: "half the reads" } })).status).toBe(200);
    const last = table({ routes: [usersRead("new"), { id: "users-write", match: { path: "/users", methods: ["POST"] }, to: "new" }, { ...ordersShadowed, to: { legacy: 50, new: 50 }, shadow: undefined }] });
    expect((await w.api("PUT", "/routes", { body: { table: JSON.parse(JSON.stringify(last)), reason: "users on new" }, headers: { "if-match": '"3"' } })).status).toBe(200);
    return w;
  }

  it("counts the endpoints at each stage under every version of the window, the first at the window's start", async () => {
    const w = await fourVersions();
    const response = await w.api("GET", "/legacy/burndown?since=7d", { token: VIEWER });
    expect(response.status).toBe(200);
    const week = (await response.json()) as Burndown;
    expect(week).toMatchObject({ surfaceVersion: 1, stages: ["legacy", "dual-write", "shadow", "split", "read-through", "new"] });
    expect(Date.parse(week.until) - Date.parse(week.since)).toBe(7 * DAY);
    expect(week.points.map(({ version, counts, unrouted }) => ({ version, counts, unrouted }))).toEqual([
      { version: 1, counts: { legacy: 4, "dual-write": 0, shadow: 0, split: 0, "read-through": 0, new: 0 }, unrouted: 3 },
      { version: 2, counts: { legacy: 3, "dual-write": 0, shadow: 1, split: 0, "read-through": 0, new: 0 }, unrouted: 2 },
      { version: 3, counts: { legacy: 2, "dual-write": 0, shadow: 1, split: 1, "read-through": 0, new: 0 }, unrouted: 2 },
      { version: 4, counts: { legacy: 1, "dual-write": 0, shadow: 0, split: 1, "read-through": 0, new: 2 }, unrouted: 1 },
    ]);
    // Each point at the time its version began serving: the first, written three days ago.
    const ages = week.points.map((point) => Math.round((Date.parse(week.until) - Date.parse(point.at)) / DAY));
    expect(ages).toEqual([3, 2, 0, 0]);

    // A day's window: version 2 served when it began, so the line starts there, at its start.
    const day = (await (await w.api("GET", "/legacy/burndown?since=1d", { token: VIEWER })).json()) as Burndown;
    expect(day.points.map((point) => point.version)).toEqual([2, 3, 4]);
    expect(day.points[0]?.at).toBe(day.since);
  });

  it("refuses a window it cannot read, and says what to do before anything is imported", async () => {
    const w = await dynamoWorker();
    expect((await w.api("PUT", "/routes", { token: OPERATOR, body: { table: table({ routes: [usersRead("legacy")] }), reason: "first" }, headers: { "if-match": '"0"' } })).status).toBe(200);
    const none = await w.api("GET", "/legacy/burndown", { token: VIEWER });
    expect(none.status).toBe(404);
    expect(await none.json()).toMatchObject({ error: "no_surface" });
    expect((await w.api("GET", "/legacy/burndown?since=1y", { token: VIEWER })).status).toBe(400);
    expect((await w.api("GET", "/legacy/burndown?since=10m", { token: VIEWER })).status).toBe(400);
    expect((await w.api("GET", "/legacy/burndown", { token: null })).status).toBe(401);
  });
});
