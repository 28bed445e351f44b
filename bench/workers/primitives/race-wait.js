// bare + a timeout to the response head raced against scheduler.wait (cutover before issue 15).
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const pending = fetch(env.UPSTREAM + url.pathname + url.search, request);
    const timedOut = Symbol();
    const winner = await Promise.race([pending, scheduler.wait(30_000).then(() => timedOut)]);
    return winner === timedOut ? new Response("timeout", { status: 504 }) : winner;
  },
};
