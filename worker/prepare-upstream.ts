import type { Backend } from "../routes/schema.ts";
import { signAws, type AwsCredentials } from "../config/aws-signing.ts";
import { canonicalQuery } from "./canonical-query.ts";
import type { UpstreamCall } from "./forward.ts";
import { upstreamUrl } from "./upstream-url.ts";

/**
 * The largest request body each signing AWS service takes, for the services whose signature
 * covers the body (Lambda function URLs; API Gateway): such a body is hashed, so it is held in
 * memory whole, and a larger one is refused before anything is sent. S3 is signed with an
 * unsigned payload: its (GET/HEAD) requests stream like any other.
 */
const HASHED_BODY_LIMITS: Readonly<Record<string, { bytes: number; service: string }>> = {
  lambda: { bytes: 6 * 1024 * 1024, service: "AWS Lambda" },
  "execute-api": { bytes: 10 * 1024 * 1024, service: "Amazon API Gateway" },
};

export interface OutgoingRequest {
  readonly method: string;
  readonly path: string;
  readonly search: string;
  readonly headers: Headers;
  /** Buffered (an ArrayBuffer) when the backend's signature covers the body. */
  readonly body: ReadableStream | ArrayBuffer | null;
}

export type Refusal = { readonly status: number; readonly code: string; readonly title: string; readonly detail: string; readonly headers?: Record<string, string> };

/**
 * The call to make to `backend` for a request: S3 semantics (GET/HEAD only, index documents)
 * and SigV4 signing for `aws-iam` backends, with the client's Authorization header moved to
 * x-forwarded-authorization (SigV4 needs that header) and client `x-amz-*` headers dropped
 * (they are not part of the signature, and S3 refuses unsigned ones). A refusal when the
 * backend cannot take the request at all. Never throws for a bad request.
 */
export async function prepareUpstream(
  backend: Backend,
  request: OutgoingRequest,
  timeoutMs: number,
  credentials: AwsCredentials | undefined,
): Promise<{ readonly ok: true; readonly call: UpstreamCall } | { readonly ok: false; readonly refusal: Refusal }> {
  const refusal = refusalFor(backend, request.method);
  if (refusal) return { ok: false, refusal };
  const s3 = backend.type === "s3";
  const path = s3 && request.path.endsWith("/") ? request.path + (backend.indexDocument ?? "index.html") : request.path;
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
  const hashed = HASHED_BODY_LIMITS[auth.service] !== undefined;
  if (hashed && request.body instanceof ReadableStream) {
    return { ok: false, refusal: { status: 502, code: "bad_gateway", title: "502 Bad Gateway", detail: "The request body could not be kept in memory to sign it." } };
  }
  // S3 signs the path decoded with `+` as a space: send a literal plus encoded, so that what
  // is signed and what S3 reads agree. S3's signer also keeps one value per query name.
  const signedPath = auth.service === "s3" ? path.replaceAll("+", "%2B") : path;
  const url = upstreamUrl(backend, signedPath, canonicalQuery(request.search, { firstValueOnly: auth.service === "s3" }));
  const headers = new Headers(request.headers);
  const clientAuthorization = headers.get("authorization");
  if (clientAuthorization !== null) {
    headers.set("x-forwarded-authorization", clientAuthorization);
    headers.delete("authorization");
  }
  const amz: string[] = [];
  for (const name of headers.keys()) if (name.startsWith("x-amz-")) amz.push(name);
  for (const name of amz) headers.delete(name);
  const body = hashed ? (request.body as ArrayBuffer | null) : null;
  const signed = await signAws({ method: request.method, url, body, region: auth.region, service: auth.service, credentials });
  for (const [name, value] of signed) headers.set(name, value);
  return { ok: true, call: { url, method: request.method, headers, body: request.body, timeoutMs } };
}

/** A request the backend cannot take whatever the body: S3 answers GET and HEAD only. */
function refusalFor(backend: Backend, method: string): Refusal | undefined {
  if (backend.type === "s3" && method !== "GET" && method !== "HEAD") {
    return { status: 405, code: "method_not_allowed", title: "405 Method Not Allowed", detail: "Static files answer GET and HEAD only.", headers: { allow: "GET, HEAD" } };
  }
  return undefined;
}

/**
 * When the backend's signature covers the body: the most it takes and a refusal for more.
 * Undefined when the body can stream as it is.
 */
export function hashedBodyLimit(backend: Backend, method: string): { readonly bytes: number; readonly refusal: Refusal } | undefined {
  if (refusalFor(backend, method)) return undefined;
  const limit = backend.auth ? HASHED_BODY_LIMITS[backend.auth.service] : undefined;
  if (limit === undefined) return undefined;
  return {
    bytes: limit.bytes,
    refusal: {
      status: 413,
      code: "payload_too_large",
      title: "413 Content Too Large",
      detail: `The request body is larger than ${limit.bytes / 1024 / 1024} MB, the most that ${limit.service} accepts.`,
    },
  };
}
