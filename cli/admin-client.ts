import type * as z from "zod/mini";
import {
  Activated,
  AuditAnswer,
  badAnswerMessage,
  checkWith,
  Problem,
  RollbackAnswer,
  RouteRollbackAnswer,
  RoutesAnswer,
  VersionAnswer,
  VersionsAnswer,
  type PutRoutesBody,
  type RollbackBody,
  type RouteRollbackBody,
  type WeightsBody,
} from "../admin/contract/index.ts";
import { AdminRequestError } from "./admin-request-error.ts";

export interface Connection {
  readonly url: string;
  readonly token: string | undefined;
}

/**
 * The admin API (`/_cutover/api`) over HTTP, for the CLI. Every answer is parsed with its
 * schema from the API's contract (admin/contract/): one that does not fit is an
 * AdminRequestError `bad_answer` naming each field, never a value of the wrong shape.
 */
export function createAdminClient(connection: Connection) {
  // The Worker's address, also when given as its control plane's (…/_cutover/, …/_cutover/api): the API is under it.
  const base = connection.url.replace(/\/+$/, "").replace(/\/_cutover(\/api)?$/, "");

  async function call<S extends z.ZodMiniType>(method: string, path: string, answer: S, body?: unknown, headers: Record<string, string> = {}): Promise<z.infer<S>> {
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
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      parsed = { message: text.slice(0, 200) };
    }
    // cutover's admin API answers JSON, with an `error` code when it says no: anything else is not cutover.
    const json = (response.headers.get("content-type") ?? "").includes("application/json");
    const refusal = response.ok ? undefined : Problem.safeParse(parsed);
    if (!json || (refusal !== undefined && !refusal.success)) {
      throw new AdminRequestError(
        response.status,
        "not_cutover",
        `${base} does not answer like cutover's admin API (${method} ${path} got ${response.status} ${response.headers.get("content-type") ?? "without a content type"}): check --url, CUTOVER_URL or the profile, and that the Worker is deployed there.`,
      );
    }
    if (refusal?.success) throw new AdminRequestError(response.status, refusal.data.error, refusal.data.message, refusal.data);
    const checked = checkWith(answer, parsed);
    if (!checked.ok) {
      const message = badAnswerMessage(`${method} ${path}`, checked.error, `are this CLI and the Worker at ${base} the same release?`);
      throw new AdminRequestError(response.status, "bad_answer", message, { issues: checked.error });
    }
    return checked.value;
  }

  return {
    /** The active table, or undefined when none is stored yet. */
    async getRoutes(): Promise<RoutesAnswer | undefined> {
      try {
        return await call("GET", "/routes", RoutesAnswer);
      } catch (error) {
        if (error instanceof AdminRequestError && error.code === "no_table") return undefined;
        throw error;
      }
    },
    putRoutes: (table: unknown, reason: string, expectedVersion: number) => call("PUT", "/routes", Activated, { table, reason } satisfies PutRoutesBody, { "if-match": `"${expectedVersion}"` }),
    setWeights: (route: string, weights: Record<string, number>, reason: string, expectedVersion?: number) =>
      call("POST", `/routes/${encodeURIComponent(route)}/weights`, Activated, { weights, reason, expectedVersion } satisfies WeightsBody),
    rollback: (reason: string, toVersion?: number) => call("POST", "/rollback", RollbackAnswer, { reason, toVersion } satisfies RollbackBody),
    rollbackRoute: (route: string, reason: string, toVersion?: number) =>
      call("POST", `/routes/${encodeURIComponent(route)}/rollback`, RouteRollbackAnswer, { reason, toVersion } satisfies RouteRollbackBody),
    versions: (limit: number) => call("GET", `/versions?limit=${limit}`, VersionsAnswer),
    version: (version: number) => call("GET", `/versions/${version}`, VersionAnswer),
    audit: (limit: number) => call("GET", `/audit?limit=${limit}`, AuditAnswer),
    /** GET `path`, its answer parsed by `answer` (a schema of admin/contract/). */
    get: <S extends z.ZodMiniType>(path: string, answer: S) => call("GET", path, answer),
    post: <S extends z.ZodMiniType>(path: string, body: unknown, answer: S) => call("POST", path, answer, body),
    put: <S extends z.ZodMiniType>(path: string, body: unknown, answer: S) => call("PUT", path, answer, body),
    delete: <S extends z.ZodMiniType>(path: string, body: unknown, answer: S) => call("DELETE", path, answer, body),
  };
}

export type AdminClient = ReturnType<typeof createAdminClient>;
