import { readUpTo } from "./read-bytes.ts";

/**
 * Reads a request body into memory when it is at most `limit` bytes, so that it can be sent
 * a second time (to a fallback backend) or hashed (for a signature). A larger body is not
 * held: the bytes already read are put back in front of the rest of the stream, which is
 * then forwarded as usual.
 */
export async function bufferUpTo(
  body: ReadableStream<Uint8Array>,
  declaredLength: string | null,
  limit: number,
): Promise<{ readonly replayable: true; readonly body: ArrayBuffer } | { readonly replayable: false; readonly body: ReadableStream<Uint8Array> }> {
  if (declaredLength !== null && Number(declaredLength) > limit) return { replayable: false, body };
  const read = await readUpTo(body, limit);
  if (read.complete) return { replayable: true, body: read.bytes.buffer as ArrayBuffer };
  return { replayable: false, body: prepend(read.chunks, read.reader) };
}

function prepend(chunks: Uint8Array[], reader: ReadableStreamDefaultReader<Uint8Array>): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = chunks.shift();
      if (next !== undefined) return controller.enqueue(next);
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}
