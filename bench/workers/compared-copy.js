// What any comparison of a shadow copy must do on the serving isolate, and nothing more: the
// control's body teed (the client reads one branch), the other branch and the copy's answer
// read whole in native calls, the two bodies compared byte for byte, nothing recorded. Used by
// bare-compare.js and floor-compare.js, the floors of a shadowed request.
let matched = 0;

/** The response for the client; the copy and the comparison run in `waitUntil`. */
export function withComparedCopy(ctx, request, response, candidateOrigin) {
  if (response.body === null) return response;
  const url = new URL(request.url);
  const [toClient, mine] = response.body.tee();
  ctx.waitUntil(
    Promise.all([
      new Response(mine).arrayBuffer(),
      fetch(candidateOrigin + url.pathname + url.search, { headers: request.headers }).then((copy) => copy.arrayBuffer()),
    ]).then(([control, candidate]) => {
      const a = new Uint8Array(control);
      const b = new Uint8Array(candidate);
      let same = a.byteLength === b.byteLength;
      for (let i = 0; same && i < a.byteLength; i++) same = a[i] === b[i];
      if (same) matched++;
    }),
  );
  return new Response(toClient, response);
}
