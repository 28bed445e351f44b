import { describe, expect, it } from "vitest";
import { get, origin, ports, received, send, table, testId } from "../support/worker-harness.ts";

/**
 * The emergency bypass (docs/emergency.md): CUTOVER_BYPASS=on makes the Worker a plain
 * pass-through to CUTOVER_LEGACY_URL, whatever the route table says and whether or not the
 * store answers.
 */
describe("the emergency bypass", () => {
  const routes = table({ routes: [{ id: "accounts", match: { path: "/api/accounts/*" }, to: "new", shadow: { to: "spare" } }] });
  const bypass = { CUTOVER_BYPASS: "on", CUTOVER_LEGACY_URL: origin(ports.legacy) };

  it("sends every request to legacy, as it came, with nothing copied", async () => {
    const id = testId();
    const response = await send(routes, get("/api/accounts/7?x=1", { "x-test-id": id }, { method: "POST", body: '{"name":"Ada"}', headers: { "x-test-id": id, "content-type": "application/json" } }), bypass);
    expect(response.headers.get("x-served-by")).toBe("legacy");
    await response.arrayBuffer();
    const [seen] = await received(ports.legacy, id);
    expect({ method: seen?.method, url: seen?.url }).toEqual({ method: "POST", url: "/api/accounts/7?x=1" });
    expect(await received(ports.new, id)).toEqual([]);
    expect(await received(ports.spare, id)).toEqual([]);
  });

  it("does not need the store: a route table in an unreachable DynamoDB is never read", async () => {
    const vars = { ...bypass, CUTOVER_ROUTES: undefined, CUTOVER_DYNAMODB_TABLE: "cutover", CUTOVER_DYNAMODB_ENDPOINT: origin(ports.refused), CUTOVER_DYNAMODB_ACCESS_KEY_ID: "x", CUTOVER_DYNAMODB_SECRET_ACCESS_KEY: "y" } as never;
    const response = await send(routes, get("/api/accounts/7"), vars);
    expect({ status: response.status, servedBy: response.headers.get("x-served-by") }).toEqual({ status: 200, servedBy: "legacy" });
  });

  it("says so in health, and is ignored without a legacy URL to pass to", async () => {
    const health = (await (await send(routes, get("/_cutover/health"), bypass)).json()) as { notes: string[] };
    expect(health.notes.some((note) => note.startsWith("CUTOVER_BYPASS is on"))).toBe(true);
    const withoutLegacy = await send(routes, get("/api/accounts/7"), { CUTOVER_BYPASS: "on", CUTOVER_LEGACY_URL: "" });
    expect(withoutLegacy.headers.get("x-served-by")).toBe("new");
    const problems = (await (await send(routes, get("/_cutover/health"), { CUTOVER_BYPASS: "on", CUTOVER_LEGACY_URL: "" })).json()) as { problems: string[] };
    expect(problems.problems).toContain("CUTOVER_BYPASS is on, but without CUTOVER_LEGACY_URL there is nowhere to pass requests to: the route table still decides.");
  });

  it("is off unless it says on", async () => {
    const response = await send(routes, get("/api/accounts/7"), { CUTOVER_BYPASS: "yes", CUTOVER_LEGACY_URL: origin(ports.legacy) });
    expect(response.headers.get("x-served-by")).toBe("new");
  });
});
