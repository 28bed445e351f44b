/**
 * The demo route table `npm start` seeds: one route on legacy, one split 50/50 sticky per
 * session cookie (and shadowed to the Lambda), one on the new Lambda backend.
 */
export function demoRouteTable(urls: { legacy: string; accounts: string }) {
  return {
    backends: {
      legacy: { url: urls.legacy },
      // A function URL with AuthType AWS_IAM: cutover signs every request with SigV4.
      accounts: { url: urls.accounts, timeoutMs: 10_000, auth: { type: "aws-iam", region: "us-east-1", service: "lambda" } },
    },
    default: "legacy",
    routes: [
      { id: "accounts-write", match: { path: "/api/accounts", methods: ["POST"] }, to: "legacy" },
      {
        id: "accounts-read",
        match: { path: "/api/accounts/:id", methods: ["GET", "HEAD"] },
        to: { legacy: 50, accounts: 50 },
        sticky: "cookie:session_id",
        fallback: { to: "legacy", on: ["error", "timeout", "404"] },
        // Users served by legacy are also compared with the Lambda (which says servedBy differently).
        shadow: { to: "accounts", percent: 100, ignore: ["body:$.servedBy", "header:x-powered-by"] },
      },
      { id: "accounts-list", match: { path: "/api/accounts", methods: ["GET", "HEAD"] }, to: "accounts", fallback: "legacy" },
    ],
  };
}
