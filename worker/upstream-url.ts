import type { Backend } from "../routes/schema.ts";

/**
 * The URL a request goes to on a backend: its origin, then `addPrefix`, then the normalized
 * request path with `stripPrefix` removed, then the query string exactly as the client sent it.
 */
export function upstreamUrl(backend: Backend, path: string, search: string): string {
  let rest = path;
  const strip = backend.stripPrefix;
  if (strip !== undefined && path.startsWith(strip) && (path.length === strip.length || path[strip.length] === "/")) {
    rest = path.slice(strip.length) || "/";
  }
  const origin = backend.url.endsWith("/") ? backend.url.slice(0, -1) : backend.url;
  return `${origin}${backend.addPrefix ?? ""}${rest}${search}`;
}
