import type { Backend } from "../routes/schema.ts";

/**
 * The path a request takes on a backend: `addPrefix`, then the request path with
 * `stripPrefix` removed; for an S3 backend, a directory (`/`, `/docs/`) gets the index
 * document — after the prefix is stripped, so that `/assets/` serves the bucket's index.
 */
export function upstreamPath(backend: Backend, path: string): string {
  let rest = path;
  const strip = backend.stripPrefix;
  if (strip !== undefined && path.startsWith(strip) && (path.length === strip.length || path[strip.length] === "/")) {
    rest = path.slice(strip.length) || "/";
  }
  if (backend.type === "s3" && rest.endsWith("/")) rest += backend.indexDocument ?? "index.html";
  return `${backend.addPrefix ?? ""}${rest}`;
}

/** The URL a request goes to: the backend's origin, then `upstreamPath`, then the query as given. */
export function upstreamUrl(backend: Backend, path: string, search: string): string {
  // Validation gives every backend but a static one a url; a static one is never called (worker/static-answer.ts).
  if (backend.url === undefined) throw new Error("a static backend has no origin to call");
  const origin = backend.url.endsWith("/") ? backend.url.slice(0, -1) : backend.url;
  return `${origin}${upstreamPath(backend, path)}${search}`;
}
