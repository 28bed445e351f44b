// The floor of what a safe proxy must do, in one file: the bare Worker plus only the steps the
// README promises on every request — a request id, the client's forwarding headers replaced by
// cutover's own, a timeout on the response head (a timer cleared when it arrives), redirects
// passed through. No routing, no accounting, no response headers. cutover cannot cost less
// than this; what it costs over it is its own.
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const headers = new Headers(request.headers);
    for (const name of ["forwarded", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-real-ip"]) headers.delete(name);
    const client = request.headers.get("cf-connecting-ip") ?? "127.0.0.1";
    headers.set("x-forwarded-for", client);
    headers.set("x-forwarded-proto", url.protocol.slice(0, -1));
    headers.set("x-forwarded-host", url.host);
    headers.set("forwarded", `for=${client};host=${url.host};proto=${url.protocol.slice(0, -1)}`);
    headers.set("x-request-id", request.headers.get("cf-ray") ?? crypto.randomUUID());
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), 30_000);
    try {
      return await fetch(env.UPSTREAM + url.pathname + url.search, { method: request.method, headers, body: request.body, redirect: "manual", signal: abort.signal });
    } finally {
      clearTimeout(timer);
    }
  },
};
