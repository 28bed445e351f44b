import type { AwsCredentials } from "../aws/sign.ts";
import type { RequestPlan } from "../routes/plan.ts";
import type { ShadowRecorder } from "./shadow-recorder.ts";

/** Per-isolate settings of the data plane, read from the Worker's environment once. */
export interface ProxyOptions {
  readonly overrideSecret: string | undefined;
  /** The plan when there is no route table at all: everything to CUTOVER_LEGACY_URL. */
  readonly legacyPlan: RequestPlan | undefined;
  readonly now: () => number;
  readonly random: () => number;
  /** Add x-cutover-route / -backend / -version to responses. */
  readonly responseHeaders: boolean;
  /** Where shadow results go; undefined disables shadowing (no store to report from). */
  readonly shadowRecorder: ShadowRecorder | undefined;
  /** For backends with `auth: aws-iam`. */
  readonly awsCredentials: AwsCredentials | undefined;
}

/** One request on its way through the data plane: what every step reads. */
export interface RequestContext {
  readonly request: Request;
  readonly url: URL;
  /** The normalized path: matched and forwarded. */
  readonly path: string;
  readonly requestId: string;
  readonly clientIp: string | undefined;
  readonly plan: RequestPlan;
  readonly options: ProxyOptions;
  readonly waitUntil: (promise: Promise<unknown>) => void;
}
