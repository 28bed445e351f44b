import { concatBytes } from "../lib/bytes.ts";
import { raceTimeout, TIMED_OUT } from "../lib/timeout.ts";

export type ReadResult =
  | { readonly complete: true; readonly bytes: Uint8Array }
  /** Over the cap, or the budget refused a chunk: what was read, and the reader to go on with or cancel. */
  | { readonly complete: false; readonly overBudget: boolean; readonly chunks: Uint8Array[]; readonly reader: ReadableStreamDefaultReader<Uint8Array> };

export interface ReadOptions {
  /** Give up (cancel the stream, throw) after this long. */
  readonly timeoutMs?: number;
  /** Asked for every chunk's bytes before it is kept (a shadow copy's byte budget). */
  readonly take?: (bytes: number) => boolean;
  /** Cancels the stream and throws when aborted (nobody will use what is read). */
  readonly signal?: AbortSignal;
}

/**
 * Reads a stream whole, up to `cap` bytes. Past the cap, or when the budget refuses a chunk,
 * it stops reading (nothing more is buffered for it) and says so; past the time, or when
 * aborted, it cancels the stream and throws, even in the middle of a read that would never
 * end (a stalled body, an event stream).
 */
export async function readUpTo(stream: ReadableStream<Uint8Array>, cap: number, options: ReadOptions = {}): Promise<ReadResult> {
  const reader = stream.getReader();
  const cancel = (reason: string) => reader.cancel(reason).catch(() => {});
  const { signal } = options;
  if (signal?.aborted) {
    await cancel("aborted");
    throw new Error("reading the body was aborted");
  }
  const onAbort = () => void cancel("aborted");
  signal?.addEventListener("abort", onAbort);
  try {
    const result = await raceTimeout(readLoop(reader, cap, options.take), options.timeoutMs ?? Number.POSITIVE_INFINITY);
    if (result === TIMED_OUT) {
      await cancel("deadline");
      throw new Error("reading the body passed its deadline");
    }
    if (signal?.aborted) throw new Error("reading the body was aborted");
    return result;
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}

async function readLoop(reader: ReadableStreamDefaultReader<Uint8Array>, cap: number, take: ((bytes: number) => boolean) | undefined): Promise<ReadResult> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { complete: true, bytes: concatBytes(chunks, size) };
    if (take !== undefined && !take(value.byteLength)) return { complete: false, overBudget: true, chunks, reader };
    chunks.push(value);
    size += value.byteLength;
    if (size > cap) return { complete: false, overBudget: false, chunks, reader };
  }
}

/** A response body as a comparison captured it: its bytes, or why there are none. */
export type Capture = { readonly kind: "bytes"; readonly bytes: Uint8Array } | { readonly kind: "too_large" } | { readonly kind: "over_budget" };

const EMPTY = new Uint8Array(0);

/**
 * Captures a response body whole, up to `cap` bytes, within a byte budget (`take`), or cancels
 * it and says why not; throws, having cancelled it, when `signal` aborts first.
 *
 * A body whose length the headers declare and the runtime hands over as sent (no
 * Content-Encoding, which the runtime decodes, no Transfer-Encoding) is judged by that length
 * before a byte is read — over the cap or the budget, it is cancelled unread — and then read
 * in one native call, the way the floor of a comparison reads it (`bench/workers/
 * compared-copy.js`): no round through JavaScript per chunk, about 140 µs of CPU less per
 * shadow copy at 500 req/s (`bench/RESULTS.md`). The runtime reads no more than the declared
 * length. Such a read cannot be cancelled once started: past the deadline it is no longer
 * waited for, and a caller that owns the request (the shadow's own call) aborts it through
 * the fetch's signal, which ends the body too. Any other body is read chunk by chunk
 * (`readUpTo`).
 */
export async function captureBody(
  headers: Headers,
  body: ReadableStream<Uint8Array> | null,
  cap: number,
  options: { readonly take: (bytes: number) => boolean; readonly signal: AbortSignal },
): Promise<Capture> {
  if (body === null) return { kind: "bytes", bytes: EMPTY };
  const declared = declaredLength(headers);
  if (declared === undefined) {
    const read = await readUpTo(body, cap, options);
    if (read.complete) return { kind: "bytes", bytes: read.bytes };
    await read.reader.cancel("over the shadow capture cap").catch(() => {});
    return { kind: read.overBudget ? "over_budget" : "too_large" };
  }
  const refused: Capture | undefined = declared > cap ? { kind: "too_large" } : options.take(declared) ? undefined : { kind: "over_budget" };
  if (refused !== undefined || options.signal.aborted) {
    await body.cancel(refused ? "over the shadow capture cap" : "deadline").catch(() => {});
    if (refused) return refused;
    throw new Error("reading the body was aborted");
  }
  const read = new Response(body).arrayBuffer();
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new Error("reading the body was aborted"));
    options.signal.addEventListener("abort", onAbort);
  });
  try {
    return { kind: "bytes", bytes: new Uint8Array(await Promise.race([read, aborted])) };
  } finally {
    options.signal.removeEventListener("abort", onAbort as () => void);
    read.catch(() => {});
  }
}

/** The body's length as sent, when the headers declare it and the runtime does not re-encode it. */
function declaredLength(headers: Headers): number | undefined {
  const length = headers.get("content-length");
  if (length === null || headers.has("transfer-encoding")) return undefined;
  const encoding = headers.get("content-encoding");
  if (encoding !== null && encoding.toLowerCase() !== "identity") return undefined;
  return /^\d{1,15}$/.test(length) ? Number(length) : undefined;
}
