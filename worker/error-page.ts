import { escapeHtml } from "../lib/escape-html.ts";

export interface GatewayFailure {
  readonly kind: "timeout" | "error";
  readonly backend: string;
  readonly route: string;
  readonly requestId: string;
  readonly timeoutMs: number;
}

/**
 * The page a client gets when a backend fails: 504 for a timeout, 502 for anything else.
 * Names the backend and route, never the backend's URL.
 */
export function gatewayErrorResponse(failure: GatewayFailure, accept: string | null): Response {
  const timeout = failure.kind === "timeout";
  return errorPage(
    {
      status: timeout ? 504 : 502,
      code: timeout ? "gateway_timeout" : "bad_gateway",
      title: timeout ? "504 Gateway Timeout" : "502 Bad Gateway",
      detail: timeout ? `Backend '${failure.backend}' did not answer within ${failure.timeoutMs} ms.` : `Backend '${failure.backend}' could not be reached.`,
      backend: failure.backend,
      route: failure.route,
      requestId: failure.requestId,
    },
    accept,
  );
}

export interface ErrorPage {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string;
  readonly backend: string;
  readonly route: string;
  readonly requestId: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** An error cutover itself answers with: JSON for API clients, a small HTML page for browsers. */
export function errorPage(page: ErrorPage, accept: string | null): Response {
  const headers = new Headers({ "cache-control": "no-store", ...page.headers });
  if (accept !== null && accept.includes("json") && !accept.includes("html")) {
    headers.set("content-type", "application/json");
    const body = { error: page.code, message: page.detail, backend: page.backend, route: page.route, requestId: page.requestId };
    return new Response(JSON.stringify(body), { status: page.status, headers });
  }
  headers.set("content-type", "text/html; charset=utf-8");
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${page.title}</title></head>
<body style="font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem">
<h1>${page.title}</h1>
<p>${escapeHtml(page.detail)}</p>
<p>Route <code>${escapeHtml(page.route)}</code> · request <code>${escapeHtml(page.requestId)}</code></p>
</body></html>
`;
  return new Response(html, { status: page.status, headers });
}
