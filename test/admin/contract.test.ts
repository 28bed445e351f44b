import { describe, expect, it } from "vitest";
import { checkWith, planFromOptions, Problem, RolloutDetail, RoutesAnswer } from "../../admin/contract/index.ts";

const table = { backends: { legacy: { url: "https://legacy.example" }, accounts: { url: "https://accounts.example" } }, default: "legacy", routes: [{ id: "accounts", match: { path: "/accounts" }, to: { legacy: 90, accounts: 10 } }] };

describe("the admin API's answer schemas", () => {
  it("keep what they do not name, so that --json passes on a newer server's fields", () => {
    const read = checkWith(RoutesAnswer, { version: 7, info: null, table, servedBy: "a newer cutover" });
    expect(read).toEqual({ ok: true, value: { version: 7, info: null, table, servedBy: "a newer cutover" } });
  });

  it("name every field that does not fit, the table's included", () => {
    const read = checkWith(RoutesAnswer, { version: "7", info: null, table: { ...table, routes: [{ id: "accounts", match: { path: "/accounts" }, to: "nowhere" }] } });
    expect(read).toEqual({
      ok: false,
      error: [
        { path: "$.version", message: 'must be a number, not the string "7"' },
        { path: "$.table.routes[0].to", message: "unknown backend 'nowhere'" },
      ],
    });
  });

  it("read a rollout's detail as the summary plus its plan, history and judgement", () => {
    const summary = { route: "accounts", candidate: "accounts", control: "legacy", status: "running", step: 2, steps: 3, stepLabel: "10 %", stepStartedAt: "t", pausedReason: null, lastVerdict: null, startedBy: "ops", startedAt: "t", updatedAt: "t" };
    const detail = { ...summary, revision: 4, plan: { steps: [{ type: "shadow" }, { type: "weight", weight: 10 }], onFailure: "rollback" }, events: [{ at: "t", kind: "started", step: 0, message: "started by ops" }], now: { decision: "settling" } };
    expect(checkWith(RolloutDetail, detail)).toEqual({ ok: true, value: detail });
    expect(checkWith(RolloutDetail, summary)).toMatchObject({ ok: false, error: [{ path: "$.plan" }, { path: "$.events" }, { path: "$.now" }] });
  });

  it("refuse a problem without its code and sentence", () => {
    expect(Problem.safeParse({ error: "stale_version", message: "Version 8 is active, not 7.", activeVersion: 8 }).success).toBe(true);
    expect(Problem.safeParse({ message: "Internal Server Error" }).success).toBe(false);
  });
});

describe("planFromOptions, the rollout plan of the CLI's options and the dashboard's form", () => {
  it("gives every timed step the minimum duration and every weight step the minimum of users", () => {
    expect(planFromOptions({ route: "accounts", candidate: "new", steps: "shadow,pause,10,100", minUsers: "25", minDuration: "5m", onFailure: "pause", webhook: "https://hooks.example/x" })).toEqual({
      ok: true,
      value: {
        route: "accounts",
        candidate: "new",
        steps: [
          { type: "shadow", minDuration: "5m" },
          { type: "pause" },
          { type: "weight", weight: 10, minDuration: "5m", minUsers: 25 },
          { type: "weight", weight: 100, minDuration: "5m", minUsers: 25 },
        ],
        onFailure: "pause",
        webhook: "https://hooks.example/x",
      },
    });
  });

  it("leaves out what was left empty: the server's defaults apply", () => {
    expect(planFromOptions({ route: "accounts", candidate: "new", steps: "1,100", minUsers: "", minDuration: "" })).toEqual({
      ok: true,
      value: { route: "accounts", candidate: "new", steps: [{ type: "weight", weight: 1 }, { type: "weight", weight: 100 }] },
    });
  });

  it("says which option does not read", () => {
    expect(planFromOptions({ route: "a", candidate: "b", steps: "shadow,ten" })).toMatchObject({ ok: false, error: { option: "steps" } });
    expect(planFromOptions({ route: "a", candidate: "b", steps: "10,100", minUsers: "many" })).toMatchObject({ ok: false, error: { option: "minUsers", message: "must be a whole number" } });
    expect(planFromOptions({ route: "a", candidate: "b", steps: "10,100", onFailure: "retry" })).toMatchObject({ ok: false, error: { option: "onFailure" } });
  });
});
