import http from "node:http";
import type { AddressInfo } from "node:net";
import { escapeHtml } from "../lib/escape-html.ts";

/**
 * The demo legacy app: what a small Heroku dyno serves. An "accounts" JSON API and an HTML
 * page. Every answer says `servedBy: "legacy"` so a curl shows which side answered.
 */
export interface Account {
  id: string;
  name: string;
  plan: string;
  balanceCents: number;
}

export const DEMO_ACCOUNTS: readonly Account[] = [
  { id: "1", name: "Ada Lovelace", plan: "pro", balanceCents: 12_500 },
  { id: "2", name: "Grace Hopper", plan: "team", balanceCents: 48_000 },
  { id: "3", name: "Katherine Johnson", plan: "free", balanceCents: 0 },
];

/**
 * What `bin/rails routes` would print for this app, were it the Rails app it stands in for:
 * what `cutover legacy import` reads (`node demo/print-routes.ts > routes.txt`). Kept beside
 * the handlers below, which serve exactly these (test/demo/legacy-routes.test.ts).
 */
export const LEGACY_ROUTES = `      Prefix Verb   URI Pattern                 Controller#Action
        root GET    /                           pages#home
api_accounts GET    /api/accounts(.:format)     api/accounts#index
             POST   /api/accounts(.:format)     api/accounts#create
 api_account GET    /api/accounts/:id(.:format) api/accounts#show
      health GET    /health(.:format)           health#show
`;

export async function startLegacyApp(port = 0): Promise<{ port: number; close(): Promise<void> }> {
  const accounts = new Map(DEMO_ACCOUNTS.map((account) => [account.id, { ...account }]));
  let nextId = accounts.size + 1;

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://legacy");
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": "application/json", "x-powered-by": "legacy-dyno", ...headers });
      res.end(JSON.stringify(body));
    };
    const match = /^\/api\/accounts\/([^/]+)$/.exec(url.pathname);

    if (req.method === "GET" && url.pathname === "/") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(page([...accounts.values()]));
    } else if (req.method === "GET" && url.pathname === "/api/accounts") {
      send(200, { accounts: [...accounts.values()], servedBy: "legacy" });
    } else if ((req.method === "GET" || req.method === "HEAD") && match) {
      const account = accounts.get(decodeURIComponent(match[1] ?? ""));
      if (account) send(200, { account, servedBy: "legacy" });
      else send(404, { error: "not_found", servedBy: "legacy" });
    } else if (req.method === "POST" && url.pathname === "/api/accounts") {
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (chunk: string) => (body += chunk));
      req.on("end", () => {
        let input: { name?: unknown };
        try {
          input = JSON.parse(body || "{}");
        } catch {
          return send(400, { error: "invalid_json", servedBy: "legacy" });
        }
        if (typeof input.name !== "string" || input.name === "") return send(422, { error: "name is required", servedBy: "legacy" });
        const account = { id: String(nextId++), name: input.name, plan: "free", balanceCents: 0 };
        accounts.set(account.id, account);
        // As a Rails scaffold answers a create: the record, and where it lives.
        send(201, { account, servedBy: "legacy" }, { location: `/api/accounts/${account.id}` });
      });
    } else if (url.pathname === "/health") {
      send(200, { ok: true, servedBy: "legacy" });
    } else {
      send(404, { error: "not_found", servedBy: "legacy" });
    }
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function page(accounts: readonly Account[]): string {
  const rows = accounts.map((a) => `<li><a href="/api/accounts/${a.id}">${escapeHtml(a.name)}</a> — ${a.plan}</li>`).join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Acme accounts (legacy)</title></head>
<body style="font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto">
<h1>Acme accounts</h1>
<p>Served by the <strong>legacy</strong> dyno.</p>
<ul>
${rows}
</ul>
</body></html>
`;
}
