import { AwsV4Signer } from "aws4fetch";

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface SignInput {
  readonly method: string;
  readonly url: string;
  /** The headers to sign besides host and x-amz-date (the proxy signs none: see below). */
  readonly signedHeaders?: Readonly<Record<string, string>>;
  readonly body: ArrayBuffer | string | null;
  readonly region: string;
  readonly service: string;
  readonly credentials: AwsCredentials;
  /** `YYYYMMDD'T'HHMMSS'Z'`; now when absent. */
  readonly datetime?: string;
}

/** Derived signing keys, per secret, day, region and service: one HMAC chain a day, not per request. */
const signingKeys = new Map<string, ArrayBuffer>();

/**
 * Signs a request with SigV4 (aws4fetch's signer: no fetch, so no retries) and returns the
 * headers to add: authorization, x-amz-date, and x-amz-security-token / x-amz-content-sha256
 * when they apply. The body is hashed into the signature.
 *
 * The proxy signs only host and x-amz-date (plus x-amz-content-sha256 for S3): every other
 * header may be rewritten between Cloudflare and AWS (accept-encoding, cf-*, forwarding
 * headers), and a signed header that changes in transit is a rejected request.
 */
export async function signAws(input: SignInput): Promise<Headers> {
  const signer = new AwsV4Signer({
    method: input.method,
    url: input.url,
    headers: { ...input.signedHeaders },
    body: input.body ?? undefined,
    accessKeyId: input.credentials.accessKeyId,
    secretAccessKey: input.credentials.secretAccessKey,
    sessionToken: input.credentials.sessionToken,
    service: input.service,
    region: input.region,
    datetime: input.datetime,
    cache: signingKeys,
    allHeaders: true,
  });
  const signed = await signer.sign();
  const out = new Headers();
  for (const name of ["authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256"]) {
    const value = signed.headers.get(name);
    if (value !== null) out.set(name, value);
  }
  return out;
}
