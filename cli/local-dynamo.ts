import type { AddressInfo } from "node:net";
import dynalite from "dynalite";

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
