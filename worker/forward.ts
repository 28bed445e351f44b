/** One request to one backend, bounded by the backend's timeout to the response head. */
export interface UpstreamCall {
  readonly url: string;
  readonly method: string;
  readonly headers: Headers;
  /** A stream (sent once) or a buffered body (may be sent again to a fallback). */
  readonly body: ReadableStream | ArrayBuffer | null;
  readonly timeoutMs: number;
  /**
   * Aborts the call, before or after its head (a shadow copy's deadline). A listener stays on
   * it for the call's life: a signal that lives about as long as the call, not the isolate's.
   */
  readonly signal?: AbortSignal;
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
  const timer = setTimeout(() => {
    timedOut = true;
    abort.abort(new Error(`no response head within ${call.timeoutMs} ms`));
  }, call.timeoutMs);
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
    clearTimeout(timer);
  }
}
