import http from "node:http";
import type { AddressInfo } from "node:net";

/** docs/identity.md's verification snippet, imported as a Lambda would run it (Node, node:crypto, no dependency). */
type VerifyIdentity = (token: string | undefined, options: { secret: string; audience: string; now?: number }) => Record<string, unknown> | null;
const { verifyIdentity } = (await import(new URL("../../../docs/identity-verify.mjs", import.meta.url).href)) as { verifyIdentity: VerifyIdentity };

/** The body Rails' AccountsController answers `GET /api/:kind/:id` with (test/rails/app/config.ru), as its JSON encoder writes it. */
export function accountBody(id: number): string {
  return JSON.stringify({ id, name: "Ada", plan: "pro" });
}

export interface Lambda {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * The new backend taking routes over from Rails, in the style of a Node Lambda behind a
 * function URL: none of Rails' default headers, only what the handler sets.
 *
 * - `GET /account/me`: docs/identity.md's handler. The user cutover vouches for
 *   (X-Cutover-Identity verified with docs/identity-verify.mjs, audience `name`) as
 *   `{ claims }`, or 401 `not signed in`; both list `identityHeaders`, every header line
 *   named like X-Cutover-Identity (any case, `-` or `_`) that arrived.
 * - `GET /api/:kind/:id`: the body Rails answers there (`accountBody`).
 * - `GET …/whoami`: 503, a backend not ready yet (its route falls back to Rails).
 * - anything else: `{ backend: name, path }`.
 */
export async function startLambda(name: string, identitySecret: string): Promise<Lambda> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://lambda");
    const send = (status: number, body: string) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(body);
    };
    req.resume();
    req.on("end", () => {
      const api = /^\/api\/[a-z]+\/(\d+)$/.exec(url.pathname);
      if (api) return send(200, accountBody(Number(api[1])));
      if (url.pathname.endsWith("/whoami")) return send(503, JSON.stringify({ backend: name, error: "not ready" }));
      if (url.pathname === "/account/me") {
        const identityHeaders: string[] = [];
        for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) if (/^x[-_]cutover[-_]identity$/i.test(String(req.rawHeaders[i]))) identityHeaders.push(String(req.rawHeaders[i]));
        const header = req.headers["x-cutover-identity"];
        const claims = verifyIdentity(typeof header === "string" ? header : undefined, { secret: identitySecret, audience: name });
        return claims ? send(200, JSON.stringify({ claims, identityHeaders })) : send(401, JSON.stringify({ error: "not signed in", identityHeaders }));
      }
      send(200, JSON.stringify({ backend: name, path: url.pathname }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
