import { describe, expect, it } from "vitest";
import { get, ports, received, send, table, testId } from "../support/worker-harness.ts";

/**
 * Workers Analytics Engine has no local form: this checks what the Worker writes to the
 * binding (one data point per client request), through a dataset that records the points.
 */
function recordingDataset() {
  const points: AnalyticsEngineDataPoint[] = [];
  const dataset: AnalyticsEngineDataset = { writeDataPoint: (point) => void points.push(point ?? {}) };
  return { points, dataset };
}

const routes = table({
  backends: { down: { url: `http://127.0.0.1:${ports.refused}` } },
  routes: [
    { id: "orders", match: { path: "/orders/*" }, to: "new" },
    { id: "errors", match: { path: "/status/*" }, to: "new" },
    { id: "rescued", match: { path: "/rescued/*" }, to: "down", fallback: "legacy" },
  ],
});

describe("Workers Analytics Engine data points", () => {
  it("writes one point per client request: route, backend, status class, who answered, arm, version, latency, status", async () => {
    const { points, dataset } = recordingDataset();
    const id = testId();
    const headers = { "x-test-id": id };
    for (const path of ["/orders/1", "/status/503", "/rescued/1", "/unrouted"]) await (await send(routes, get(path, headers), { CUTOVER_ANALYTICS: dataset })).arrayBuffer();
    expect(points).toHaveLength(4);
    const [orders, errors, rescued, unrouted] = points;
    expect(orders).toMatchObject({ indexes: ["orders"], blobs: ["orders", "new", "2xx", "response", "single", "1"], doubles: [expect.any(Number), 200] });
    expect(errors).toMatchObject({ indexes: ["errors"], blobs: ["errors", "new", "5xx", "response", "single", "1"], doubles: [expect.any(Number), 503] });
    // The fallback served: the point names the backend that answered the client.
    expect(rescued).toMatchObject({ indexes: ["rescued"], blobs: ["rescued", "legacy", "2xx", "response", "fallback", "1"] });
    expect(unrouted).toMatchObject({ indexes: ["(default)"], blobs: ["(default)", "legacy", "2xx", "response", "default", "1"] });
    expect(await received(ports.legacy, id)).toHaveLength(2);
  });
});
