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
 */
export async function callUpstream(call: UpstreamCall): Promise<UpstreamOutcome> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), call.timeoutMs);
  try {
    const response = await fetch(call.url, {
      method: call.method,
      headers: call.headers,
      body: call.body,
      redirect: "manual",
      signal: controller.signal,
    });
    return { kind: "response", response };
  } catch (error) {
    return controller.signal.aborted ? { kind: "timeout" } : { kind: "error", error };
  } finally {
    // The timeout covers the wait for the response head only: a long download or an
    // event stream must not be cut off once the backend has answered.
    clearTimeout(timer);
  }
}
