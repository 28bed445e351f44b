/**
 * V8's sampling profiler over workerd's inspector: for finding where an isolate spends its
 * CPU (bench/profile.ts under load, bench/version-change.ts across a version change).
 */
import { createRequire } from "node:module";
import path from "node:path";

const { WebSocket } = createRequire(import.meta.url)("ws") as typeof import("ws");

export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount: number;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  startTime: number;
  endTime: number;
}

/** The profiler of the Worker named `workerName` (it must have served once to be listed); started by `start`. */
export async function profilerOf(inspectorPort: number, workerName: string, intervalUs = 100) {
  const list = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json/list`)).json()) as { title: string; webSocketDebuggerUrl: string }[];
  const worker = list.find((t) => t.title === workerName) ?? list.find((t) => t.title.includes(workerName)) ?? list[0];
  if (!worker) throw new Error("no inspector target");
  const socket = new WebSocket(worker.webSocketDebuggerUrl);
  await new Promise((resolve) => socket.once("open", resolve));
  let id = 0;
  const send = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<Record<string, unknown>>((resolve) => {
      const mine = ++id;
      const onMessage = (data: Buffer) => {
        const message = JSON.parse(String(data)) as { id?: number; result?: Record<string, unknown> };
        if (message.id === mine) {
          socket.off("message", onMessage);
          resolve(message.result ?? {});
        }
      };
      socket.on("message", onMessage);
      socket.send(JSON.stringify({ id: mine, method, params }));
    });
  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: intervalUs });
  return {
    targets: list.map((t) => t.title),
    start: () => send("Profiler.start"),
    async stop(): Promise<CpuProfile> {
      const { profile } = (await send("Profiler.stop")) as { profile: CpuProfile };
      socket.close();
      return profile;
    },
  };
}

/** Samples per function (`name file:line`), most first. */
export function selfTime(profile: CpuProfile): [string, number][] {
  const self = new Map<string, number>();
  for (const node of profile.nodes) {
    const key = `${node.callFrame.functionName || "(anonymous)"} ${path.basename(node.callFrame.url)}:${node.callFrame.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + node.hitCount);
  }
  return [...self].sort((a, b) => b[1] - a[1]);
}

/** Samples under the outermost frames of function `name`, its callees included. */
export function inclusiveTime(profile: CpuProfile, name: string): number {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const subtree = (node: ProfileNode): number => node.hitCount + (node.children ?? []).reduce((sum, child) => sum + subtree(byId.get(child) as ProfileNode), 0);
  let hits = 0;
  const walk = (node: ProfileNode) => {
    if (node.callFrame.functionName === name) hits += subtree(node);
    else for (const child of node.children ?? []) walk(byId.get(child) as ProfileNode);
  };
  walk(profile.nodes[0] as ProfileNode);
  return hits;
}
