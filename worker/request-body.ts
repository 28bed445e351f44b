import { BODY_LIMITS } from "../routes/body-policy.ts";
import { SAFE_METHODS } from "../routes/methods.ts";
import type { RequestPlan } from "../routes/plan.ts";
import type { Refusal } from "../routes/refusal.ts";
import { raceTimeout, TIMED_OUT } from "../lib/timeout.ts";
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
 * 504 when it stalls), and so that the backend's `timeoutMs` counts from the moment the body
 * has been sent, not while a slow client is still uploading.
 */
export interface UploadWatch {
  /**
   * `failed`: the client's stream broke off, or ended before its declared Content-Length;
   * `stalled`: the client sent nothing for the backend's `uploadIdleTimeoutMs`;
   * `waiting`: a read of the client's body is pending (or was, when the upload was cancelled):
   * cutover waits on the client, not on the backend; `flowing`: none of these — the body is
   * all sent, or it is the backend that does not read it.
   */
  state(): "failed" | "stalled" | "waiting" | "flowing";
  /**
   * Aborted when the upload fails or stalls: the call that sends the body is aborted with it,
   * and the body never ends. (workerd ends a chunked request body normally when its stream
   * errors: a backend would read a cut-off body as a whole one.)
   */
  readonly signal: AbortSignal;
  /** Resolves when the client's body has been read to its end (sent on, or buffered). */
  readonly sent: Promise<void>;
  /** When (`Date.now()`) a chunk last went on towards the backend, or the backend's side asked for one. */
  lastActivity(): number;
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

/** The client sent none of its body for the backend's `uploadIdleTimeoutMs` (RFC 9110 §15.5.9). */
export const UPLOAD_STALLED: Refusal = {
  status: 408,
  code: "upload_stalled",
  title: "408 Request Timeout",
  detail: "The request body did not arrive in time: the client stopped sending it.",
};

/**
 * Buffers the request body only when the plan needs it, within the body policy's limits
 * (`routes/body-policy.ts`): whole when the backend's signature covers it (a larger one is
 * refused with 413 before anything is sent), and up to the replay limit when a fallback may
 * send it again. Anything else streams.
 */
export async function readRequestBody(request: Request, plan: RequestPlan): Promise<BodyRead> {
  if (request.body === null) return { ok: true, value: { body: null, replayable: true } };
  const declared = request.headers.get("content-length");
  const length = declared !== null && /^\d{1,15}$/.test(declared) ? Number(declared) : undefined;
  // Watched from the first byte: a client that stalls while its body is buffered is as much
  // the client's failure as one that stalls while it streams.
  const { body: watched, watch } = watchUpload(request.body, length, plan.backend.uploadIdleTimeoutMs);
  let current: RequestBody = { body: watched, replayable: false };
  try {
    const signed = plan.backend.signedBody;
    if (signed !== undefined && current.body instanceof ReadableStream) {
      current = await bufferUpTo(current.body, declared, signed.bytes, watch.signal);
      if (!current.replayable) return { ok: false, refusal: signed.refusal };
    }
    const fallback = plan.fallback;
    if (fallback && current.body instanceof ReadableStream && (SAFE_METHODS.has(request.method) || fallback.unsafeMethods)) {
      current = await bufferUpTo(current.body, declared, BODY_LIMITS.replayBytes, watch.signal);
    }
  } catch {
    // Reading the client's own stream failed: it broke off, or stalled.
    return { ok: false, refusal: watch.state() === "stalled" ? UPLOAD_STALLED : INCOMPLETE_BODY, clientAbort: true };
  }
  if (!(current.body instanceof ReadableStream)) return { ok: true, value: current };
  // A stream made in JavaScript has no length of its own: without one, fetch() would send the
  // body chunked, and S3, function URLs and Heroku's router expect the client's Content-Length.
  return { ok: true, value: { ...current, body: length === undefined ? current.body : current.body.pipeThrough(new FixedLengthStream(length)), upload: watch } };
}

/**
 * The client's body as a stream that notes how the upload goes (see UploadWatch): a failed
 * read of the client's stream, its end before `declaredLength`, or `idleMs` without a byte
 * from the client aborts the watch's signal (and the call it is given to, or the buffering
 * that reads it) and leaves the body unended; and whether a read is waiting on the client. Reads only when its reader does
 * (high-water mark 0): a pending read always means the backend's side asked for more and the
 * client has not sent it.
 */
function watchUpload(
  source: ReadableStream<Uint8Array>,
  declaredLength: number | undefined,
  idleMs: number,
): { readonly body: ReadableStream<Uint8Array>; readonly watch: UploadWatch } {
  const reader = source.getReader();
  let received = 0;
  let failed = false;
  let stalled = false;
  let waiting = false;
  let cancelled = false;
  let cancelledWhileWaiting = false;
  let lastActivity = Date.now();
  const failure = new AbortController();
  let markSent = () => {};
  const sent = new Promise<void>((resolve) => (markSent = resolve));
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
        lastActivity = Date.now();
        let next: ReadableStreamReadResult<Uint8Array> | typeof TIMED_OUT;
        try {
          next = await raceTimeout(reader.read(), idleMs);
        } catch (error) {
          if (cancelled) return;
          return fail(error instanceof Error ? error : new Error(String(error)));
        } finally {
          waiting = false;
        }
        if (cancelled) return;
        if (next === TIMED_OUT) {
          stalled = true;
          return fail(new Error(`the client sent none of its body for ${idleMs} ms`));
        }
        lastActivity = Date.now();
        if (!next.done) {
          received += next.value.byteLength;
          return controller.enqueue(next.value);
        }
        if (declaredLength !== undefined && received < declaredLength) return fail(new Error(`the client's body ended after ${received} of ${declaredLength} bytes`));
        controller.close();
        markSent();
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
  return {
    body,
    watch: {
      state: () => (stalled ? "stalled" : failed ? "failed" : waiting || cancelledWhileWaiting ? "waiting" : "flowing"),
      signal: failure.signal,
      sent,
      lastActivity: () => lastActivity,
    },
  };
}

/**
 * Reads a body into memory when it is at most `limit` bytes. A larger body is not held: the
 * bytes already read are put back in front of the rest of the stream, which is then
 * forwarded as usual.
 */
async function bufferUpTo(body: ReadableStream<Uint8Array>, declaredLength: string | null, limit: number, signal: AbortSignal): Promise<RequestBody> {
  if (declaredLength !== null && Number(declaredLength) > limit) return { replayable: false, body };
  const read = await readUpTo(body, limit, { signal });
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
