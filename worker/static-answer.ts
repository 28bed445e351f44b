import type { Backend } from "../routes/schema.ts";

/** What a static backend answers unless the table says otherwise: the legacy app is gone. */
export const DEFAULT_GONE_STATUS = 410;
export const DEFAULT_GONE_BODY =
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Gone</title></head><body><h1>This page is gone</h1><p>This address is no longer served.</p></body></html>\n';
const DEFAULT_CONTENT_TYPE = "text/html; charset=utf-8";
const NULL_BODY_STATUSES = new Set([204, 205, 304]);

/**
 * The answer of a backend of type `static` (routes/schema.ts): cutover answers itself, no
 * origin is called. What the default backend becomes when legacy is switched off (`cutover
 * decommission switch-off`). Never cached by browsers or shared caches: a rollback brings
 * legacy back at once. A HEAD gets the head alone.
 */
export function staticAnswer(backend: Backend, method: string): Response {
  const body = backend.body ?? DEFAULT_GONE_BODY;
  const headers = { "content-type": backend.contentType ?? DEFAULT_CONTENT_TYPE, "cache-control": "no-store" };
  const status = backend.status ?? DEFAULT_GONE_STATUS;
  // 204, 205 and 304 carry no body (a Response with one would throw).
  return new Response(method === "HEAD" || NULL_BODY_STATUSES.has(status) ? null : body, { status, headers });
}
