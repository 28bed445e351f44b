// bare + AbortSignal.timeout() on the fetch (cheapest, but it cuts a body that streams past the timeout).
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    return fetch(env.UPSTREAM + url.pathname + url.search, { method: request.method, headers: request.headers, body: request.body, redirect: "manual", signal: AbortSignal.timeout(30_000) });
  },
};
