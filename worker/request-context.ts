import type { AwsCredentials } from "../aws/sign.ts";
import { redactTarget } from "../compare/scrub-urls.ts";
import { DEFAULT_REDACTION } from "../compare/secret-names.ts";
import type { CompiledBackend, ResponseHeaderList } from "../routes/compile.ts";
import type { OverridePolicy } from "../routes/override-token.ts";
import type { RequestPlan } from "../routes/plan.ts";
import type { CopyBudget } from "./copy-budget.ts";
import type { DualWriteExampleRecorder } from "./dual-write-example-recorder.ts";
import type { EdgeIdentity } from "./edge-identity.ts";
import type { ShadowRecorder } from "./shadow-recorder.ts";
import type { TrafficRecorder } from "./traffic-recorder.ts";

/** Per-isolate settings of the data plane, read from the Worker's environment once. */
export interface ProxyOptions {
  readonly overrideSecret: string | undefined;
  /** What a tester override must satisfy besides its signature: its longest lifetime, its form, the deny-list now. */
  readonly overridePolicy: () => OverridePolicy;
  /** Where requests go when there is no route table at all: CUTOVER_LEGACY_URL. */
  readonly legacy: { readonly backend: CompiledBackend; readonly headers: ResponseHeaderList } | undefined;
  readonly now: () => number;
  readonly random: () => number;
  /** Add x-cutover-route / -backend / -version to responses. */
  readonly responseHeaders: boolean;
  /** Where shadow results go; undefined disables shadowing (no store to report from). */
  readonly shadowRecorder: ShadowRecorder | undefined;
  /** Dual-write copies in flight in the isolate and their bytes (worker/dual-write.ts has a default). */
  readonly copyBudget?: CopyBudget | undefined;
  /** Where traffic counts go (dual-write outcomes too); undefined with no store (or CUTOVER_METRICS=off). */
  readonly trafficRecorder: TrafficRecorder | undefined;
  /** Where examples of dual-write copies that failed or disagreed go; undefined with no store. */
  readonly dualWriteExamples?: DualWriteExampleRecorder | undefined;
  /** Workers Analytics Engine dataset: one data point per request, when bound. */
  readonly analytics: AnalyticsEngineDataset | undefined;
  /** For backends with `auth: aws-iam`. */
  readonly awsCredentials: AwsCredentials | undefined;
  /** The app's session at the edge and identity tokens (the table's `session`, backends' `identity`). */
  readonly identity?: EdgeIdentity | undefined;
}

/** One request on its way through the data plane: what every step reads. */
export interface RequestContext {
  readonly request: Request;
  readonly url: URL;
  readonly requestId: string;
  readonly clientIp: string | undefined;
  /** The route table version that planned it (undefined without a table). */
  readonly tableVersion: number | undefined;
  readonly plan: RequestPlan;
  readonly options: ProxyOptions;
  readonly waitUntil: (promise: Promise<unknown>) => void;
}

/**
 * What a log line says of a request: its id, method, route and path — never the query
 * string's values, only its keys, and with token-like path segments redacted.
 */
export function requestFields(context: RequestContext): Record<string, unknown> {
  const { plan, request, url } = context;
  const redaction = plan.shadow?.shadow.redaction ?? DEFAULT_REDACTION;
  return {
    requestId: context.requestId,
    method: request.method,
    route: plan.routeId,
    path: redactTarget(plan.path, "", redaction),
    ...(url.search.length > 1 ? { queryKeys: [...new Set(url.searchParams.keys())] } : {}),
  };
}
