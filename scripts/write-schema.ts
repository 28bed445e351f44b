/**
 * Writes route-table.schema.json and rollout-plan.schema.json (so editors complete and check
 * route table and plan files: `"$schema": "./route-table.schema.json"`) and openapi.json (the admin API, served by the
 * Worker at /_cutover/api/openapi.json) from the zod schemas. Run: `npm run schema`.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { adminOpenApi } from "../admin/openapi.ts";
import { PROJECT_ROOT } from "../cli/wrangler-dev.ts";
import { pricesJsonSchema } from "../cost/prices.ts";
import { rolloutPlanJsonSchema } from "../rollout/json-schema.ts";
import { routeTableJsonSchema } from "../routes/json-schema.ts";

for (const [file, document] of [
  ["route-table.schema.json", routeTableJsonSchema()],
  ["rollout-plan.schema.json", rolloutPlanJsonSchema()],
  ["openapi.json", adminOpenApi()],
  ["prices.schema.json", pricesJsonSchema()],
] as const) {
  const target = path.join(PROJECT_ROOT, file);
  await writeFile(target, `${JSON.stringify(document, null, 2)}\n`);
  console.log(`wrote ${path.relative(process.cwd(), target) || target}`);
}
