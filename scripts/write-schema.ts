/**
 * Writes route-table.schema.json from the zod schema, so editors complete and check route
 * table files (`"$schema": "./route-table.schema.json"`). Run: `npm run schema`.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { routeTableJsonSchema } from "../routes/json-schema.ts";
import { PROJECT_ROOT } from "../cli/wrangler-dev.ts";

const target = path.join(PROJECT_ROOT, "route-table.schema.json");
await writeFile(target, `${JSON.stringify(routeTableJsonSchema(), null, 2)}\n`);
console.log(`wrote ${path.relative(process.cwd(), target) || target}`);
