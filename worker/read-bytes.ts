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
