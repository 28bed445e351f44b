import { describe, expect, it } from "vitest";
import { countEvidence, emptyEvidence, type EvidenceCounts } from "../../accounting/evidence-counts.ts";
import { userBucket } from "../../accounting/users.ts";
import { gatherEvidence } from "../../control/rollout-evidence.ts";
import type { RolloutState } from "../../rollout/decide.ts";
import { validateRolloutPlan } from "../../rollout/plan.ts";
import { routeAtStep } from "../../rollout/route-at-step.ts";
import { storeArm } from "../../rollout/transitions.ts";
import type { Route } from "../../routes/schema.ts";
import { validateRouteTable } from "../../routes/validate.ts";
import type { EvidenceCell, MetricsStore } from "../../store/metrics-store.ts";
import type { ActiveTable } from "../../store/route-store.ts";
import type { ShadowStore } from "../../store/shadow-store.ts";

/**
 * A step is judged on the evidence of its own table versions only: the version that served it
 * first and later ones that serve the route as the step does (a change to another route) —
 * never a version from before the step, nor one where someone had changed the route. Fed
 * through the tick's own reader (control/rollout-evidence.ts) over a metrics store that
 * answers for exactly the versions it is asked for, as DynamoDB does.
 */
const planned = validateRolloutPlan({ route: "orders", candidate: "lambda", steps: [{ type: "weight", weight: 10, minUsers: 20, minDuration: "0s" }, { type: "weight", weight: 100, minUsers: 20, minDuration: "0s" }] });
if (!planned.ok) throw new Error("plan refused");
const plan = planned.value;
const original: Route = { id: "orders", match: { path: "/orders/*" }, to: "legacy" };
const now = Date.parse("2026-12-07T12:00:00Z");

/** `users` distinct clients on one backend, one request each, `failed` of them answered 5xx. */
function cell(version: number, backend: string, users: number, failed = 0, from = 0): EvidenceCell {
  const counts: EvidenceCounts = emptyEvidence();
  for (let i = 0; i < users; i++) countEvidence(counts, i < failed ? "failure" : "ok", 30, userBucket(`198.18.${Math.floor((i + from) / 250)}.${((i + from) % 250) + 1}`));
  return { route: "orders", version, backend, counts };
}

/**
 * What the store holds for `orders`: version 6, before the rollout (a candidate failing its
 * users in someone's earlier test); 8, the step's own; 9, made by a change to another route;
 * 10, where someone had split the route 50/50 by hand (the candidate failing again).
 */
const stored: readonly EvidenceCell[] = [
  cell(6, "lambda", 200, 200),
  cell(6, "legacy", 200),
  cell(8, "legacy", 300),
  cell(8, "lambda", 30),
  cell(8, "fargate", 50, 50),
  cell(9, "legacy", 100, 0, 300),
  cell(9, "lambda", 20, 0, 300),
  cell(10, "lambda", 200, 200, 1000),
];

function harness() {
  const asked: (readonly number[])[] = [];
  const metrics = {
    async evidence(route: string, versions: readonly number[]) {
      asked.push([...versions]);
      return stored.filter((c) => c.route === route && versions.includes(c.version));
    },
  } as unknown as MetricsStore;
  const shadow = {
    async read() {
      throw new Error("no shadow in these steps");
    },
  } as unknown as ShadowStore;
  return { deps: { metrics, shadow }, asked };
}

function active(version: number, route: Route): ActiveTable {
  const table = validateRouteTable({ backends: { legacy: { url: "https://legacy.example.com" }, lambda: { url: "https://lambda.example.com" }, fargate: { url: "https://fargate.example.com" } }, default: "legacy", routes: [route] });
  if (!table.ok) throw new Error(JSON.stringify(table.error));
  return { version, table: table.value };
}

const state = (extra: Partial<RolloutState> = {}): RolloutState => ({
  route: "orders",
  plan,
  status: "running",
  step: 0,
  stepStartedAt: "2026-12-07T11:00:00.000Z",
  stepVersions: [8],
  window: { openedAt: "2026-12-07T11:00:00.000Z" },
  original,
  control: "legacy",
  shadowEpoch: 1,
  revision: 3,
  startedAt: "2026-12-07T11:00:00.000Z",
  startedBy: "olivia",
  updatedAt: "2026-12-07T11:00:00.000Z",
  events: [],
  ...extra,
});
const stepRoute = routeAtStep(plan, original, 0, 1);

describe("a step's evidence", () => {
  it("is its own version's and a later one serving the route as the step does: nothing from before the step, no third backend", async () => {
    const { deps, asked } = harness();
    const evidence = await gatherEvidence(deps, state(), active(9, stepRoute), now);
    expect(asked).toEqual([[8, 9]]);
    expect(evidence).toMatchObject({ windowMs: 3_600_000, control: { requests: 400, failures: 0, users: expect.closeTo(400, -1) }, candidate: { requests: 50, failures: 0, failedUsers: 0, users: 50 } });
    expect(evidence).not.toHaveProperty("controlFrom");
  });

  it("leaves out a version where someone changed the route: its failures are not the step's", async () => {
    const { deps, asked } = harness();
    const changed: Route = { ...stepRoute, to: { legacy: 50, lambda: 50 } };
    const evidence = await gatherEvidence(deps, state(), active(10, changed), now);
    expect(asked).toEqual([[8]]);
    expect(evidence?.candidate).toMatchObject({ requests: 30, failures: 0, failedUsers: 0 });
  });

  it("for a state stored by an earlier cutover (no versions kept), starts over with the active version", async () => {
    const { stepVersions: _versions, ...older } = state();
    const { deps, asked } = harness();
    const evidence = await gatherEvidence(deps, older, active(9, stepRoute), now);
    expect(asked).toEqual([[9]]);
    expect(evidence?.candidate).toMatchObject({ requests: 20 });
  });

  it("at the bake, the control is the step before's kept evidence — or none to compare with", async () => {
    const bake = routeAtStep(plan, original, 1, 1);
    const { deps } = harness();
    const baseline = { requests: 300, failures: 3, clientErrors: 0, users: 280, failedUsers: 3, clientErrorUsers: 0, latency: new Map([[30, 300]]) };
    const withBaseline = await gatherEvidence(deps, state({ step: 1, stepVersions: [9], bakeBaseline: storeArm(baseline) }), active(9, bake), now);
    expect(withBaseline).toMatchObject({ controlFrom: "baseline", control: baseline, candidate: { requests: 20 } });
    const without = await gatherEvidence(deps, state({ step: 1, stepVersions: [9] }), active(9, bake), now);
    expect(without).toMatchObject({ controlFrom: "none", candidate: { requests: 20 } });
  });

  it("is undefined until the step's window is open", async () => {
    const { deps, asked } = harness();
    expect(await gatherEvidence(deps, state({ window: undefined }), active(9, stepRoute), now)).toBeUndefined();
    expect(asked).toEqual([]);
  });
});
