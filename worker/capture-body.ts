/**
 * Reads a body for comparison, up to `cap` bytes. Past the cap it stops reading (and cancels
 * the stream, so nothing more is buffered for it) and returns undefined: "too large".
 */
export async function captureBody(body: ReadableStream<Uint8Array> | null, cap: number, deadline: number): Promise<Uint8Array | undefined> {
  if (body === null) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      if (Date.now() > deadline) throw new Error("shadow capture passed its deadline");
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > cap) {
        await reader.cancel("over the shadow capture cap").catch(() => {});
        return undefined;
      }
      chunks.push(value);
    }
  } catch (error) {
    await reader.cancel(error).catch(() => {});
    throw error;
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
