/**
 * A cache shared by the isolates of one data centre, in front of DynamoDB reads: the Workers
 * Cache API in production (worker/cache-api-edge-cache.ts), a map in tests. Best effort: a
 * failing cache is a miss, and the store is read.
 */
export interface EdgeCache {
  get(key: string): Promise<Uint8Array | undefined>;
  /** Keeps `bytes` under `key` for about `maxAgeSeconds`. */
  put(key: string, bytes: Uint8Array, maxAgeSeconds: number): Promise<void>;
}

/** An in-memory EdgeCache with expiry, for tests and Node tools. */
export function memoryEdgeCache(now: () => number = Date.now): EdgeCache & { readonly keys: () => string[] } {
  const entries = new Map<string, { bytes: Uint8Array; until: number }>();
  return {
    async get(key) {
      const entry = entries.get(key);
      return entry !== undefined && entry.until > now() ? entry.bytes : undefined;
    },
    async put(key, bytes, maxAgeSeconds) {
      entries.set(key, { bytes, until: now() + maxAgeSeconds * 1000 });
    },
    keys: () => [...entries.keys()],
  };
}
