import type { ShadowChoice } from "../routes/shadow-sampling.ts";
import type { OutgoingRequest } from "./prepare-upstream.ts";
import { flushLater } from "./batcher.ts";
import { captureChunks } from "./read-bytes.ts";
import type { RequestBody } from "./request-body.ts";
import type { RequestContext } from "./request-context.ts";
import { runShadow, type BodyCopy } from "./shadow.ts";
import type { ShadowLease, ShadowRecorder } from "./shadow-recorder.ts";

/** A shadow copy admitted before the control request goes out; `abandon` it if no comparison follows. */
export interface PendingShadow {
  readonly choice: ShadowChoice;
  readonly recorder: ShadowRecorder;
  readonly lease: ShadowLease;
  /** The copy of the request body, possibly still being read from a tee. */
  readonly body: Promise<BodyCopy> | BodyCopy;
  /** Stops reading the body copy and frees the lease: nothing will be compared. */
  abandon(): void;
}

/**
 * Before the control request: whether this request gets a shadow copy at all — decided before
 * anything is teed, so that memory is bounded by construction. A body declared larger than the
 * shadow's cap is not copied; then the isolate's slot and byte budget (see ShadowRecorder)
 * must admit the copy; a skipped copy is counted as shed. A streamed body is teed and the
 * copy read as the control request streams (the control is not held up), only up to the cap
 * and within the budget. Returns the body the control request sends.
 */
export function admitShadow(context: RequestContext, body: RequestBody): { readonly shadow: PendingShadow | undefined; readonly body: RequestBody } {
  const choice = context.plan.shadow;
  const recorder = context.options.shadowRecorder;
  const websocket = context.request.headers.get("upgrade")?.toLowerCase() === "websocket";
  if (choice === undefined || recorder === undefined || websocket) return { shadow: undefined, body };
  const route = choice.shadow.statsId;
  const cap = choice.shadow.maxBodyBytes;
  const declared = Number(context.request.headers.get("content-length") ?? Number.NaN);
  const shed = () => {
    recorder.stats(route).shed++;
    flushLater(context.waitUntil, recorder);
    return { shadow: undefined, body };
  };
  if (body.body instanceof ArrayBuffer ? body.body.byteLength > cap : declared > cap) return shed();
  const lease = recorder.tryStart(route);
  if (lease === undefined) {
    flushLater(context.waitUntil, recorder);
    return { shadow: undefined, body };
  }
  if (!(body.body instanceof ReadableStream)) {
    if (body.body !== null && !lease.take(body.body.byteLength)) {
      lease.release();
      return shed();
    }
    return { shadow: { choice, recorder, lease, body: body.body, abandon: () => lease.release() }, body };
  }
  const [toControl, toShadow] = body.body.tee();
  const stop = new AbortController();
  const copy = captureChunks(toShadow, cap, { take: lease.take, signal: stop.signal }).then(
    (capture): BodyCopy => (capture.kind === "bytes" ? (capture.bytes.buffer as ArrayBuffer) : capture.kind),
    (): BodyCopy => "too_large",
  );
  const abandon = () => {
    stop.abort();
    lease.release();
  };
  return { shadow: { choice, recorder, lease, body: copy, abandon }, body: { ...body, body: toControl } };
}

/**
 * Once the control answered: tees its response (the client reads one branch, the comparison
 * the other) and starts the comparison in `waitUntil`. Returns the response for the client.
 */
export function startShadow(context: RequestContext, pending: PendingShadow, outgoing: OutgoingRequest, control: Response, startedAt: number): Response {
  const [toClient, toCompare] = control.body ? control.body.tee() : [null, null];
  context.waitUntil(
    runShadow(
      {
        routeId: context.plan.routeId,
        requestId: context.requestId,
        // The candidate's Idempotency-Key (when the client sent none): cutover's own id for the
        // request, never the client's x-request-id, which a client could reuse to collide.
        idempotencyKey: context.request.headers.get("cf-ray") ?? crypto.randomUUID(),
        outgoing: { ...outgoing, body: pending.body },
        control: { backend: context.plan.backend, response: control, body: toCompare, startedAt },
        choice: pending.choice,
        lease: pending.lease,
        credentials: context.options.awsCredentials,
        now: context.options.now,
      },
      pending.recorder,
    ),
  );
  return toClient ? new Response(toClient, control) : control;
}

