/**
 * Reads a stream whole, up to `cap` bytes and before `deadline` (ms since the epoch). Past the
 * cap it stops reading and cancels the stream, so that nothing more is buffered for it, and
 * says "too large"; past the deadline it cancels and throws, even in the middle of a read that
 * would never end (a stalled body, an event stream).
 */
export async function readUpTo(
  stream: ReadableStream<Uint8Array>,
  cap: number,
  deadline = Number.POSITIVE_INFINITY,
): Promise<{ readonly complete: true; readonly bytes: Uint8Array } | { readonly complete: false; readonly chunks: Uint8Array[]; readonly reader: ReadableStreamDefaultReader<Uint8Array> }> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await readBefore(reader, deadline);
    if (done) return { complete: true, bytes: concatBytes(chunks, size) };
    chunks.push(value);
    size += value.byteLength;
    if (size > cap) return { complete: false, chunks, reader };
  }
}

async function readBefore(reader: ReadableStreamDefaultReader<Uint8Array>, deadline: number): Promise<ReadableStreamReadResult<Uint8Array>> {
  if (deadline === Number.POSITIVE_INFINITY) return reader.read();
  const left = deadline - Date.now();
  const timedOut = Symbol("timed out");
  const result = left > 0 ? await Promise.race([reader.read(), scheduler.wait(left).then((): typeof timedOut => timedOut)]) : timedOut;
  if (result === timedOut) {
    await reader.cancel("deadline").catch(() => {});
    throw new Error("reading the body passed its deadline");
  }
  return result;
}

export function concatBytes(chunks: readonly Uint8Array[], size = chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0)): Uint8Array {
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
