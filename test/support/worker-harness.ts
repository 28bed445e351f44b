import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { inject } from "vitest";
import worker from "../../worker/index.ts";

/** What a test backend recorded (see test/support/upstream.ts). */
export interface Received {
  readonly backend: string;
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly bodyBytes: number;
  readonly bodySha256: string;
  /** For the SigV4-checking backends: "ok", or why they refused. */
  readonly sigv4?: string;
}

export const ports = {
  legacy: inject("legacyPort"),
  new: inject("newPort"),
  spare: inject("sparePort"),
  refused: inject("refusedPort"),
};

export const origin = (port: number) => `http://127.0.0.1:${port}`;

export type TableInput = {
  paths?: Record<string, unknown>;
  forwardedFor?: string;
  backends?: Record<string, unknown>;
  default?: string;
  routes?: unknown[];
};

/** A route table over the three test backends (legacy, new, spare) plus `extra.backends`. */
export function table(input: TableInput = {}): Record<string, unknown> {
  return {
    backends: {
      legacy: { url: origin(ports.legacy) },
      new: { url: origin(ports.new) },
      spare: { url: origin(ports.spare) },
      ...input.backends,
    },
    default: input.default ?? "legacy",
    routes: input.routes ?? [],
    ...(input.paths ? { paths: input.paths } : {}),
    ...(input.forwardedFor ? { forwardedFor: input.forwardedFor } : {}),
  };
}

/** Calls the real Worker entry (inside workerd) with a route table and optional variables. */
export async function send(routeTable: unknown, request: Request, vars: Partial<Env> = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const testEnv: Env = {
    ...env,
    CUTOVER_ROUTES: typeof routeTable === "string" ? routeTable : JSON.stringify(routeTable),
    // Tests read which route and backend answered; deployments leave these off.
    CUTOVER_RESPONSE_HEADERS: "on",
    ...vars,
  };
  const response = await worker.fetch(request as Request<unknown, IncomingRequestCfProperties>, testEnv, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

/** The requests a backend received that carried `x-test-id: testId`. */
export async function received(port: number, testId: string): Promise<Received[]> {
  const response = await fetch(`${origin(port)}/__log?test=${encodeURIComponent(testId)}`);
  return response.json();
}

export function testId(): string {
  return crypto.randomUUID();
}

export function get(path: string, headers: Record<string, string> = {}, init: RequestInit = {}): Request {
  return new Request(`https://shop.example.com${path}`, { headers, ...init });
}
