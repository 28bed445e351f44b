import { describe, expect, it } from "vitest";
import { dynamoWorker } from "../support/admin-harness.ts";
import { origin, ports, table } from "../support/worker-harness.ts";

/**
 * What accounting charges a backend with, through the real Worker and its /metrics: a client
 * that stops sending its body is not a backend's failure, and a fallback is counted by what
 * triggered it.
 */
interface Point {
  requests: number;
  status: Record<string, number>;
  proxyErrors: Record<string, number>;
  fallbacks: Record<string, number>;
}

const routes = table({
  backends: { impatient: { url: origin(ports.legacy), timeoutMs: 300, uploadIdleTimeoutMs: 1000 } },
  routes: [
    { id: "upload", match: { path: "/upload/*" }, to: "impatient" },
    { id: "slow", match: { path: "/slow/*" }, to: "impatient" },
    { id: "read-through", match: { path: "/status/*" }, to: "new", fallback: { to: "legacy", on: ["5xx", "404"] } },
  ],
});

async function worker() {
  const w = await dynamoWorker();
  expect((await w.api("PUT", "/routes", { body: { table: routes, reason: "seed" }, headers: { "if-match": "0" } })).status).toBe(200);
  const metrics = async (route: string) => ((await (await w.api("GET", `/metrics?route=${route}&since=1h`)).json()) as { totals: Record<string, Point> }).totals;
  const post = (path: string, body: ReadableStream<Uint8Array>, headers: Record<string, string> = {}) =>
    w.call(new Request(`https://shop.example.com${path}`, { method: "POST", body, headers: { "content-type": "application/octet-stream", ...headers } }));
  return { ...w, metrics, post };
}

const kilobyte = new Uint8Array(1024).fill(97);

describe("a client that stops sending its body", () => {
  it("breaking off mid-upload to a real backend: a 400 for the client, counted as its own abort (499), never the backend's 502", async () => {
    const w = await worker();
    let sent = 0;
    const breaksOff = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 3) return controller.enqueue(kilobyte);
        controller.error(new Error("the client went away"));
      },
    });
    const id = crypto.randomUUID();
    const response = await w.post("/upload/item", breaksOff, { "x-test-id": id });
    expect(response.status).toBe(400);
    expect(response.headers.get("x-cutover-error")).toBe("incomplete_body");
    await response.arrayBuffer();
    expect((await w.metrics("upload")).impatient).toMatchObject({ requests: 1, proxyErrors: { "499": 1 }, status: { "5xx": 0 } });
    // The call was aborted: the backend never took the cut-off body for a whole request (workerd
    // would end it as a complete chunked body).
    expect(await (await fetch(`${origin(ports.legacy)}/__log?test=${id}`)).json()).toEqual([]);
  });

  it("ending before its declared Content-Length: never passed on as a whole body, and its own abort", async () => {
    const w = await worker();
    const short = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(kilobyte);
        controller.close();
      },
    });
    const id = crypto.randomUUID();
    const response = await w.post("/upload/item", short, { "content-length": String(10 * 1024), "x-test-id": id });
    expect(response.status).toBe(400);
    await response.arrayBuffer();
    expect(await (await fetch(`${origin(ports.legacy)}/__log?test=${id}`)).json()).toEqual([]);
    expect((await w.metrics("upload")).impatient).toMatchObject({ requests: 1, proxyErrors: { "499": 1 } });
  });

  it("stalling for the backend's uploadIdleTimeoutMs: a 408, counted as its own abort, not the backend's 504", async () => {
    const w = await worker();
    let sent = false;
    const stalls = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent) return new Promise<void>(() => {}); // the rest never comes
        sent = true;
        controller.enqueue(kilobyte);
      },
    });
    const response = await w.post("/upload/item", stalls);
    expect(response.status).toBe(408);
    expect(response.headers.get("x-cutover-error")).toBe("upload_stalled");
    await response.arrayBuffer();
    const counted = (await w.metrics("upload")).impatient;
    expect(counted).toMatchObject({ requests: 1, proxyErrors: { "499": 1 } });
    expect(counted?.proxyErrors["504"]).toBeUndefined();
  });

  it("while a backend that got the whole body and is too slow still times out as the backend's 504", async () => {
    const w = await worker();
    const whole = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(kilobyte);
        controller.close();
      },
    });
    const response = await w.post("/slow/3000", whole);
    expect(response.status).toBe(504);
    await response.arrayBuffer();
    const counted = (await w.metrics("slow")).impatient;
    expect(counted).toMatchObject({ requests: 1, proxyErrors: { "504": 1 } });
    expect(counted?.proxyErrors["499"]).toBeUndefined();
  });

  it("uploading slowly but steadily for longer than the backend's timeoutMs: the backend's answer, since the timeout counts from the body sent", async () => {
    const w = await worker();
    const id = crypto.randomUUID();
    let sent = 0;
    // Eight kilobytes, one every 100 ms: some 800 ms of upload against a 300 ms timeoutMs.
    const dribbles = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent++ === 8) return controller.close();
        await new Promise((resolve) => setTimeout(resolve, 100));
        controller.enqueue(kilobyte);
      },
    });
    const response = await w.post("/upload/item", dribbles, { "x-test-id": id, "content-length": String(8 * 1024) });
    expect(response.status).toBe(200);
    await response.arrayBuffer();
    const seen = (await (await fetch(`${origin(ports.legacy)}/__log?test=${id}`)).json()) as { bodyBytes: number }[];
    expect(seen.map((r) => r.bodyBytes)).toEqual([8 * 1024]);
    expect((await w.metrics("upload")).impatient).toMatchObject({ requests: 1, status: { "2xx": 1 } });
  });

  it("a whole upload still reaches the backend intact, with its length", async () => {
    const w = await worker();
    const id = crypto.randomUUID();
    const chunks = [kilobyte, kilobyte, kilobyte];
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.shift();
        if (next) controller.enqueue(next);
        else controller.close();
      },
    });
    const response = await w.post("/upload/item", body, { "x-test-id": id, "content-length": String(3 * 1024) });
    expect(response.status).toBe(200);
    await response.arrayBuffer();
    const seen = (await (await fetch(`${origin(ports.legacy)}/__log?test=${id}`)).json()) as { bodyBytes: number; headers: Record<string, string | undefined> }[];
    expect(seen.map((r) => r.bodyBytes)).toEqual([3 * 1024]);
    // Sent with its length, not chunked: S3, function URLs and Heroku's router expect it.
    expect(seen[0]?.headers["content-length"]).toBe(String(3 * 1024));
    expect(seen[0]?.headers["transfer-encoding"]).toBeUndefined();
  });
});

describe("fallbacks by trigger", () => {
  it("counts a fallback on 404 (the read-through step) as 404, and one on a 5xx as 5xx", async () => {
    const w = await worker();
    for (const path of ["/status/404", "/status/404", "/status/503"]) await (await w.call(new Request(`https://shop.example.com${path}`))).arrayBuffer();
    const counted = (await w.metrics("read-through")).new;
    expect(counted).toMatchObject({ requests: 3, fallbacks: { "404": 2, "5xx": 1 } });
  });
});
