// bare + a timeout to the response head: an AbortController aborted by setTimeout, cleared on the head (cutover after).
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), 30_000);
    try {
      return await fetch(env.UPSTREAM + url.pathname + url.search, { method: request.method, headers: request.headers, body: request.body, redirect: "manual", signal: abort.signal });
    } finally {
      clearTimeout(timer);
    }
  },
};
