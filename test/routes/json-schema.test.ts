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

it("a change to the route table's schema comes with a new TABLE_SCHEMA_VERSION", async () => {
  // Isolates trust a stored table stamped with their own TABLE_SCHEMA_VERSION (a structural
  // check, not full validation): a table written under another schema must not carry the
  // same number, or an isolate would accept fields it does not know and ignore them. When
  // this fails, bump TABLE_SCHEMA_VERSION in routes/schema.ts and record both values here
  // (a stricter cross-field rule in routes/validate.ts needs the bump too).
  const { TABLE_SCHEMA_VERSION } = await import("../../routes/schema.ts");
  const { canonicalJson } = await import("../../lib/canonical-json.ts");
  const { createHash } = await import("node:crypto");
  const hash = createHash("sha256").update(canonicalJson(routeTableJsonSchema())).digest("hex");
  expect({ version: TABLE_SCHEMA_VERSION, hash }).toEqual({ version: 5, hash: "cbf3ba98dc992a2cd34f58f322d91fe18e9f0c01cf5e560abe936cd7175190c1" });
});
