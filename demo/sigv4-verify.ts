import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/**
 * Verifies an AWS Signature Version 4 the way an AWS endpoint does: it recomputes the
 * signature from the request as received and the caller's secret key, and checks the
 * credential scope (region, service) and the date (within 15 minutes). Written from the
 * SigV4 specification, independently of the signer cutover uses, so that each checks the
 * other. Used by the demo Lambda adapter and by the tests' AWS-like backends.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 */
export interface ReceivedRequest {
  readonly method: string;
  /** Path and query exactly as on the request line: `/a%20b?x=1`. */
  readonly target: string;
  /** Lower-case names, as Node's IncomingMessage gives them. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Uint8Array;
}

export interface VerifyOptions {
  /** Access key id → secret access key. */
  readonly keys: Readonly<Record<string, string>>;
  readonly region: string;
  readonly service: string;
  readonly now: Date;
}

export type Verification = { readonly ok: true; readonly accessKeyId: string } | { readonly ok: false; readonly reason: string };

const AUTHORIZATION = /^AWS4-HMAC-SHA256 Credential=([^/\s]+)\/(\d{8})\/([^/\s]+)\/([^/\s]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/;
const MAX_SKEW_MS = 15 * 60 * 1000;

export function verifySigV4(request: ReceivedRequest, options: VerifyOptions): Verification {
  const header = single(request.headers.authorization);
  const match = header === undefined ? null : AUTHORIZATION.exec(header);
  if (!match) return { ok: false, reason: "missing or malformed Authorization header" };
  const [, accessKeyId = "", date = "", region, service, signedHeaderList = "", signature = ""] = match;
  const secret = options.keys[accessKeyId];
  if (secret === undefined) return { ok: false, reason: `unknown access key ${accessKeyId}` };
  if (region !== options.region) return { ok: false, reason: `credential scope region ${region}, expected ${options.region}` };
  if (service !== options.service) return { ok: false, reason: `credential scope service ${service}, expected ${options.service}` };
  const amzDate = single(request.headers["x-amz-date"]);
  if (amzDate === undefined || !/^\d{8}T\d{6}Z$/.test(amzDate)) return { ok: false, reason: "missing or malformed X-Amz-Date" };
  if (!amzDate.startsWith(date)) return { ok: false, reason: "X-Amz-Date does not match the credential scope date" };
  const signedAt = Date.parse(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`);
  if (Math.abs(options.now.getTime() - signedAt) > MAX_SKEW_MS) return { ok: false, reason: "signature expired: X-Amz-Date is more than 15 minutes from now" };

  const signedHeaders = signedHeaderList.split(";");
  if (!signedHeaders.includes("host")) return { ok: false, reason: "host is not a signed header" };
  const canonicalHeaders: string[] = [];
  for (const name of signedHeaders) {
    const value = request.headers[name];
    if (value === undefined) return { ok: false, reason: `signed header ${name} is missing` };
    canonicalHeaders.push(`${name}:${(Array.isArray(value) ? value.join(",") : value).trim().replace(/\s+/g, " ")}`);
  }
  const question = request.target.indexOf("?");
  const rawPath = question === -1 ? request.target : request.target.slice(0, question);
  const rawQuery = question === -1 ? "" : request.target.slice(question + 1);
  const payloadHash = single(request.headers["x-amz-content-sha256"]) ?? createHash("sha256").update(request.body).digest("hex");

  const canonicalRequest = [
    request.method,
    canonicalUri(rawPath, service === "s3"),
    canonicalQueryString(rawQuery),
    `${canonicalHeaders.join("\n")}\n`,
    signedHeaderList,
    payloadHash,
  ].join("\n");
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, createHash("sha256").update(canonicalRequest).digest("hex")].join("\n");
  const key = [date, region, service, "aws4_request"].reduce<Buffer>((k, part) => createHmac("sha256", k).update(part).digest(), Buffer.from(`AWS4${secret}`));
  const expected = createHmac("sha256", key).update(stringToSign).digest("hex");
  if (!timingSafeEqual(Buffer.from(expected), Buffer.from(signature))) {
    return { ok: false, reason: "The request signature we calculated does not match the signature you provided" };
  }
  return { ok: true, accessKeyId };
}

/** Every path segment URI-encoded again (once for S3, which signs the decoded path). */
function canonicalUri(rawPath: string, s3: boolean): string {
  const path = s3 ? rawPath : rawPath.replace(/\/+/g, "/");
  return path
    .split("/")
    .map((segment) => uriEncode(s3 ? safeDecode(segment) : segment))
    .join("/");
}

/** Parameters decoded and re-encoded, sorted by name, then value. */
function canonicalQueryString(rawQuery: string): string {
  return rawQuery
    .split("&")
    .filter((pair) => pair !== "")
    .map((pair) => {
      const eq = pair.indexOf("=");
      const name = eq === -1 ? pair : pair.slice(0, eq);
      const value = eq === -1 ? "" : pair.slice(eq + 1);
      return [uriEncode(safeDecode(name)), uriEncode(safeDecode(value))] as const;
    })
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join("&");
}

/** RFC 3986: everything but A-Z a-z 0-9 - _ . ~ as %XY. */
function uriEncode(text: string): string {
  let out = "";
  for (const byte of Buffer.from(text, "utf8")) {
    const char = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-_.~]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
