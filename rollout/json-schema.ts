import * as z from "zod/mini";
import { RolloutPlanSchema } from "./plan.ts";

/** The rollout plan's JSON Schema, for editors (`"$schema": "./rollout-plan.schema.json"`). */
export function rolloutPlanJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(RolloutPlanSchema, { io: "input", target: "draft-2020-12" }),
    $id: "https://github.com/cutover/cutover/rollout-plan.schema.json",
    title: "cutover rollout plan",
  };
}
