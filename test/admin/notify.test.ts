import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { sendWebhook } from "../../admin/notify.ts";

/** A webhook receiver that answers the given statuses in turn (then 200). */
async function receiver(statuses: number[]) {
  const received: unknown[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk));
    req.on("end", () => {
      received.push(JSON.parse(body));
      res.statusCode = statuses.shift() ?? 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received, close: () => new Promise((resolve) => server.close(resolve)) };
}

describe("webhooks", () => {
  let close: (() => Promise<unknown>) | undefined;
  afterEach(async () => close?.());

  it("retries a 503 and delivers the message once it is taken", async () => {
    const hook = await receiver([503]);
    close = hook.close;
    expect(await sendWebhook(hook.url, { text: "step 2" })).toBe(true);
    expect(hook.received).toEqual([{ text: "step 2" }, { text: "step 2" }]);
  });

  it("does not retry what the receiver refuses (a 4xx other than 429), and never throws", async () => {
    const hook = await receiver([404]);
    close = hook.close;
    expect(await sendWebhook(hook.url, { text: "x" })).toBe(false);
    expect(hook.received).toHaveLength(1);
    expect(await sendWebhook("http://127.0.0.1:1/nothing-listens", { text: "x" })).toBe(false);
  });
});
