import type { ShadowChoice } from "../routes/shadow-sampling.ts";
import type { OutgoingRequest } from "./prepare-upstream.ts";
import { readUpTo } from "./read-bytes.ts";
import type { RequestBody } from "./request-body.ts";
import type { RequestContext } from "./request-context.ts";
import { runShadow } from "./shadow.ts";
import type { ShadowRecorder } from "./shadow-recorder.ts";

/** A shadow copy admitted before the control request goes out. */
export interface PendingShadow {
  readonly choice: ShadowChoice;
  readonly recorder: ShadowRecorder;
  /** The copy of the request body: kept bytes, being read from a tee, or undefined when over the cap. */
  readonly body: Promise<ArrayBuffer | undefined> | ArrayBuffer | null;
}

/**
 * Before the control request: whether this request gets a shadow copy at all, and the copy
 * of its body. A body over the shadow's cap is not copied (counted as skipped); a streamed
 * body is teed, the copy read as the control request streams (so that the control is not held
 * up) and only up to the cap. Returns the body the control request sends.
 */
export function admitShadow(context: RequestContext, body: RequestBody): { readonly shadow: PendingShadow | undefined; readonly body: RequestBody } {
  const choice = context.plan.shadow;
  const recorder = context.options.shadowRecorder;
  const websocket = context.request.headers.get("upgrade")?.toLowerCase() === "websocket";
  if (choice === undefined || recorder === undefined || websocket) return { shadow: undefined, body };
  const cap = choice.shadow.maxBodyBytes;
  const declared = Number(context.request.headers.get("content-length") ?? Number.NaN);
  const tooLarge = body.body instanceof ArrayBuffer ? body.body.byteLength > cap : declared > cap;
  if (tooLarge) {
    recorder.stats(context.plan.routeId).shed++;
    return { shadow: undefined, body };
  }
  if (!(body.body instanceof ReadableStream)) return { shadow: { choice, recorder, body: body.body }, body };
  const [toControl, toShadow] = body.body.tee();
  const copy = readUpTo(toShadow, cap).then(async (read) => {
    if (read.complete) return read.bytes.buffer as ArrayBuffer;
    await read.reader.cancel("over the shadow's maxBodyBytes").catch(() => {});
    return undefined;
  });
  copy.catch(() => {});
  return { shadow: { choice, recorder, body: copy }, body: { ...body, body: toControl } };
}

/**
 * Once the control answered: when the isolate has a free shadow slot, tees the response (the
 * client reads one branch, the comparison the other) and starts the comparison in
 * `waitUntil`. Returns the response for the client.
 */
export function startShadow(context: RequestContext, pending: PendingShadow, outgoing: OutgoingRequest, control: Response, startedAt: number): Response {
  if (!pending.recorder.tryStart(context.plan.routeId)) return control;
  const [toClient, toCompare] = control.body ? control.body.tee() : [null, null];
  context.waitUntil(
    runShadow(
      {
        routeId: context.plan.routeId,
        requestId: context.requestId,
        outgoing: { ...outgoing, body: pending.body },
        control: { backend: context.plan.backend, response: control, body: toCompare, startedAt },
        choice: pending.choice,
        credentials: context.options.awsCredentials,
        now: context.options.now,
      },
      pending.recorder,
    ),
  );
  return toClient ? new Response(toClient, control) : control;
}
