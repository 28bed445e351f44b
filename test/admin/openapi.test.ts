import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { adminOpenApi } from "../../admin/openapi.ts";

it("openapi.json is up to date with the admin API's zod schemas (npm run schema)", () => {
  const committed: unknown = JSON.parse(readFileSync(new URL("../../openapi.json", import.meta.url), "utf8"));
  expect(committed).toEqual(adminOpenApi());
});
