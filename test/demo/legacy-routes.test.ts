import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LEGACY_ROUTES, startLegacyApp } from "../../demo/legacy-app.ts";
import { readLegacySurface } from "../../migration/read-legacy-surface.ts";

/** The demo legacy app's `bin/rails routes` list reads as the endpoints the app really serves. */
describe("the demo legacy app's route list", () => {
  let app: Awaited<ReturnType<typeof startLegacyApp>>;
  beforeAll(async () => {
    app = await startLegacyApp();
  });
  afterAll(() => app.close());

  it("reads as Rails' route list, every endpoint answered by the app (a concrete path of each)", async () => {
    const read = readLegacySurface(LEGACY_ROUTES);
    expect(read.format).toBe("rails");
    expect(read.problems).toEqual([]);
    expect(read.endpoints.map((e) => `${e.method} ${e.pattern} ${e.action}`)).toEqual([
      "GET / pages#home",
      "GET /api/accounts api/accounts#index",
      "POST /api/accounts api/accounts#create",
      "GET /api/accounts/:id api/accounts#show",
      "GET /health health#show",
    ]);
    for (const endpoint of read.endpoints) {
      const path = endpoint.pattern.replace(":id", "1");
      const response = await fetch(`http://127.0.0.1:${app.port}${path}`, { method: endpoint.method, ...(endpoint.method === "POST" ? { body: '{"name":"Mary"}' } : {}) });
      await response.arrayBuffer();
      expect([endpoint.method, path, response.status]).toEqual([endpoint.method, path, endpoint.method === "POST" ? 201 : 200]);
    }
  });
});
