/**
 * A route table of `count` routes of realistic shapes (prefixes, params, wildcards,
 * methods, splits), for size and speed tests and the matcher benchmark.
 */
export function generateTable(count: number, urls = { legacy: "https://my-app.herokuapp.com", fresh: "https://abc.lambda-url.us-east-1.on.aws" }) {
  const resources = ["accounts", "orders", "invoices", "users", "teams", "projects", "files", "reports", "webhooks", "payments"];
  const routes = [];
  for (let i = 0; i < count; i++) {
    const resource = resources[i % resources.length] as string;
    const service = `svc${Math.floor(i / resources.length)}`;
    const shape = i % 5;
    const path =
      shape === 0
        ? `/api/${service}/${resource}`
        : shape === 1
          ? `/api/${service}/${resource}/:id`
          : shape === 2
            ? `/api/${service}/${resource}/:id/items/:itemId`
            : shape === 3
              ? `/static/${service}/${resource}/*`
              : `/v2/${service}/${resource}/:id/history`;
    routes.push({
      id: `route-${i}`,
      match: { path, ...(shape === 1 ? { methods: ["GET", "HEAD"] } : {}) },
      to: i % 3 === 0 ? { legacy: 90, new: 10 } : i % 3 === 1 ? "legacy" : "new",
      ...(i % 3 === 0 ? { sticky: "cookie:session_id" } : {}),
      ...(i % 7 === 0 ? { fallback: "legacy" } : {}),
    });
  }
  return { backends: { legacy: { url: urls.legacy }, new: { url: urls.fresh } }, default: "legacy", routes };
}

/** Paths that hit the generated table's routes (and some that do not). */
export function samplePaths(count: number, routes: number): string[] {
  const resources = ["accounts", "orders", "invoices", "users", "teams", "projects", "files", "reports", "webhooks", "payments"];
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const r = (i * 7919) % routes;
    const resource = resources[r % resources.length] as string;
    const service = `svc${Math.floor(r / resources.length)}`;
    const shape = r % 5;
    paths.push(
      shape === 0
        ? `/api/${service}/${resource}`
        : shape === 1
          ? `/api/${service}/${resource}/${i}`
          : shape === 2
            ? `/api/${service}/${resource}/${i}/items/${i * 3}`
            : shape === 3
              ? `/static/${service}/${resource}/app.${i}.js`
              : i % 2 === 0
                ? `/v2/${service}/${resource}/${i}/history`
                : `/unknown/${i}`,
    );
  }
  return paths;
}
