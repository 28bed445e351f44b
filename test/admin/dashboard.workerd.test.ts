import { describe, expect, it } from "vitest";
import { dynamoWorker, OPERATOR, VIEWER } from "../support/admin-harness.ts";
import { table } from "../support/worker-harness.ts";

describe("the dashboard when the store fails", () => {
  it("still answers its pages with HTML, not an error, when every read of the store fails", async () => {
    // Nothing listens on port 9: every DynamoDB call is refused.
    const w = await dynamoWorker({ CUTOVER_DYNAMODB_ENDPOINT: "http://127.0.0.1:9", CUTOVER_ADMIN_HOSTS: "cutover-admin.example.com", CUTOVER_SESSION_SECRET: "a-session-secret-of-32-bytes-or-more!" });
    const signIn = await w.call(
      new Request("https://cutover-admin.example.com/_cutover/login", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", origin: "https://cutover-admin.example.com" },
        body: new URLSearchParams({ token: VIEWER }),
        redirect: "manual",
      }),
    );
    expect(signIn.status).toBe(303);
    const cookie = signIn.headers.get("set-cookie")?.split(";")[0] ?? "";
    for (const path of ["/_cutover/", "/_cutover/routes/accounts", "/_cutover/rollouts", "/_cutover/versions"]) {
      const page = await w.call(new Request(`https://cutover-admin.example.com${path}`, { headers: { cookie } }));
      expect(page.headers.get("content-type"), path).toContain("text/html");
      expect(page.status, path).toBeLessThan(500);
      expect(await page.text(), path).toContain("<html");
    }
  });
});

describe("starting a rollout from the route page", () => {
  it("sends the form's min users as each weight step's minUsers (and reads the field's old name too)", async () => {
    const admin = "https://cutover-admin.example.com";
    const w = await dynamoWorker({ CUTOVER_ADMIN_HOSTS: "cutover-admin.example.com", CUTOVER_SESSION_SECRET: "a-session-secret-of-32-bytes-or-more!" });
    const routes = table({ routes: [{ id: "orders", match: { path: "/orders/*" }, to: "legacy" }, { id: "invoices", match: { path: "/invoices/*" }, to: "legacy" }] });
    expect((await w.api("PUT", "/routes", { body: { table: routes, reason: "seed" }, headers: { "if-match": "0" } })).status).toBe(200);
    const signIn = await w.call(
      new Request(`${admin}/_cutover/login`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", origin: admin }, body: new URLSearchParams({ token: OPERATOR }), redirect: "manual" }),
    );
    const cookie = signIn.headers.get("set-cookie")?.split(";")[0] ?? "";
    const form = await (await w.call(new Request(`${admin}/_cutover/routes/orders`, { headers: { cookie } }))).text();
    expect(form).toContain('name="minUsers"');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form)?.[1] ?? "";
    const start = (fields: Record<string, string>) =>
      w.call(
        new Request(`${admin}/_cutover/actions/rollouts/start`, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded", origin: admin, cookie },
          body: new URLSearchParams({ _csrf: csrf, candidate: "new", steps: "10,50,100", minDuration: "0s", reason: "from the page", ...fields }),
          redirect: "manual",
        }),
      );
    expect((await start({ route: "orders", minUsers: "25" })).status).toBe(303);
    expect((await start({ route: "invoices", minRequests: "30" })).status).toBe(303);
    const steps = async (route: string) => ((await (await w.api("GET", `/rollouts/${route}`)).json()) as { plan: { steps: { type: string; minUsers?: number }[] } }).plan.steps;
    expect((await steps("orders")).map((step) => step.minUsers)).toEqual([25, 25, 25]);
    expect((await steps("invoices")).map((step) => step.minUsers)).toEqual([30, 30, 30]);
  });
});
