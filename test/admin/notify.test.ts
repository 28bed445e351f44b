import { createHmac, timingSafeEqual } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { sendWebhook } from "../../admin/notify.ts";

const SECRET = "a-webhook-secret-of-32-bytes-or-more";
const local = { secret: SECRET, allowPrivate: true };

/**
 * The receiver's check, as docs/rollouts.md shows it: recompute the HMAC over "<t>.<raw
 * body>", compare in constant time, refuse a timestamp older than five minutes.
 */
function verify(secret: string, header: string | undefined, rawBody: string, nowSeconds = Math.floor(Date.now() / 1000)): boolean {
  const fields = Object.fromEntries((header ?? "").split(",").map((part) => part.split("=", 2) as [string, string]));
  const t = Number(fields.t);
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > 300 || !fields.v1) return false;
  const expected = createHmac("sha256", secret).update(`${t}.${rawBody}`).digest();
  const given = Buffer.from(fields.v1, "hex");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** A webhook receiver that answers the given statuses in turn (then 200), and checks each message's signature. */
async function receiver(statuses: number[], answer: (res: http.ServerResponse) => void = () => {}) {
  const received: { body: unknown; signed: boolean }[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk));
    req.on("end", () => {
      received.push({ body: JSON.parse(body), signed: verify(SECRET, req.headers["cutover-signature"] as string | undefined, body) });
      res.statusCode = statuses.shift() ?? 200;
      answer(res);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received, close: () => new Promise((resolve) => server.close(resolve)) };
}

describe("webhooks", () => {
  let close: (() => Promise<unknown>) | undefined;
  afterEach(async () => close?.());

  it("signs every message so the receiver can check it, and retries a 503 until the message is taken", async () => {
    const hook = await receiver([503]);
    close = hook.close;
    expect(await sendWebhook(hook.url, { text: "step 2" }, local)).toBe(true);
    expect(hook.received).toEqual([
      { body: { text: "step 2" }, signed: true },
      { body: { text: "step 2" }, signed: true },
    ]);
  });

  it("whose signature a receiver refuses with another secret, another body or an old timestamp", async () => {
    const hook = await receiver([]);
    close = hook.close;
    let header = "";
    await sendWebhook(hook.url, { text: "x" }, local, async (url, init) => {
      header = new Headers(init?.headers).get("cutover-signature") ?? "";
      return fetch(url, init);
    });
    expect(verify(SECRET, header, '{"text":"x"}')).toBe(true);
    expect(verify("another-secret-of-32-bytes-or-more!!", header, '{"text":"x"}')).toBe(false);
    expect(verify(SECRET, header, '{"text":"y"}')).toBe(false);
    expect(verify(SECRET, header, '{"text":"x"}', Math.floor(Date.now() / 1000) + 3600)).toBe(false);
  });

  it("does not retry what the receiver refuses (a 4xx other than 429), and never throws", async () => {
    const hook = await receiver([404]);
    close = hook.close;
    expect(await sendWebhook(hook.url, { text: "x" }, local)).toBe(false);
    expect(hook.received).toHaveLength(1);
    expect(await sendWebhook("http://127.0.0.1:1/nothing-listens", { text: "x" }, local)).toBe(false);
  });

  it("sends nothing without CUTOVER_WEBHOOK_SECRET, nor to a private address outside a local stack", async () => {
    const hook = await receiver([]);
    close = hook.close;
    expect(await sendWebhook(hook.url, { text: "x" }, { secret: undefined, allowPrivate: true })).toBe(false);
    expect(await sendWebhook(hook.url, { text: "x" }, { secret: SECRET, allowPrivate: false })).toBe(false);
    expect(hook.received).toEqual([]);
  });

  it("does not follow a redirect (a public receiver cannot bounce the Worker to another address)", async () => {
    const target = await receiver([]);
    const bouncer = await receiver([307], (res) => res.setHeader("location", target.url));
    close = async () => Promise.all([target.close(), bouncer.close()]);
    expect(await sendWebhook(bouncer.url, { text: "x" }, local)).toBe(false);
    expect(target.received).toEqual([]);
  });
});
