import type { EdgeCache } from "../store/edge-cache.ts";

/** Keys live under a host that is never fetched: the Cache API only stores what Workers put. */
const ORIGIN = "https://cutover-edge-cache.internal/";

/**
 * The store's EdgeCache on the Workers Cache API (`caches.default`): shared by every isolate
 * of a data centre, never replicated between data centres. Best effort, like the API itself:
 * an error is a miss, and the store is read.
 */
export function createCacheApiEdgeCache(cache: Cache): EdgeCache {
  const url = (key: string) => `${ORIGIN}${encodeURI(key)}`;
  return {
    async get(key) {
      const response = await cache.match(url(key));
      return response === undefined ? undefined : new Uint8Array(await response.arrayBuffer());
    },
    async put(key, bytes, maxAgeSeconds) {
      await cache.put(url(key), new Response(bytes, { headers: { "cache-control": `max-age=${Math.max(1, Math.round(maxAgeSeconds))}`, "content-type": "application/octet-stream" } }));
    },
  };
}
