import type { ArmName } from "../accounting/traffic-counts.ts";
import { userOf } from "../accounting/users.ts";
import { flushLater } from "./batcher.ts";
import type { RequestContext } from "./request-context.ts";
import type { AttemptRecord } from "./traffic-recorder.ts";

/**
 * Counts one client request (never a shadow copy) in the isolate's traffic accounting and,
 * when a Workers Analytics Engine dataset is bound, writes one data point for it. Cheap:
 * in-memory counters on the request path; the flush runs in `waitUntil`.
 */
export function accountRequest(context: RequestContext, attempts: readonly AttemptRecord[]): void {
  const { plan, options } = context;
  const recorder = options.trafficRecorder;
  if (recorder === undefined && options.analytics === undefined) return;
  const arm: ArmName = plan.arm;
  if (recorder !== undefined) {
    const route = plan.route;
    recorder.record({
      route: plan.routeId,
      arm,
      attempts,
      ...(route === undefined ? { unrouted: { path: plan.path, method: context.request.method } } : {}),
      // A split's choice is rollout evidence of the table version that made it, counted per user.
      ...(arm === "split" && route !== undefined
        ? { version: context.tableVersion, user: userOf(context.clientIp, () => plan.cohortKey) }
        : {}),
    });
    flushLater(context.waitUntil, recorder);
  }
  const served = attempts.at(-1);
  if (options.analytics !== undefined && served !== undefined) {
    options.analytics.writeDataPoint({
      indexes: [plan.routeId],
      blobs: [plan.routeId, served.backend, `${Math.floor(served.result.status / 100)}xx`, served.result.kind, attempts.length > 1 ? "fallback" : arm, plan.version],
      doubles: [attempts.reduce((sum, attempt) => sum + attempt.ms, 0), served.result.status],
    });
  }
}
