import type { Context, Hono } from "hono";
import type * as z from "zod/mini";
import { logEvent } from "../../lib/log.ts";
import { internalEnv, type AdminEnv } from "../auth.ts";
import { badAnswerMessage, checkWith, Problem } from "../contract/index.ts";
import type { Principal } from "../tokens.ts";

/** What the API answered: the value its contract describes, or the refusal (or failure) to show. */
export type Answer<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly status: number; readonly problem: Problem };

/**
 * The admin API called in-process for the signed-in user (every action goes through the same
 * handlers, checks and audit log as the CLI's), each answer parsed with its schema from the
 * API's contract (admin/contract/). An answer that is not JSON (a platform error page) or
 * does not fit the contract is a failed call, never a thrown page.
 */
export function inProcessApi(api: Hono<AdminEnv>) {
  const call = async <S extends z.ZodMiniType>(c: Pick<Context<AdminEnv>, "executionCtx">, principal: Principal, method: string, path: string, answer: S, body?: unknown, headers: Record<string, string> = {}): Promise<Answer<z.infer<S>>> => {
    const response = await api.request(
      path,
      { method, headers: { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) }, body: body === undefined ? undefined : JSON.stringify(body) },
      internalEnv(principal),
      c.executionCtx,
    );
    const text = await response.text();
    const failed = (problem: Problem): Answer<never> => ({ ok: false, status: response.ok ? 502 : response.status, problem });
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return failed({ error: "bad_response", message: text.slice(0, 200) });
    }
    if (!response.ok) {
      const refusal = Problem.safeParse(json);
      return failed(refusal.success ? refusal.data : { error: "bad_response", message: `${method} ${path} failed (${response.status}).` });
    }
    const checked = checkWith(answer, json);
    if (checked.ok) return { ok: true, value: checked.value };
    logEvent("error", "dashboard_bad_answer", { method, path, issues: checked.error });
    const hint = method === "GET" ? "nothing was changed" : "the change may have been made: look before you retry";
    return failed({ error: "bad_answer", message: badAnswerMessage(`${method} ${path}`, checked.error, hint), issues: checked.error });
  };

  /** A GET's answer, or undefined when the API refused it or it did not fit (the page shows what it has). */
  const get = async <S extends z.ZodMiniType>(c: Pick<Context<AdminEnv>, "executionCtx">, principal: Principal, path: string, answer: S): Promise<z.infer<S> | undefined> => {
    const result = await call(c, principal, "GET", path, answer);
    return result.ok ? result.value : undefined;
  };

  return { call, get };
}
