import type { Refusal } from "../routes/refusal.ts";

/**
 * A refusal for a backend status the client cannot be given: outside 200–599 (a Response
 * cannot carry it, and a client would not understand it), or a 101 that is not a WebSocket
 * upgrade the runtime completed. 1xx answers never reach here: fetch() fails on them.
 */
export function unforwardableStatus(response: Response): Refusal | undefined {
  const status = response.status;
  if (status >= 200 && status <= 599) return undefined;
  if (status === 101 && response.webSocket) return undefined;
  return { status: 502, code: "bad_status", title: "502 Bad Gateway", detail: `The backend answered with status ${status}, which cannot be passed on.` };
}
