import { afterEach, describe, expect, it, vi } from "vitest";
import { dynamoWorker, VIEWER } from "../support/admin-harness.ts";
import { table } from "../support/worker-harness.ts";

type Json = Record<string, unknown>;
const routes = table({ routes: [{ id: "orders", match: { path: "/orders/*" }, to: "legacy" }] });
const SECRET = "a-webhook-secret-of-32-bytes-or-more";
const plan = (webhook: string) => ({ plan: { route: "orders", candidate: "new", webhook, steps: [{ type: "weight", weight: 10 }] }, reason: "move orders" });

async function seeded(vars: Partial<Env> = {}) {
  const w = await dynamoWorker({ CUTOVER_WEBHOOK_SECRET: SECRET, ...vars });
  expect((await w.api("PUT", "/routes", { body: { table: routes, reason: "seed" }, headers: { "if-match": "0" } })).status).toBe(200);
  return w;
}

/**
 * Rollout webhooks through the real Worker: only https to a public address, only with a
 * secret that signs them, and what viewers and the audit log see of them is the origin.
 */
describe("a rollout's webhook", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it.each(["http://hooks.example.com/x", "https://127.0.0.1/x", "https://169.254.169.254/latest/meta-data/", "https://[::1]/x", "https://10.0.0.7/x", "https://localhost/x"])(
    "is refused when it points at %s, naming the field",
    async (webhook) => {
      const w = await seeded();
      const response = await w.api("POST", "/rollouts", { body: plan(webhook) });
      expect(response.status).toBe(400);
      const body = (await response.json()) as Json;
      expect(body.error).toBe("invalid_plan");
      expect(String(body.message)).toContain("$.plan.webhook");
    },
  );

  it("needs CUTOVER_WEBHOOK_SECRET, which signs every message", async () => {
    const w = await seeded({ CUTOVER_WEBHOOK_SECRET: "" });
    const response = await w.api("POST", "/rollouts", { body: plan("https://hooks.example.com/services/T1/B1/secret") });
    expect(response.status).toBe(409);
    expect(((await response.json()) as Json).message).toContain("CUTOVER_WEBHOOK_SECRET");
  });

  it("is posted to, signed, and shown to a viewer and in the audit log as its origin only", async () => {
    const sent: { url: string; signature: string | null }[] = [];
    const realFetch = globalThis.fetch;
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      if (!url.startsWith("https://hooks.example.com/")) return realFetch(input, init);
      sent.push({ url, signature: new Headers(init?.headers).get("cutover-signature") });
      return new Response("ok");
    });
    const w = await seeded();
    expect((await w.api("POST", "/rollouts", { body: plan("https://hooks.example.com/services/T1/B1/secret") })).status).toBe(201);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.url).toBe("https://hooks.example.com/services/T1/B1/secret");
    expect(sent[0]?.signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    const seen = JSON.stringify(await (await w.api("GET", "/rollouts/orders", { token: VIEWER })).json()) + JSON.stringify(await (await w.api("GET", "/audit", { token: VIEWER })).json());
    expect(seen).not.toContain("/services/T1/B1/secret");
    expect(seen).toContain("https://hooks.example.com/…");
  });
});
