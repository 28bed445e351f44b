import { concatBytes } from "../lib/bytes.ts";

export type ReadResult =
  | { readonly complete: true; readonly bytes: Uint8Array }
  /** Over the cap, or the budget refused a chunk: what was read, and the reader to go on with or cancel. */
  | { readonly complete: false; readonly overBudget: boolean; readonly chunks: Uint8Array[]; readonly reader: ReadableStreamDefaultReader<Uint8Array> };

export interface ReadOptions {
  /** Asked for every chunk's bytes before it is kept (a shadow copy's byte budget). */
  readonly take?: (bytes: number) => boolean;
  /** Cancels the stream and throws when aborted (nobody will use what is read). */
  readonly signal?: AbortSignal;
}

const ABORTED = "reading the body was aborted";

/**
 * Reads a stream whole, up to `cap` bytes. Past the cap, or when the budget refuses a chunk,
 * it stops reading (nothing more is buffered for it) and says so; when aborted (a deadline),
 * it cancels the stream and throws, even in the middle of a read that would never end (a
 * stalled body, an event stream).
 */
export async function readUpTo(stream: ReadableStream<Uint8Array>, cap: number, options: ReadOptions = {}): Promise<ReadResult> {
  const reader = stream.getReader();
  const cancel = (reason: string) => reader.cancel(reason).catch(() => {});
  const { signal } = options;
  if (signal?.aborted) {
    await cancel("aborted");
    throw new Error(ABORTED);
  }
  const onAbort = () => void cancel("aborted");
  signal?.addEventListener("abort", onAbort);
  try {
    const result = await readLoop(reader, cap, options.take);
    if (signal?.aborted) throw new Error(ABORTED);
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

export interface CaptureOptions {
  /** Asked for the body's bytes before they are kept (the copy's share of the isolate's byte budget). */
  readonly take: (bytes: number) => boolean;
  /** The copy's deadline: reading stops, and the body is cancelled or abandoned, when it aborts. */
  readonly signal: AbortSignal;
  /**
   * The body is the answer to a call of the caller's own, made with `signal`: aborting the
   * signal ends the call and its body. A tee's branch (the control's answer, which the client
   * reads) is not.
   */
  readonly owned: boolean;
  /** The request's method: the answer to a HEAD declares a length it does not send. */
  readonly method: string;
}

const EMPTY = new Uint8Array(0);

/**
 * Captures a response body whole, up to `cap` bytes, within the byte budget, or cancels it and
 * says why not; throws when `signal` aborts first.
 *
 * A body whose length the headers declare and the runtime hands over as sent (no
 * Content-Encoding, which the runtime decodes, no Transfer-Encoding) is judged by that length
 * before a byte is read — over the cap or the budget, it is cancelled unread — and then read
 * in one round instead of one per chunk and one for its end (about 140 µs of CPU less per
 * shadow copy at 500 req/s, `bench/RESULTS.md`). An owned body is read with `arrayBuffer()`,
 * as the floor of a comparison reads it (`bench/workers/compared-copy.js`); that read cannot
 * be cancelled, but aborting the signal ends the call and so the read, and it is no longer
 * waited for. A tee's branch is read with one `readAtLeast` into a buffer of the declared
 * size, which a cancel ends (a branch of a body made in JavaScript, which has no such reader,
 * chunk by chunk up to the declared length). Either way no more than the declared length is
 * read. Any other body is read chunk by chunk (`readUpTo`).
 */
export async function captureBody(response: Response, body: ReadableStream<Uint8Array> | null, cap: number, options: CaptureOptions): Promise<Capture> {
  if (body === null) return { kind: "bytes", bytes: EMPTY };
  const declared = options.method === "HEAD" ? undefined : declaredLength(response.headers);
  if (declared === undefined) return captureChunks(body, cap, options);
  if (options.signal.aborted) {
    await body.cancel("deadline").catch(() => {});
    throw new Error(ABORTED);
  }
  const refused: Capture | undefined = declared > cap ? { kind: "too_large" } : options.take(declared) ? undefined : { kind: "over_budget" };
  if (refused !== undefined) {
    await body.cancel("over the shadow capture cap").catch(() => {});
    return refused;
  }
  if (options.owned) return readOwned(body, options.signal);
  let reader: ReadableStreamBYOBReader;
  try {
    reader = body.getReader({ mode: "byob" });
  } catch {
    // Not a byte stream (a body made in JavaScript): chunk by chunk, held to the declared length.
    return captureChunks(body, declared, { signal: options.signal });
  }
  return readBranch(reader, declared, options.signal);
}

/** A body captured chunk by chunk up to `cap` (`readUpTo`), or cancelled past the cap or the budget. */
export async function captureChunks(body: ReadableStream<Uint8Array>, cap: number, options: ReadOptions): Promise<Capture> {
  const read = await readUpTo(body, cap, options);
  if (read.complete) return { kind: "bytes", bytes: read.bytes };
  await read.reader.cancel("over the shadow capture cap").catch(() => {});
  return { kind: read.overBudget ? "over_budget" : "too_large" };
}

/** An owned body in one native call, no longer waited for once the signal (which ends it) aborts. */
async function readOwned(body: ReadableStream<Uint8Array>, signal: AbortSignal): Promise<Capture> {
  const read = new Response(body).arrayBuffer();
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new Error(ABORTED));
    signal.addEventListener("abort", onAbort);
  });
  try {
    return { kind: "bytes", bytes: new Uint8Array(await Promise.race([read, aborted])) };
  } finally {
    signal.removeEventListener("abort", onAbort as () => void);
    read.catch(() => {});
  }
}

/** A branch of declared length into a buffer of that size, cancelled when the signal aborts. */
async function readBranch(reader: ReadableStreamBYOBReader, declared: number, signal: AbortSignal): Promise<Capture> {
  const onAbort = () => void reader.cancel("deadline").catch(() => {});
  signal.addEventListener("abort", onAbort);
  try {
    let buffer = new ArrayBuffer(declared);
    let filled = 0;
    while (filled < declared) {
      const { done, value } = await reader.readAtLeast(declared - filled, new Uint8Array(buffer, filled, declared - filled));
      if (signal.aborted) throw new Error(ABORTED);
      if (value !== undefined) {
        buffer = value.buffer as ArrayBuffer;
        filled += value.byteLength;
      }
      if (done) break;
    }
    // The declared length is all the runtime hands over: nothing is left to read.
    await reader.cancel().catch(() => {});
    return { kind: "bytes", bytes: new Uint8Array(buffer, 0, filled) };
  } catch (error) {
    // A read cancelled at the deadline rejects with the cancel's reason.
    throw signal.aborted ? new Error(ABORTED) : error;
  } finally {
    signal.removeEventListener("abort", onAbort);
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
