import { concatBytes } from "../lib/bytes.ts";
import { raceTimeout, TIMED_OUT } from "../lib/timeout.ts";

export type ReadResult =
  | { readonly complete: true; readonly bytes: Uint8Array }
  /** Over the cap: what was read, and the reader to go on with or cancel. */
  | { readonly complete: false; readonly chunks: Uint8Array[]; readonly reader: ReadableStreamDefaultReader<Uint8Array> };

/**
 * Reads a stream whole, up to `cap` bytes and within `timeoutMs`. Past the cap it stops
 * reading (nothing more is buffered for it) and says "too large"; past the time it cancels
 * the stream and throws, even in the middle of a read that would never end (a stalled body,
 * an event stream).
 */
export async function readUpTo(stream: ReadableStream<Uint8Array>, cap: number, timeoutMs = Number.POSITIVE_INFINITY): Promise<ReadResult> {
  const reader = stream.getReader();
  const reading = readLoop(reader, cap);
  const result = await raceTimeout(reading, timeoutMs);
  if (result === TIMED_OUT) {
    await reader.cancel("deadline").catch(() => {});
    throw new Error("reading the body passed its deadline");
  }
  return result;
}

async function readLoop(reader: ReadableStreamDefaultReader<Uint8Array>, cap: number): Promise<ReadResult> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { complete: true, bytes: concatBytes(chunks, size) };
    chunks.push(value);
    size += value.byteLength;
    if (size > cap) return { complete: false, chunks, reader };
  }
}
