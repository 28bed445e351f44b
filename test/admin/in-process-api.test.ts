import { Hono, type ExecutionContext } from "hono";
import { describe, expect, it } from "vitest";
import type { AdminEnv } from "../../admin/auth.ts";
import { RoutesAnswer } from "../../admin/contract/index.ts";
import { inProcessApi } from "../../admin/dashboard/in-process-api.ts";

const table = { backends: { legacy: { url: "https://legacy.example" } }, default: "legacy", routes: [] };
const executionCtx: ExecutionContext = { waitUntil: () => undefined, passThroughOnException: () => undefined, props: {} };
const c = { executionCtx };
const operator = { name: "ops", role: "operator" } as const;

/** The dashboard's calls to the API, against an API that answers what a test says. */
function apiAnswering(status: number, body: string, type = "application/json") {
  const api = new Hono<AdminEnv>();
  api.all("*", () => new Response(body, { status, headers: { "content-type": type } }));
  return inProcessApi(api);
}

describe("the dashboard's in-process API calls", () => {
  it("read an answer that fits the contract", async () => {
    const { get } = apiAnswering(200, JSON.stringify({ version: 7, info: null, table }));
    expect(await get(c, operator, "/routes", RoutesAnswer)).toEqual({ version: 7, info: null, table });
  });

  it("turn an answer that does not fit into a failed call naming the field, not a thrown page", async () => {
    const { call, get } = apiAnswering(200, JSON.stringify({ version: "7", info: null, table }));
    expect(await get(c, operator, "/routes", RoutesAnswer)).toBeUndefined();
    const result = await call(c, operator, "PUT", "/routes", RoutesAnswer, { table, reason: "r" });
    expect(result).toMatchObject({ ok: false, status: 502, problem: { error: "bad_answer", issues: [{ path: "$.version", message: 'must be a number, not the string "7"' }] } });
    expect(!result.ok && result.problem.message).toContain("the change may have been made");
  });

  it("pass on the API's refusal, and call anything else a bad response", async () => {
    const refused = await apiAnswering(409, JSON.stringify({ error: "read_only", message: "The route table comes from CUTOVER_ROUTES." })).call(c, operator, "POST", "/rollback", RoutesAnswer, {});
    expect(refused).toEqual({ ok: false, status: 409, problem: { error: "read_only", message: "The route table comes from CUTOVER_ROUTES." } });
    const page = await apiAnswering(200, "<html>an error page</html>", "text/html").call(c, operator, "GET", "/routes", RoutesAnswer);
    expect(page).toEqual({ ok: false, status: 502, problem: { error: "bad_response", message: "<html>an error page</html>" } });
  });
});
