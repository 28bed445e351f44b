export interface GatewayFailure {
  readonly kind: "timeout" | "error";
  readonly backend: string;
  readonly route: string;
  readonly requestId: string;
  readonly timeoutMs: number;
}

/**
 * The page a client gets when a backend fails: 504 for a timeout, 502 for anything else.
 * JSON for API clients, a small HTML page for browsers. Names the backend and route, never
 * the backend's URL.
 */
export function gatewayErrorResponse(failure: GatewayFailure, accept: string | null): Response {
  const timeout = failure.kind === "timeout";
  const status = timeout ? 504 : 502;
  const title = timeout ? "504 Gateway Timeout" : "502 Bad Gateway";
  const detail = timeout
    ? `Backend '${failure.backend}' did not answer within ${failure.timeoutMs} ms.`
    : `Backend '${failure.backend}' could not be reached.`;
  const headers = new Headers({ "cache-control": "no-store" });
  if (accept !== null && accept.includes("json") && !accept.includes("html")) {
    headers.set("content-type", "application/json");
    const body = { error: timeout ? "gateway_timeout" : "bad_gateway", message: detail, backend: failure.backend, route: failure.route, requestId: failure.requestId };
    return new Response(JSON.stringify(body), { status, headers });
  }
  headers.set("content-type", "text/html; charset=utf-8");
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title></head>
<body style="font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem">
<h1>${title}</h1>
<p>${escapeHtml(detail)}</p>
<p>Route <code>${escapeHtml(failure.route)}</code> · request <code>${escapeHtml(failure.requestId)}</code></p>
</body></html>
`;
  return new Response(html, { status, headers });
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
