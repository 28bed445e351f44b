// The physical limit of a Worker-based proxy: one fetch, no logic.
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    return fetch(env.UPSTREAM + url.pathname + url.search, request);
  },
};
