import { canonicalQuery } from "../aws/canonical-query.ts";
import { signAws, type AwsCredentials } from "../aws/sign.ts";
import type { CompiledBackend } from "../routes/compile.ts";
import type { Refusal } from "../routes/refusal.ts";
import type { UpstreamCall } from "./forward.ts";
import { upstreamUrl } from "./upstream-url.ts";
import { IDENTITY_HEADER } from "../identity/identity-claims.ts";

export interface OutgoingRequest {
  readonly method: string;
  readonly path: string;
  readonly search: string;
  readonly headers: Headers;
  /** Buffered (an ArrayBuffer) when the backend's signature covers the body. */
  readonly body: ReadableStream | ArrayBuffer | null;
  /** X-Cutover-Identity per backend name (worker/edge-identity.ts): each backend gets its own, or none. */
  readonly identity?: ReadonlyMap<string, string> | undefined;
}

const NO_CREDENTIALS: Refusal = {
  status: 502,
  code: "bad_gateway",
  title: "502 Bad Gateway",
  detail: "This backend needs AWS credentials, and the Worker has none (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY).",
};
const NOT_BUFFERED: Refusal = { status: 502, code: "bad_gateway", title: "502 Bad Gateway", detail: "The request body could not be kept in memory to sign it." };

/**
 * The call to make to `backend` for a request: S3 semantics (GET/HEAD only, index documents)
 * and SigV4 signing for `aws-iam` backends, with the client's Authorization header moved to
 * x-forwarded-authorization (SigV4 needs that header) and client `x-amz-*` headers dropped
 * (they are not part of the signature, and S3 refuses unsigned ones). A refusal when the
 * backend cannot take the request at all. Never throws for a bad request.
 */
export async function prepareUpstream(
  backend: CompiledBackend,
  request: OutgoingRequest,
  timeoutMs: number,
  credentials: AwsCredentials | undefined,
): Promise<{ readonly ok: true; readonly call: UpstreamCall } | { readonly ok: false; readonly refusal: Refusal }> {
  if (backend.methods && !backend.methods.allowed.has(request.method)) return { ok: false, refusal: backend.methods.refusal };
  const config = backend.config;
  const s3 = config.type === "s3";
  // `/assets` on a backend that strips `/assets` is the bucket's root: send the client to
  // `/assets/` (as S3 website hosting does), so relative links resolve under the prefix.
  if (s3 && config.stripPrefix !== undefined && request.path === config.stripPrefix) {
    return { ok: false, refusal: { status: 308, code: "redirect", title: "308 Permanent Redirect", detail: "This is a directory.", headers: { location: `${request.path}/${request.search}` } } };
  }
  const search = s3 ? allowedQuery(request.search, config.query ?? []) : request.search;
  const auth = config.auth;
  // Only a backend with `identity` (never the default one: routes/compile.ts) gets a token, and only its own.
  const identity = backend.identity === undefined ? undefined : request.identity?.get(backend.name);
  if (auth === undefined) {
    const headers = identity === undefined ? request.headers : withHeader(request.headers, IDENTITY_HEADER, identity);
    return { ok: true, call: { url: upstreamUrl(config, request.path, search), method: request.method, headers, body: request.body, timeoutMs } };
  }
  if (credentials === undefined) return { ok: false, refusal: NO_CREDENTIALS };
  const hashed = backend.signedBody !== undefined;
  if (hashed && request.body instanceof ReadableStream) return { ok: false, refusal: NOT_BUFFERED };
  // S3 signs the path decoded with `+` as a space: send a literal plus encoded, so that what
  // is signed and what S3 reads agree. S3's signer also keeps one value per query name.
  const signedPath = auth.service === "s3" ? request.path.replaceAll("+", "%2B") : request.path;
  const url = upstreamUrl(config, signedPath, canonicalQuery(search, { firstValueOnly: auth.service === "s3" }));
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
  if (identity !== undefined) headers.set(IDENTITY_HEADER, identity);
  return { ok: true, call: { url, method: request.method, headers, body: request.body, timeoutMs } };
}

function withHeader(headers: Headers, name: string, value: string): Headers {
  const copy = new Headers(headers);
  copy.set(name, value);
  return copy;
}

/**
 * Only the query parameters an S3 backend allows (`query`, none by default): S3 reads
 * `response-content-type`, `response-content-disposition`, `versionId`, `acl`, `list-type`
 * and others, which would let a client turn any object into HTML on the site's own origin,
 * fetch an old version, or list the bucket.
 */
function allowedQuery(search: string, allowed: readonly string[]): string {
  if (search === "" || allowed.length === 0) return "";
  const kept = search
    .slice(1)
    .split("&")
    .filter((pair) => allowed.includes(safeDecode(pair.split("=", 1)[0] ?? "")));
  return kept.length === 0 ? "" : `?${kept.join("&")}`;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll("+", " "));
  } catch {
    return text;
  }
}
