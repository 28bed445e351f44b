import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import dynalite from "dynalite";

const LOOPBACK_NAMES = new Set(["127.0.0.1", "localhost", "[::1]"]);

export interface LocalDynamo {
  readonly endpoint: string;
  close(): Promise<void>;
}

/**
 * An embedded DynamoDB (dynalite) on 127.0.0.1: in memory, or kept in a LevelDB folder
 * between runs. It has no TransactWriteItems (cutover does not use them) and no TTL expiry
 * (readers of expiring items — shadow samples — filter on expiresAt themselves).
 */
export async function startLocalDynamo(options: { path?: string; port?: number } = {}): Promise<LocalDynamo> {
  const server = dynalite({ path: options.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  // dynalite answers any web page (`Access-Control-Allow-Origin: *` to any Origin). Only
  // programs may use this store: a request a browser sent (it carries Origin, preflights too)
  // or one for another host name (DNS rebinding: a page's own name resolved to 127.0.0.1)
  // is refused before dynalite sees it.
  const handlers = server.listeners("request") as ((request: IncomingMessage, response: ServerResponse) => void)[];
  server.removeAllListeners("request");
  server.on("request", (request: IncomingMessage, response: ServerResponse) => {
    const host = (request.headers.host ?? "").replace(/:\d+$/, "");
    if (request.headers.origin !== undefined || !LOOPBACK_NAMES.has(host)) {
      request.resume();
      response.writeHead(403, { "content-type": "text/plain" }).end("This local DynamoDB answers programs on this machine, not web pages.\n");
      return;
    }
    for (const handler of handlers) handler.call(server, request, response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
