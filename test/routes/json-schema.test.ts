import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { routeTableJsonSchema } from "../../routes/json-schema.ts";

it("route-table.schema.json is up to date with the zod schema (npm run schema)", () => {
  const committed: unknown = JSON.parse(readFileSync(new URL("../../route-table.schema.json", import.meta.url), "utf8"));
  expect(committed).toEqual(routeTableJsonSchema());
});

it("rollout-plan.schema.json is up to date with the zod schema (npm run schema)", async () => {
  const { rolloutPlanJsonSchema } = await import("../../rollout/json-schema.ts");
  const committed: unknown = JSON.parse(readFileSync(new URL("../../rollout-plan.schema.json", import.meta.url), "utf8"));
  expect(committed).toEqual(rolloutPlanJsonSchema());
});
