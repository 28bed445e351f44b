import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { adminOpenApi } from "../../admin/openapi.ts";

it("openapi.json is up to date with the admin API's zod schemas (npm run schema)", () => {
  const committed: unknown = JSON.parse(readFileSync(new URL("../../openapi.json", import.meta.url), "utf8"));
  expect(committed).toEqual(adminOpenApi());
});

it("names every answer it refers to: each is in ANSWERS", () => {
  const document = adminOpenApi() as { paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, unknown> } };
  const named = new Set(Object.keys(document.components.schemas));
  const unnamed = Object.entries(document.paths).flatMap(([path, operations]) =>
    Object.entries(operations).flatMap(([method, operation]) =>
      [...JSON.stringify(operation).matchAll(/"#\/components\/schemas\/([^"]+)"/g)].filter(([, name]) => !named.has(name as string)).map(([, name]) => `${method} ${path}: ${name}`),
    ),
  );
  expect(unnamed).toEqual([]);
});
