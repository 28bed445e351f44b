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
  /** For a streamed body: how the client's upload is going (see `watchUpload`). */
  readonly upload?: UploadWatch;
}

/**
 * How a client's upload stands, while its body streams to a backend: so that a client that
 * stops sending is not taken for a backend that failed (a 502 when its stream breaks off, a
 * 504 when it stalls until the backend's timeout).
 */
export interface UploadWatch {
  /**
   * `failed`: the client's stream broke off, or ended before its declared Content-Length;
   * `waiting`: a read of the client's body is pending (or was, when the upload was cancelled):
   * cutover waits on the client, not on the backend; `flowing`: neither — the body is all
   * sent, or it is the backend that does not read it.
   */
  state(): "failed" | "waiting" | "flowing";
  /**
   * Aborted when the upload fails: the call that sends the body is aborted with it, and the
   * body never ends. (workerd ends a chunked request body normally when its stream errors:
   * a backend would read a cut-off body as a whole one.)
   */
  readonly signal: AbortSignal;
}

/** What was read of the client's body, a refusal before anything was sent, or the client breaking off while it was buffered. */
export type BodyRead =
  | { readonly ok: true; readonly value: RequestBody }
  | { readonly ok: false; readonly refusal: Refusal; readonly clientAbort?: true };

/** The client broke off while its body was read into memory: nothing was sent. */
export const INCOMPLETE_BODY: Refusal = {
  status: 400,
  code: "incomplete_body",
  title: "400 Bad Request",
  detail: "The request body was not received in full: the client stopped sending it.",
};

/**
 * Buffers the request body only when the plan needs it, within the body policy's limits
 * (`routes/body-policy.ts`): whole when the backend's signature covers it (a larger one is
 * refused with 413 before anything is sent), and up to the replay limit when a fallback may
 * send it again. Anything else streams.
 */
export async function readRequestBody(request: Request, plan: RequestPlan): Promise<BodyRead> {
  const declared = request.headers.get("content-length");
  let current: RequestBody = { body: request.body, replayable: request.body === null };
  try {
    const signed = plan.backend.signedBody;
    if (signed !== undefined && current.body instanceof ReadableStream) {
      current = await bufferUpTo(current.body, declared, signed.bytes);
      if (!current.replayable) return { ok: false, refusal: signed.refusal };
    }
    const fallback = plan.fallback;
    if (fallback && current.body instanceof ReadableStream && (SAFE_METHODS.has(request.method) || fallback.unsafeMethods)) {
      current = await bufferUpTo(current.body, declared, BODY_LIMITS.replayBytes);
    }
  } catch {
    // Reading the client's own stream failed: it broke off.
    return { ok: false, refusal: INCOMPLETE_BODY, clientAbort: true };
  }
  if (!(current.body instanceof ReadableStream)) return { ok: true, value: current };
  const length = declared !== null && /^\d{1,15}$/.test(declared) ? Number(declared) : undefined;
  const { body, watch } = watchUpload(current.body, length);
  // A stream made in JavaScript has no length of its own: without one, fetch() would send the
  // body chunked, and S3, function URLs and Heroku's router expect the client's Content-Length.
  return { ok: true, value: { ...current, body: length === undefined ? body : body.pipeThrough(new FixedLengthStream(length)), upload: watch } };
}

/**
 * The client's body as a stream that notes how the upload goes (see UploadWatch): a failed
 * read of the client's stream, or its end before `declaredLength`, aborts the watch's signal
 * (and the call it is given to) and leaves the body unended; and whether a read is waiting on
 * the client. Reads only when its reader does (high-water mark 0): a pending read always
 * means the backend's side asked for more and the client has not sent it.
 */
function watchUpload(source: ReadableStream<Uint8Array>, declaredLength: number | undefined): { readonly body: ReadableStream<Uint8Array>; readonly watch: UploadWatch } {
  const reader = source.getReader();
  let received = 0;
  let failed = false;
  let waiting = false;
  let cancelled = false;
  let cancelledWhileWaiting = false;
  const failure = new AbortController();
  // The call is aborted, and with it the reading of this stream (it is cancelled): the body
  // never ends, so no backend reads a cut-off body as a whole one.
  const fail = (error: Error) => {
    failed = true;
    failure.abort(error);
  };
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        waiting = true;
        let next: ReadableStreamReadResult<Uint8Array>;
        try {
          next = await reader.read();
        } catch (error) {
          if (cancelled) return;
          return fail(error instanceof Error ? error : new Error(String(error)));
        } finally {
          waiting = false;
        }
        if (cancelled) return;
        if (!next.done) {
          received += next.value.byteLength;
          return controller.enqueue(next.value);
        }
        if (declaredLength !== undefined && received < declaredLength) return fail(new Error(`the client's body ended after ${received} of ${declaredLength} bytes`));
        controller.close();
      },
      cancel(reason) {
        cancelled = true;
        cancelledWhileWaiting = waiting;
        // A source that failed rejects the cancel with its error: nothing to report twice.
        return reader.cancel(reason).catch(() => {});
      },
    },
    { highWaterMark: 0 },
  );
  return { body, watch: { state: () => (failed ? "failed" : waiting || cancelledWhileWaiting ? "waiting" : "flowing"), signal: failure.signal } };
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
