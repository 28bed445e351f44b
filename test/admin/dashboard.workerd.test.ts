import { describe, expect, it } from "vitest";
import { dynamoWorker, VIEWER } from "../support/admin-harness.ts";

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
