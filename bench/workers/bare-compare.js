// The floor of a shadow comparison: bare-copy.js plus what any comparison of the two answers
// must do on the serving isolate — the control's body teed (the client reads one branch), the
// other branch and the copy's answer read whole, the two bodies compared byte for byte. No
// header lists, statistics, budgets or timeouts: what cutover's shadowing costs over this is
// its own; what this costs over bare-copy.js is the comparison's floor.
let matched = 0;

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    const response = await fetch(env.UPSTREAM + url.pathname + url.search, request);
    if (response.body === null) return response;
    const [client, mine] = response.body.tee();
    ctx.waitUntil(
      Promise.all([
        new Response(mine).arrayBuffer(),
        fetch(env.CANDIDATE + url.pathname + url.search, { headers: request.headers }).then((copy) => copy.arrayBuffer()),
      ]).then(([control, candidate]) => {
        const a = new Uint8Array(control);
        const b = new Uint8Array(candidate);
        let same = a.byteLength === b.byteLength;
        for (let i = 0; same && i < a.byteLength; i++) same = a[i] === b[i];
        if (same) matched++;
      }),
    );
    return new Response(client, response);
  },
};
