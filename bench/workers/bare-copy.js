// The floor of shadowing: the bare Worker plus one copy of each request sent to a second
// origin after the response (in waitUntil), its answer read and dropped. No comparison, no
// capture, no tee. What cutover's shadowing costs over this is its own.
export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    const response = await fetch(env.UPSTREAM + url.pathname + url.search, request);
    ctx.waitUntil(fetch(env.CANDIDATE + url.pathname + url.search, { headers: request.headers }).then((copy) => copy.arrayBuffer()));
    return response;
  },
};
