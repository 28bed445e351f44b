import { describe, expect, it } from "vitest";
import { compileTable } from "../../routes/compile.ts";
import { validateRouteTable } from "../../routes/validate.ts";
import { callUpstream } from "../../worker/forward.ts";
import { captureBody } from "../../worker/read-bytes.ts";
import { runShadow } from "../../worker/shadow.ts";
import { createShadowRecorder } from "../../worker/shadow-recorder.ts";
import { origin, ports, table, testId } from "../support/worker-harness.ts";

/** What a shadow copy's budget was asked for, and whether it agreed. */
function budget(allow = true) {
  const asked: number[] = [];
  return { asked, take: (bytes: number) => (asked.push(bytes), allow) };
}

const never = new AbortController().signal;

const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789\n";
/** The upstream's pattern bytes (test/support/upstream.ts), for checking what was captured. */
const pattern = (length: number) => new TextDecoder().decode((new Uint8Array(length)).map((_, i) => ALPHABET.charCodeAt(i % ALPHABET.length)));

async function abandoned(test: string): Promise<string> {
  let count = "0";
  for (let i = 0; i < 40 && count === "0"; i++) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, 50));
    count = await (await fetch(`${origin(ports.new)}/__abandoned?test=${test}`)).text();
  }
  return count;
}

describe("capturing a body for a comparison", () => {
  it("takes a body of declared length from the budget before reading it, then reads it whole", async () => {
    const response = await fetch(`${origin(ports.legacy)}/bytes/100000`);
    const { asked, take } = budget();
    const capture = await captureBody(response.headers, response.body, 200_000, { take, signal: never });
    expect(asked).toEqual([100_000]); // one claim, for the declared length
    expect(capture.kind).toBe("bytes");
    if (capture.kind === "bytes") expect(new TextDecoder().decode(capture.bytes)).toBe(pattern(100_000));
  });

  it("leaves a body declared over the cap, or over the budget, unread", async () => {
    const large = await fetch(`${origin(ports.legacy)}/bytes/100000`);
    const unasked = budget();
    expect(await captureBody(large.headers, large.body, 1000, { take: unasked.take, signal: never })).toEqual({ kind: "too_large" });
    expect(unasked.asked).toEqual([]);

    const refused = await fetch(`${origin(ports.legacy)}/bytes/1000`);
    const spent = budget(false);
    expect(await captureBody(refused.headers, refused.body, 200_000, { take: spent.take, signal: never })).toEqual({ kind: "over_budget" });
    expect(spent.asked).toEqual([1000]);
  });

  it("reads an encoded body chunk by chunk: its declared length is not what the runtime hands over", async () => {
    const response = await fetch(`${origin(ports.legacy)}/gzip`);
    const declared = Number(response.headers.get("content-length"));
    const { asked, take } = budget();
    const capture = await captureBody(response.headers, response.body, 200_000, { take, signal: never });
    expect(capture.kind).toBe("bytes");
    if (capture.kind !== "bytes") return;
    expect(capture.bytes.byteLength).toBeGreaterThan(declared);
    expect(JSON.parse(new TextDecoder().decode(capture.bytes))).toMatchObject({ backend: "legacy" });
    expect(asked.reduce((sum, bytes) => sum + bytes, 0)).toBe(capture.bytes.byteLength); // every chunk claimed
  });

  it("stops waiting for a stalled body at the deadline; aborting the call frees its connection", async () => {
    const id = testId();
    const deadline = new AbortController();
    const outcome = await callUpstream({ url: `${origin(ports.new)}/stall/2000`, method: "GET", headers: new Headers({ "x-test-id": id }), body: null, timeoutMs: 5000, signal: deadline.signal });
    if (outcome.kind !== "response") throw new Error(`no response: ${outcome.kind}`);
    // The head has arrived (its own timer is cleared); half of the declared body, then nothing.
    const capture = captureBody(outcome.response.headers, outcome.response.body, 200_000, { take: () => true, signal: deadline.signal });
    setTimeout(() => deadline.abort(), 100);
    await expect(capture).rejects.toThrow(/aborted/);
    expect(await abandoned(id)).toBe("1");
  });

  it("stops waiting for a stalled branch of a teed body, which it cannot cancel, at the deadline", async () => {
    const response = await fetch(`${origin(ports.legacy)}/stall/2000`);
    const [toClient, toCompare] = (response.body as ReadableStream<Uint8Array>).tee();
    const deadline = new AbortController();
    const capture = captureBody(response.headers, toCompare, 200_000, { take: () => true, signal: deadline.signal });
    setTimeout(() => deadline.abort(), 100);
    await expect(capture).rejects.toThrow(/aborted/);
    await toClient.cancel();
  });
});

describe("a shadow copy's deadline", () => {
  it("counts a candidate whose body stalls as a candidate error, frees its slot and its connection", async () => {
    const valid = validateRouteTable(table({ routes: [{ id: "stalled", match: { path: "/stall/*" }, to: "legacy", shadow: { to: "new", noisePercent: 0 } }] }));
    if (!valid.ok) throw new Error("test table invalid");
    const compiled = compileTable(valid.value, 1);
    const route = compiled.routes[0];
    if (route?.shadow === undefined) throw new Error("no shadow compiled");
    const recorder = createShadowRecorder({ store: undefined, maxAgeMs: 60_000, now: Date.now, onError: () => {} });
    const lease = recorder.tryStart(route.shadow.statsId);
    if (lease === undefined) throw new Error("no lease");
    const id = testId();
    const control = await fetch(`${origin(ports.legacy)}/bytes/1000`);
    const [toClient, toCompare] = (control.body as ReadableStream<Uint8Array>).tee();
    const client = new Response(toClient).text();
    const startedAt = Date.now();
    await runShadow(
      {
        routeId: "stalled",
        requestId: id,
        idempotencyKey: id,
        outgoing: { method: "GET", path: "/stall/2000", search: "", headers: new Headers({ "x-test-id": id }), body: null },
        control: { backend: route.split[0]?.backend as never, response: control, body: toCompare, startedAt },
        choice: { shadow: route.shadow, learnNoise: false },
        lease,
        credentials: undefined,
        now: Date.now,
        deadlineMs: 200,
      },
      recorder,
    );
    expect(await client).toBe(pattern(1000)); // the client's branch is whole
    expect(recorder.stats(route.shadow.statsId)).toMatchObject({ compared: 0, candidateErrors: 1 });
    expect(recorder.inflight()).toEqual({ copies: 0, bytes: 0 });
    expect(await abandoned(id)).toBe("1");
  });
});
