import { describe, expect, it } from "vitest";
import { validateRolloutPlan, type RolloutPlan } from "../../rollout/plan.ts";
import { completedRoute, controlOf, routeAtStep, unmovable } from "../../rollout/route-at-step.ts";
import type { Route } from "../../routes/schema.ts";

/** The route each step serves, and which routes a rollout can move: what an operator sees in the table. */
const plan = (steps: unknown[], extra: Record<string, unknown> = {}): RolloutPlan => {
  const result = validateRolloutPlan({ route: "orders", candidate: "lambda", steps, ...extra });
  if (!result.ok) throw new Error(JSON.stringify(result.error));
  return result.value;
};
const original: Route = { id: "orders", match: { path: "/orders/*" }, to: "legacy" };
const weights = plan([{ type: "weight", weight: 10 }, { type: "weight", weight: 100 }]);

describe("the control a rollout moves users from", () => {
  it("is the plan's control when it names one, else the route's backend, else its busiest other than the candidate", () => {
    expect(controlOf({ candidate: "lambda", control: "fargate" }, original)).toBe("fargate");
    expect(controlOf({ candidate: "lambda" }, original)).toBe("legacy");
    expect(controlOf({ candidate: "lambda" }, { ...original, to: "lambda" })).toBeUndefined();
    expect(controlOf({ candidate: "lambda" }, { ...original, to: { legacy: 20, lambda: 80 } })).toBe("legacy");
    expect(controlOf({ candidate: "lambda" }, { ...original, to: { a: 30, b: 50, lambda: 20 } })).toBe("b");
    expect(controlOf({ candidate: "lambda" }, { ...original, to: { b: 30, a: 30, lambda: 40 } })).toBe("a");
    expect(controlOf({ candidate: "lambda" }, { ...original, to: { a: 30, b: 30, lambda: 40 } })).toBe("a");
    expect(controlOf({ candidate: "lambda" }, { ...original, to: { legacy: 0, lambda: 100 } })).toBeUndefined();
  });
});

describe("the route a step serves", () => {
  it("before any weight step, the route as it was (no shadow step in the plan: none added)", () => {
    const paused = plan([{ type: "pause" }, { type: "weight", weight: 50 }]);
    expect(routeAtStep(paused, original, 0, 1)).toEqual(original);
    expect(routeAtStep(paused, original, 1, 1)).toEqual({ ...original, to: { legacy: 50, lambda: 50 } });
    // A shadow step later in the plan does not shadow the steps before it.
    const late = plan([{ type: "pause" }, { type: "shadow" }, { type: "weight", weight: 10 }]);
    expect(routeAtStep(late, original, 0, 4)).toEqual(original);
    expect(routeAtStep(late, original, 1, 4)).toEqual({ ...original, shadow: { to: "lambda", epoch: 4 } });
  });

  it("splits with the control at 100 minus the weight, rounded to 0.01", () => {
    const fine = plan([{ type: "weight", weight: 33.33 }]);
    expect(routeAtStep(fine, original, 0, 1).to).toEqual({ legacy: 66.67, lambda: 33.33 });
  });

  it("keeps a shadow toward the candidate's settings in the new epoch, and a shadow toward another backend as it is", () => {
    const shadowing = plan([{ type: "shadow" }, { type: "weight", weight: 10 }, { type: "weight", weight: 100 }]);
    const tuned: Route = { ...original, shadow: { to: "lambda", percent: 20, ignore: ["header:date"], epoch: 3 } };
    expect(routeAtStep(shadowing, tuned, 0, 4)).toEqual({ ...original, shadow: { to: "lambda", percent: 20, ignore: ["header:date"], epoch: 4 } });
    const elsewhere: Route = { ...original, shadow: { to: "fargate", percent: 20 } };
    expect(routeAtStep(shadowing, elsewhere, 0, 1)).toEqual({ ...original, shadow: { to: "lambda", epoch: 1 } });
    // Without a shadow step, a shadow toward another backend stays through the split, the bake and the end.
    expect(routeAtStep(weights, elsewhere, 0, 1)).toEqual({ ...elsewhere, to: { legacy: 90, lambda: 10 } });
    expect(routeAtStep(weights, elsewhere, 1, 1)).toEqual({ ...elsewhere, to: { legacy: 0, lambda: 100 } });
    expect(completedRoute(weights, elsewhere)).toEqual({ ...elsewhere, to: "lambda" });
  });

  it("for a route on the candidate already (a plan naming its control), keeps every user there: no user moves back", () => {
    const named = plan([{ type: "weight", weight: 10 }, { type: "weight", weight: 100 }], { control: "legacy" });
    expect(unmovable(named, { ...original, to: "lambda" })).toBeUndefined();
    expect(routeAtStep(named, { ...original, to: "lambda" }, 0, 1)).toEqual({ ...original, to: { legacy: 0, lambda: 100 } });
  });
});

describe("a route a rollout cannot move", () => {
  it("says why: already on the candidate, or split among three backends (naming them, and what to do)", () => {
    const p = { route: "orders", candidate: "lambda" };
    expect(unmovable(p, { ...original, to: "lambda" })).toBe("Route 'orders' already sends everything to 'lambda'.");
    expect(unmovable(p, original)).toBeUndefined();
    expect(unmovable(p, { ...original, to: { legacy: 50, lambda: 25, fargate: 25 } })).toBe(
      "Route 'orders' splits its users among legacy, lambda, fargate: a rollout moves users between two backends (control 'legacy' and candidate 'lambda'). Give the route two backends first (set fargate to 0 or remove it).",
    );
    expect(unmovable(p, { ...original, to: { legacy: 40, lambda: 20, fargate: 20, ecs: 20 } })).toBe(
      "Route 'orders' splits its users among legacy, lambda, fargate, ecs: a rollout moves users between two backends (control 'legacy' and candidate 'lambda'). Give the route two backends first (set fargate, ecs to 0 or remove them).",
    );
    // A plan's control on a route with one backend: nothing else has users.
    expect(unmovable({ ...p, control: "legacy" }, original)).toBeUndefined();
  });
});
