import { copyMiss, type CopyResult } from "../accounting/dual-write-counts.ts";
import { redactExcerpt } from "../compare/redact-excerpt.ts";
import { requestSecrets } from "../compare/redact.ts";
import { redactTarget, scrubUrls } from "../compare/scrub-urls.ts";
import { DEFAULT_REDACTION } from "../compare/secret-names.ts";
import { concatBytes } from "../lib/bytes.ts";
import type { DualWriteExample } from "../store/dual-write-example-store.ts";
import type { OutgoingRequest } from "./prepare-upstream.ts";
import { readUpTo } from "./read-bytes.ts";
import type { RequestContext } from "./request-context.ts";

/** Bytes of the new backend's answer an example keeps. */
export const EXAMPLE_BODY_BYTES = 512;
/** Bytes of it read: more than are kept, so that a JSON error body is read whole and redacted by its keys. */
const EXAMPLE_READ_BYTES = 4096;
const MAX_PATH_LENGTH = 1000;
const MAX_TEXT_LENGTH = 200;

/** The new backend's answer to a copy: the result counted, and its answer (body unread) or why there is none. */
export interface CopyAnswer {
  readonly result: CopyResult;
  readonly response?: Response;
  /** `timeout`, `error: <message>`, `refused: <why>`. */
  readonly error?: string;
}

/** What else an example says of the copy. */
export interface CopySent {
  /** The copy as sent: method, path, query and headers (its Idempotency-Key). */
  readonly outgoing: OutgoingRequest;
  readonly candidate: string;
  readonly legacyStatus: number;
  readonly legacyId: string | undefined;
}

/**
 * The example of a copy that failed or disagreed with legacy, when its route may have one now
 * (the isolate's recorder decides): its request (path and query redacted as a shadow sample's,
 * never its body), both statuses, the Idempotency-Key, legacy's id and the start of the new
 * backend's answer, redacted. Reads that answer's body (up to 4 KiB, until `signal` aborts) or
 * cancels it, on every path; undefined when nothing is to be kept.
 */
export async function dualWriteExample(context: RequestContext, copy: CopySent, answer: CopyAnswer, signal: AbortSignal): Promise<DualWriteExample | undefined> {
  const body = answer.response?.body ?? null;
  const recorder = context.options.dualWriteExamples;
  const outcome = copyMiss(copy.legacyStatus, answer.result);
  if (recorder === undefined || outcome === undefined || !recorder.tryTake(context.plan.routeId)) {
    await body?.cancel("no example kept").catch(() => {});
    return undefined;
  }
  const redaction = context.plan.route?.shadow?.redaction ?? DEFAULT_REDACTION;
  const { outgoing } = copy;
  const secrets = requestSecrets(outgoing.headers, outgoing.search, redaction);
  let candidateBody: string | null = null;
  if (body !== null && outgoing.method !== "HEAD") {
    const read = await readUpTo(body, EXAMPLE_READ_BYTES, { signal }).catch(() => undefined);
    if (read !== undefined && !read.complete) await read.reader.cancel("example read").catch(() => {});
    const bytes = read === undefined ? undefined : read.complete ? read.bytes : concatBytes(read.chunks).subarray(0, EXAMPLE_READ_BYTES);
    if (bytes !== undefined && bytes.byteLength > 0) candidateBody = redactExcerpt(bytes, { complete: read?.complete === true, maxBytes: EXAMPLE_BODY_BYTES, redaction, secrets });
  } else {
    await body?.cancel("no body kept").catch(() => {});
  }
  const status = answer.result.kind === "response" ? answer.result.status : null;
  return {
    at: new Date(context.options.now()).toISOString(),
    route: context.plan.routeId,
    version: context.tableVersion ?? null,
    candidate: copy.candidate,
    outcome,
    method: outgoing.method,
    path: cut(redactTarget(outgoing.path, outgoing.search, redaction), MAX_PATH_LENGTH),
    requestId: context.requestId,
    legacyStatus: copy.legacyStatus,
    candidateStatus: status,
    candidateError: status === null ? cut(scrubUrls(answer.error ?? answer.result.kind, redaction), MAX_TEXT_LENGTH) : null,
    idempotencyKey: cutOrNull(outgoing.headers.get("idempotency-key")),
    legacyId: copy.legacyId ?? null,
    candidateBody,
  };
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

function cutOrNull(text: string | null): string | null {
  return text === null ? null : cut(text, MAX_TEXT_LENGTH);
}
