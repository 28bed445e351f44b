import { describe, expect, it } from "vitest";
import { compileTable, type CompiledBackend } from "../../routes/compile.ts";
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

/** How many of the test's requests the backend saw abandoned before it finished answering (waits for the first). */
async function abandoned(test: string, port = ports.new): Promise<string> {
  let count = "0";
  for (let i = 0; i < 40 && count === "0"; i++) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, 50));
    count = await (await fetch(`${origin(port)}/__abandoned?test=${test}`)).text();
  }
  return count;
}

const owned = (signal = never) => ({ signal, owned: true, method: "GET" });

describe("capturing a body for a comparison", () => {
  it("takes a body of declared length from the budget before reading it, then reads it whole", async () => {
    const response = await fetch(`${origin(ports.legacy)}/bytes/100000`);
    const { asked, take } = budget();
    const capture = await captureBody(response, response.body, 200_000, { take, ...owned() });
    expect(asked).toEqual([100_000]); // one claim, for the declared length
    expect(capture.kind).toBe("bytes");
    if (capture.kind === "bytes") expect(new TextDecoder().decode(capture.bytes)).toBe(pattern(100_000));
  });

  it("reads a teed branch of declared length into one buffer, and the client's branch is whole", async () => {
    const response = await fetch(`${origin(ports.legacy)}/bytes/300000`);
    const [toClient, toCompare] = (response.body as ReadableStream<Uint8Array>).tee();
    const client = new Response(toClient).text();
    const { asked, take } = budget();
    const capture = await captureBody(response, toCompare, 400_000, { take, signal: never, owned: false, method: "GET" });
    expect(asked).toEqual([300_000]);
    expect(capture.kind === "bytes" && new TextDecoder().decode(capture.bytes)).toBe(pattern(300_000));
    expect(await client).toBe(pattern(300_000));
  });

  it("reads a branch made in JavaScript, which takes no buffer of its own, chunk by chunk up to its declared length", async () => {
    const chunks = ["abc", "def"].map((text) => new TextEncoder().encode(text));
    const made = () => new ReadableStream<Uint8Array>({ pull: (controller) => (chunks.length > 0 ? controller.enqueue(chunks.shift() as Uint8Array) : controller.close()) });
    const whole = new Response(made(), { headers: { "content-length": "6" } });
    const capture = await captureBody(whole, whole.body, 1000, { take: () => true, signal: never, owned: false, method: "GET" });
    expect(capture.kind === "bytes" && new TextDecoder().decode(capture.bytes)).toBe("abcdef");
    chunks.push(...["abc", "defg"].map((text) => new TextEncoder().encode(text)));
    const longer = new Response(made(), { headers: { "content-length": "6" } });
    expect(await captureBody(longer, longer.body, 1000, { take: () => true, signal: never, owned: false, method: "GET" })).toEqual({ kind: "too_large" });
  });

  it("cancels a body declared over the cap, or over the budget, unread", async () => {
    const id = testId();
    // 20 MB: more than the sockets between them hold, so the backend sees the body given up.
    const large = await fetch(`${origin(ports.new)}/bytes/20000000`, { headers: { "x-test-id": id } });
    const unasked = budget();
    expect(await captureBody(large, large.body, 1000, { take: unasked.take, ...owned() })).toEqual({ kind: "too_large" });
    expect(unasked.asked).toEqual([]);
    expect(await abandoned(id)).toBe("1");

    const refused = await fetch(`${origin(ports.legacy)}/bytes/1000`);
    const spent = budget(false);
    expect(await captureBody(refused, refused.body, 200_000, { take: spent.take, ...owned() })).toEqual({ kind: "over_budget" });
    expect(spent.asked).toEqual([1000]);
  });

  it("does not hold the answer to a HEAD to the length it declares", async () => {
    // workerd hands over no body for a HEAD; were it an empty stream, the length it declares
    // (an S3 object's) would count against the cap and the budget.
    const head = await fetch(`${origin(ports.legacy)}/bytes/100000`, { method: "HEAD" });
    const empty = new ReadableStream<Uint8Array>({ start: (controller) => controller.close() });
    const response = new Response(empty, { headers: { "content-length": head.headers.get("content-length") ?? "" } });
    const { asked, take } = budget();
    expect(await captureBody(response, response.body, 1000, { take, signal: never, owned: true, method: "HEAD" })).toMatchObject({ kind: "bytes" });
    expect(asked.reduce((sum, bytes) => sum + bytes, 0)).toBe(0);
  });

  it("reads an encoded body chunk by chunk: its declared length is not what the runtime hands over", async () => {
    const response = await fetch(`${origin(ports.legacy)}/gzip`);
    const declared = Number(response.headers.get("content-length"));
    const { asked, take } = budget();
    const capture = await captureBody(response, response.body, 200_000, { take, ...owned() });
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
    const capture = captureBody(outcome.response, outcome.response.body, 200_000, { take: () => true, ...owned(deadline.signal) });
    setTimeout(() => deadline.abort(), 100);
    await expect(capture).rejects.toThrow(/aborted/);
    expect(await abandoned(id)).toBe("1");
  });

  it("cancels a stalled branch of a teed body at the deadline; once the client goes too, the connection is freed", async () => {
    const id = testId();
    const response = await fetch(`${origin(ports.legacy)}/stall/2000`, { headers: { "x-test-id": id } });
    const [toClient, toCompare] = (response.body as ReadableStream<Uint8Array>).tee();
    const deadline = new AbortController();
    const capture = captureBody(response, toCompare, 200_000, { take: () => true, signal: deadline.signal, owned: false, method: "GET" });
    setTimeout(() => deadline.abort(), 100);
    await expect(capture).rejects.toThrow(/aborted/);
    await toClient.cancel();
    expect(await abandoned(id, ports.legacy)).toBe("1");
  });
});

