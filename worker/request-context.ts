import type { AwsCredentials } from "../aws/sign.ts";
import type { CompiledBackend, ResponseHeaderList } from "../routes/compile.ts";
import type { RequestPlan } from "../routes/plan.ts";
import type { ShadowRecorder } from "./shadow-recorder.ts";

/** Per-isolate settings of the data plane, read from the Worker's environment once. */
export interface ProxyOptions {
  readonly overrideSecret: string | undefined;
  /** Where requests go when there is no route table at all: CUTOVER_LEGACY_URL. */
  readonly legacy: { readonly backend: CompiledBackend; readonly headers: ResponseHeaderList } | undefined;
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
  readonly requestId: string;
  readonly clientIp: string | undefined;
  readonly plan: RequestPlan;
  readonly options: ProxyOptions;
  readonly waitUntil: (promise: Promise<unknown>) => void;
}
