import type { Backend } from "../routes/schema.ts";
import { signAws, type AwsCredentials } from "../config/aws-signing.ts";
import { canonicalQuery } from "./canonical-query.ts";
import type { UpstreamCall } from "./forward.ts";
import { upstreamUrl } from "./upstream-url.ts";

/**
 * The largest request body each signed AWS service takes: Lambda's synchronous invocation
 * payload (function URLs) and API Gateway's payload limit. A signed body is hashed, so it is
 * held in memory whole; a larger one is refused before anything is sent.
 */
export const SIGNED_BODY_LIMITS: Readonly<Record<string, number>> = {
  lambda: 6 * 1024 * 1024,
  "execute-api": 10 * 1024 * 1024,
  s3: 5 * 1024 * 1024 * 1024,
};

export interface OutgoingRequest {
  readonly method: string;
  readonly path: string;
  readonly search: string;
  readonly headers: Headers;
  /** Already buffered (an ArrayBuffer) for a signed backend. */
  readonly body: ReadableStream | ArrayBuffer | null;
}

export type Refusal = { readonly status: number; readonly code: string; readonly title: string; readonly detail: string; readonly headers?: Record<string, string> };

/**
 * The call to make to `backend` for a request: S3 semantics (GET/HEAD only, index documents)
 * and SigV4 signing for `aws-iam` backends, with the client's Authorization header moved to
 * x-forwarded-authorization (SigV4 needs that header). A refusal when the backend cannot take
 * the request at all.
 */
export async function prepareUpstream(
  backend: Backend,
  request: OutgoingRequest,
  timeoutMs: number,
  credentials: AwsCredentials | undefined,
): Promise<{ readonly ok: true; readonly call: UpstreamCall } | { readonly ok: false; readonly refusal: Refusal }> {
  let path = request.path;
  if (backend.type === "s3") {
    if (request.method !== "GET" && request.method !== "HEAD") {
      return {
        ok: false,
        refusal: { status: 405, code: "method_not_allowed", title: "405 Method Not Allowed", detail: "Static files answer GET and HEAD only.", headers: { allow: "GET, HEAD" } },
      };
    }
    if (path.endsWith("/")) path += backend.indexDocument ?? "index.html";
  }
  const auth = backend.auth;
  if (auth === undefined) {
    return { ok: true, call: { url: upstreamUrl(backend, path, request.search), method: request.method, headers: request.headers, body: request.body, timeoutMs } };
  }
  if (credentials === undefined) {
    return {
      ok: false,
      refusal: { status: 502, code: "bad_gateway", title: "502 Bad Gateway", detail: "This backend needs AWS credentials, and the Worker has none (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)." },
    };
  }
  if (request.body instanceof ReadableStream) throw new Error("A signed request needs its body buffered first");
  const url = upstreamUrl(backend, path, canonicalQuery(request.search));
  const headers = new Headers(request.headers);
  const clientAuthorization = headers.get("authorization");
  if (clientAuthorization !== null) {
    headers.set("x-forwarded-authorization", clientAuthorization);
    headers.delete("authorization");
  }
  const signed = await signAws({ method: request.method, url, body: request.body, region: auth.region, service: auth.service, credentials });
  for (const [name, value] of signed) headers.set(name, value);
  return { ok: true, call: { url, method: request.method, headers, body: request.body, timeoutMs } };
}

/** The body limit of a signed backend, or undefined for an unsigned one. */
export function signedBodyLimit(backend: Backend): number | undefined {
  return backend.auth ? SIGNED_BODY_LIMITS[backend.auth.service] : undefined;
}
