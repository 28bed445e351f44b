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
  /** The table was already active: no version was made. */
  readonly unchanged?: boolean;
  /** When every isolate starts serving it (absent: at once). */
  readonly effectiveAt?: string;
  /** What could not be recorded though the version is live. */
  readonly warnings?: readonly string[];
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
    // cutover's admin API answers JSON, with an `error` code when it says no: anything else is not cutover.
    const json = (response.headers.get("content-type") ?? "").includes("application/json");
    if (!json || (!response.ok && typeof parsed.error !== "string")) {
      throw new AdminRequestError(
        response.status,
        "not_cutover",
        `${base} does not answer like cutover's admin API (${method} ${path} got ${response.status} ${response.headers.get("content-type") ?? "without a content type"}): check --url, CUTOVER_URL or the profile, and that the Worker is deployed there.`,
      );
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
    rollbackRoute: (route: string, reason: string, toVersion?: number) =>
      call<Activated & { route: string }>("POST", `/routes/${encodeURIComponent(route)}/rollback`, { reason, toVersion }),
    versions: (limit: number) =>
      call<{ activeVersion: number; versions: (VersionInfo & { active: boolean })[]; skipped: { version: number; reason: string }[] }>("GET", `/versions?limit=${limit}`),
    version: (version: number) => call<{ version: number; info: VersionInfo | null; table: RouteTable }>("GET", `/versions/${version}`),
    audit: (limit: number) => call<{ entries: AuditEntry[] }>("GET", `/audit?limit=${limit}`),
    get: <T>(path: string) => call<T>("GET", path),
    post: <T>(path: string, body: unknown) => call<T>("POST", path, body),
    delete: <T>(path: string, body: unknown) => call<T>("DELETE", path, body),
  };
}

export type AdminClient = ReturnType<typeof createAdminClient>;
