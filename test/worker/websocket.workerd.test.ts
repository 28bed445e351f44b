import { describe, expect, it } from "vitest";
import { get, send, table } from "../support/worker-harness.ts";

function nextMessage(socket: WebSocket): Promise<string> {
  return new Promise((resolve, reject) => {
    socket.addEventListener("message", (event) => resolve(String(event.data)), { once: true });
    socket.addEventListener("close", () => reject(new Error("closed before a message")), { once: true });
  });
}

describe("WebSocket upgrades", () => {
  it("connects the client to the routed backend's WebSocket", async () => {
    const routes = table({ routes: [{ id: "live", match: { path: "/live/*" }, to: "new" }] });
    const response = await send(routes, get("/live/feed?room=1", { upgrade: "websocket" }));
    expect(response.status).toBe(101);
    expect(response.headers.get("x-cutover-backend")).toBe("new");
    const socket = response.webSocket;
    if (!socket) throw new Error("no webSocket on the response");
    const greeting = nextMessage(socket);
    socket.accept();
    expect(await greeting).toBe("hello from new /live/feed?room=1");
    const echoed = nextMessage(socket);
    socket.send("ping");
    expect(await echoed).toBe("new echo: ping");
    socket.close(1000, "done");
  });
});
