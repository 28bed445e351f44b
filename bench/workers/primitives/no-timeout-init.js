// bare, but with an explicit init object (method, headers, body, redirect): the baseline of the three above.
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    return fetch(env.UPSTREAM + url.pathname + url.search, { method: request.method, headers: request.headers, body: request.body, redirect: "manual" });
  },
};
