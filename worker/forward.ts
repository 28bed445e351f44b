import { raceTimeout, TIMED_OUT } from "../lib/timeout.ts";

/** One request to one backend, bounded by the backend's timeout to the response head. */
export interface UpstreamCall {
  readonly url: string;
  readonly method: string;
  readonly headers: Headers;
  /** A stream (sent once) or a buffered body (may be sent again to a fallback). */
  readonly body: ReadableStream | ArrayBuffer | null;
  readonly timeoutMs: number;
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
 * would cut the body too: measured on workerd). The fetch that loses the race is aborted, so
 * its connection is freed rather than held until the backend gives up.
 */
export async function callUpstream(call: UpstreamCall): Promise<UpstreamOutcome> {
  const abort = new AbortController();
  const pending = fetch(call.url, { method: call.method, headers: call.headers, body: call.body, redirect: "manual", signal: abort.signal });
  try {
    const winner = await raceTimeout(pending, call.timeoutMs);
    if (winner === TIMED_OUT) {
      abort.abort(new Error(`no response head within ${call.timeoutMs} ms`));
      pending.catch(() => {});
      return { kind: "timeout" };
    }
    return { kind: "response", response: winner };
  } catch (error) {
    return { kind: "error", error };
  }
}
