import type { AuditEntry, VersionInfo } from "../store/route-store.ts";
import type { RouteTable } from "../routes/schema.ts";
import { AdminRequestError } from "./admin-request-error.ts";

export interface Connection {
  readonly url: string;
  readonly token: string | undefined;
}

export interface ActiveRoutes {
  readonly version: number;
  readonly info: VersionInfo | null;
  readonly table: RouteTable;
}

export interface Activated {
  readonly version: number;
  readonly info: VersionInfo;
  readonly restoredFrom?: number;
}

/** The admin API (`/_cutover/api`) over HTTP, for the CLI. */
export function createAdminClient(connection: Connection) {
  const base = connection.url.replace(/\/+$/, "");

  async function call<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const requestHeaders: Record<string, string> = { accept: "application/json", ...headers };
    if (connection.token) requestHeaders.authorization = `Bearer ${connection.token}`;
    if (body !== undefined) requestHeaders["content-type"] = "application/json";
    let response: Response;
    try {
      response = await fetch(`${base}/_cutover/api${path}`, { method, headers: requestHeaders, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (error) {
      throw new AdminRequestError(0, "unreachable", `Cannot reach ${base}: ${error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error)}`, {}, { cause: error });
    }
    const text = await response.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      parsed = { message: text.slice(0, 200) };
    }
    if (!response.ok) {
      const message = typeof parsed.message === "string" ? parsed.message : `${method} ${path} answered ${response.status}`;
      throw new AdminRequestError(response.status, typeof parsed.error === "string" ? parsed.error : "http_error", message, parsed);
    }
    return parsed as T;
  }

  return {
    /** The active table, or undefined when none is stored yet. */
    async getRoutes(): Promise<ActiveRoutes | undefined> {
      try {
        return await call<ActiveRoutes>("GET", "/routes");
      } catch (error) {
        if (error instanceof AdminRequestError && error.code === "no_table") return undefined;
        throw error;
      }
    },
    putRoutes: (table: unknown, reason: string, expectedVersion: number) =>
      call<Activated>("PUT", "/routes", { table, reason }, { "if-match": `"${expectedVersion}"` }),
    setWeights: (route: string, weights: Record<string, number>, reason: string, expectedVersion?: number) =>
      call<Activated>("POST", `/routes/${encodeURIComponent(route)}/weights`, { weights, reason, expectedVersion }),
    rollback: (reason: string, toVersion?: number) => call<Activated>("POST", "/rollback", { reason, toVersion }),
    versions: (limit: number) => call<{ activeVersion: number; versions: (VersionInfo & { active: boolean })[] }>("GET", `/versions?limit=${limit}`),
    audit: (limit: number) => call<{ entries: AuditEntry[] }>("GET", `/audit?limit=${limit}`),
    get: <T>(path: string) => call<T>("GET", path),
  };
}

export type AdminClient = ReturnType<typeof createAdminClient>;
