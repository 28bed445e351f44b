import type { Refusal } from "./refusal.ts";
import type { Backend } from "./schema.ts";

/**
 * The one table of request-body buffer limits. A body is held in memory for three reasons,
 * each bounded here: a signature that covers it, a fallback that may send it again, and a
 * shadow copy that is compared.
 */
export const BODY_LIMITS = {
  /** Largest body kept so that a fallback can send it a second time; larger ones stream once. */
  replayBytes: 256 * 1024,
  /** Default cap of a shadow's request copy and of each response it compares (`shadow.maxBodyBytes`). */
  shadowBytes: 1024 * 1024,
  /** Default cap of a dual write's request copy (`dualWrite.maxBodyBytes`): held to be sent to a second backend. */
  dualWriteBytes: 1024 * 1024,
  /**
   * The largest request body each signing AWS service takes, for the services whose signature
   * covers the body (Lambda function URLs; API Gateway): such a body is hashed, so held whole,
   * and a larger one is refused before anything is sent. S3 is signed with an unsigned payload:
   * its (GET/HEAD) requests stream like any other.
   */
  signed: {
    lambda: { bytes: 6 * 1024 * 1024, service: "AWS Lambda" },
    "execute-api": { bytes: 10 * 1024 * 1024, service: "Amazon API Gateway" },
  } as Readonly<Record<string, { readonly bytes: number; readonly service: string }>>,
} as const;

/** When `backend`'s signature covers the body: the most it takes and the 413 for more. */
export function signedBodyLimit(backend: Backend): { readonly bytes: number; readonly refusal: Refusal } | undefined {
  const limit = backend.auth ? BODY_LIMITS.signed[backend.auth.service] : undefined;
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