/** A shadow copy of GET `path` (sent to the "new" test backend), with `control` as the control's answer; run to its end. */
async function runCopy(path: string, control: Response, options: { deadlineMs: number; candidateTimeoutMs?: number }) {
  const id = testId();
  const candidate = { url: origin(ports.new), ...(options.candidateTimeoutMs === undefined ? {} : { timeoutMs: options.candidateTimeoutMs }) };
  const valid = validateRouteTable(table({ backends: { new: candidate }, routes: [{ id: "copied", match: { path: "/*" }, to: "legacy", shadow: { to: "new", noisePercent: 0 } }] }));
  if (!valid.ok) throw new Error(`test table invalid: ${JSON.stringify(valid.error)}`);
  const route = compileTable(valid.value, 1).routes[0];
  if (route?.shadow === undefined) throw new Error("no shadow compiled");
  const recorder = createShadowRecorder({ store: undefined, maxAgeMs: 60_000, now: Date.now, onError: () => {} });
  const lease = recorder.tryStart(route.shadow.statsId);
  if (lease === undefined) throw new Error("no lease");
  const [toClient, toCompare] = control.body ? control.body.tee() : [null, null];
  const client = new Response(toClient).text();
  await runShadow(
    {
      routeId: route.id,
      requestId: id,
      idempotencyKey: id,
      outgoing: { method: "GET", path, search: "", headers: new Headers({ "x-test-id": id }), body: null },
      control: { backend: route.split[0]?.backend as CompiledBackend, response: control, body: toCompare, startedAt: Date.now() },
      choice: { shadow: route.shadow, learnNoise: false },
      lease,
      credentials: undefined,
      now: Date.now,
      deadlineMs: options.deadlineMs,
    },
    recorder,
  );
  return { id, client: await client.catch(() => "(failed)"), stats: recorder.stats(route.shadow.statsId), inflight: recorder.inflight() };
}

describe("a shadow copy's deadline", () => {
  it("counts a candidate whose body stalls as a candidate error, frees its slot and its connection", async () => {
    const copy = await runCopy("/stall/2000", await fetch(`${origin(ports.legacy)}/bytes/1000`), { deadlineMs: 200 });
    expect(copy.client).toBe(pattern(1000)); // the client's branch is whole
    expect(copy.stats).toMatchObject({ compared: 0, candidateErrors: 1 });
    expect(copy.inflight).toEqual({ copies: 0, bytes: 0 });
    expect(await abandoned(copy.id)).toBe("1");
  });

  it("applies the candidate's own timeout to the head when it is the shorter", async () => {
    // The candidate holds its head until released (never, here); its 100 ms ends the copy
    // well before the copy's 60 s.
    const copy = await runCopy(`/shadow/hold/${testId()}`, await fetch(`${origin(ports.legacy)}/bytes/1000`), { deadlineMs: 60_000, candidateTimeoutMs: 100 });
    expect(copy.stats).toMatchObject({ compared: 0, candidateErrors: 1 });
    expect(await abandoned(copy.id)).toBe("1");
  });

  it("ends the candidate's call at once when the control's body fails", async () => {
    // The control's body fails once the candidate's call is under way (its head in, its body stalled).
    const failing = new Response(
      new ReadableStream({ pull: (controller) => new Promise<void>((resolve) => setTimeout(() => resolve(controller.error(new Error("control reset"))), 300)) }),
      { headers: { "content-type": "application/json" } },
    );
    const copy = await runCopy("/stall/2000", failing, { deadlineMs: 60_000 });
    expect(copy.stats).toMatchObject({ compared: 0, candidateErrors: 0 }); // nothing to compare with
    expect(copy.inflight).toEqual({ copies: 0, bytes: 0 });
    expect(await abandoned(copy.id)).toBe("1");
  });
});
