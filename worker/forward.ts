/** One request to one backend, bounded by the backend's timeout to the response head. */
export interface UpstreamCall {
  readonly url: string;
  readonly method: string;
  readonly headers: Headers;
  /** A stream (sent once) or a buffered body (may be sent again to a fallback). */
  readonly body: ReadableStream | ArrayBuffer | null;
  readonly timeoutMs: number;
  /** For a body streamed from the client: `timeoutMs` counts from its end (see `callUpstream`). */
  readonly upload?: UploadProgress;
  /**
   * Aborts the call, before or after its head (a shadow copy's deadline). A listener stays on
   * it for the call's life: a signal that lives about as long as the call, not the isolate's.
   */
  readonly signal?: AbortSignal;
}

/** How the sending of a streamed body goes (worker/request-body.ts's UploadWatch). */
export interface UploadProgress {
  /** Resolves when the whole body has been read from the client and handed on. */
  readonly sent: Promise<void>;
  /** When a chunk last went on, or the backend's side asked for one. */
  lastActivity(): number;
  /** Whether the backend's side is waiting for the client's next bytes. */
  state(): string;
}

export type UpstreamOutcome =
  | { readonly kind: "response"; readonly response: Response }
  | { readonly kind: "timeout" }
  | { readonly kind: "error"; readonly error: unknown };

/**
 * Sends the call and returns the backend's response head with its body still streaming.
 * Redirects are not followed (the client gets the 3xx and Location as sent). Failures are
 * values: a timeout, or a network error (refused, reset, DNS). Never throws.
 *
 * The timeout covers the wait for the response head only, so a long download or an event
 * stream is not cut off once the backend has answered (`AbortSignal.timeout()` on the fetch
 * would cut the body too: measured on workerd). A timer aborts the fetch (freeing its
 * connection) and is cleared as soon as the head arrives: cheaper than racing the fetch
 * against a sleep, whose promise and reaction lived on for the whole timeout (`bench/ab.ts`).
 * `timeoutMs` 0: no timer of cutover's own, the platform's limit applies.
 *
 * With a body streamed from the client, `timeoutMs` counts from when the body has been sent
 * (a phone uploading a photo over a bad network takes as long as it takes: the client's own
 * bound is the backend's `uploadIdleTimeoutMs`, in worker/request-body.ts). Until then the
 * backend times out only when it stops taking the body: `timeoutMs` without asking for a byte
 * while the client had bytes to give.
 */
export async function callUpstream(call: UpstreamCall): Promise<UpstreamOutcome> {
  const init: RequestInit = { method: call.method, headers: call.headers, body: call.body, redirect: "manual" };
  if (!(call.timeoutMs > 0)) {
    if (call.signal) init.signal = call.signal;
    try {
      return { kind: "response", response: await fetch(call.url, init) };
    } catch (error) {
      return { kind: "error", error };
    }
  }
  const abort = new AbortController();
  let timedOut = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let headArrived = false;
  const arm = (ms: number) => {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(onTimer, ms);
  };
  const upload = call.upload;
  let sent = upload === undefined;
  function onTimer() {
    if (!sent && upload !== undefined) {
      // Still uploading: the client's pace is the client's bound; the backend's is to keep reading.
      if (upload.state() === "waiting") return arm(call.timeoutMs);
      const idle = Date.now() - upload.lastActivity();
      if (idle < call.timeoutMs) return arm(call.timeoutMs - idle);
    }
    timedOut = true;
    abort.abort(new Error(`no response head within ${call.timeoutMs} ms`));
  }
  arm(call.timeoutMs);
  upload?.sent.then(() => {
    sent = true;
    if (!headArrived && !timedOut) arm(call.timeoutMs);
  });
  init.signal = abort.signal;
  const outer = call.signal;
  if (outer) {
    if (outer.aborted) abort.abort(outer.reason);
    else outer.addEventListener("abort", () => abort.abort(outer.reason), { once: true });
  }
  try {
    return { kind: "response", response: await fetch(call.url, init) };
  } catch (error) {
    return timedOut ? { kind: "timeout" } : { kind: "error", error };
  } finally {
    headArrived = true;
    if (timer !== undefined) clearTimeout(timer);
  }
}
