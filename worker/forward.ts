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
 * stream is not cut off once the backend has answered. It races the fetch against a timer
 * rather than aborting it: measured on plain workerd, an AbortController with setTimeout cost
 * about 12 % of a pass-through's throughput, the race about half that. A fetch that loses the
 * race is not aborted: the backend may go on working on it (as it would behind any proxy that
 * gives up); its body is cancelled when it arrives.
 */
export async function callUpstream(call: UpstreamCall): Promise<UpstreamOutcome> {
  const pending = fetch(call.url, { method: call.method, headers: call.headers, body: call.body, redirect: "manual" });
  try {
    const winner = await raceTimeout(pending, call.timeoutMs);
    if (winner === TIMED_OUT) {
      pending.then((late) => late.body?.cancel(), () => {});
      return { kind: "timeout" };
    }
    return { kind: "response", response: winner };
  } catch (error) {
    return { kind: "error", error };
  }
}
