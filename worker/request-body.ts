import { BODY_LIMITS } from "../routes/body-policy.ts";
import { SAFE_METHODS } from "../routes/methods.ts";
import type { RequestPlan } from "../routes/plan.ts";
import type { Refusal } from "../routes/refusal.ts";
import { readUpTo } from "./read-bytes.ts";

/** The body to send: a stream (sent once), or bytes kept in memory (may be sent again), or none. */
export interface RequestBody {
  readonly body: ReadableStream<Uint8Array> | ArrayBuffer | null;
  /** Whether a second backend could be sent the same body (a fallback). */
  readonly replayable: boolean;
}

/**
 * Buffers the request body only when the plan needs it, within the body policy's limits
 * (`routes/body-policy.ts`): whole when the backend's signature covers it (a larger one is
 * refused with 413 before anything is sent), and up to the replay limit when a fallback may
 * send it again. Anything else streams.
 */
export async function readRequestBody(request: Request, plan: RequestPlan): Promise<{ readonly ok: true; readonly value: RequestBody } | { readonly ok: false; readonly refusal: Refusal }> {
  const declared = request.headers.get("content-length");
  let current: RequestBody = { body: request.body, replayable: request.body === null };
  const signed = plan.backend.signedBody;
  if (signed !== undefined && current.body instanceof ReadableStream) {
    current = await bufferUpTo(current.body, declared, signed.bytes);
    if (!current.replayable) return { ok: false, refusal: signed.refusal };
  }
  const fallback = plan.fallback;
  if (fallback && current.body instanceof ReadableStream && (SAFE_METHODS.has(request.method) || fallback.unsafeMethods)) {
    current = await bufferUpTo(current.body, declared, BODY_LIMITS.replayBytes);
  }
  return { ok: true, value: current };
}

/**
 * Reads a body into memory when it is at most `limit` bytes. A larger body is not held: the
 * bytes already read are put back in front of the rest of the stream, which is then
 * forwarded as usual.
 */
async function bufferUpTo(body: ReadableStream<Uint8Array>, declaredLength: string | null, limit: number): Promise<RequestBody> {
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
