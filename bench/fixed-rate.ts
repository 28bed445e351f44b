import http from "node:http";

/**
 * An open-loop load at a fixed request rate (what wrk2 does): each request has a due time
 * and its latency counts from then, so a stall is not hidden by requests that were never
 * sent (no coordinated omission). For comparing latency at equal, unsaturated load.
 */
export async function fixedRate(url: string, ratePerSecond: number, seconds: number): Promise<{ rate: number; sent: number; p50Ms: number; p99Ms: number; errors: number }> {
  const target = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
  const latencies: number[] = [];
  let errors = 0;
  const total = Math.round(ratePerSecond * seconds);
  const start = performance.now() + 50;
  let sent = 0;
  const inflight: Promise<void>[] = [];
  while (sent < total) {
    const now = performance.now();
    while (sent < total && start + (sent * 1000) / ratePerSecond <= now) {
      const due = start + (sent * 1000) / ratePerSecond;
      inflight.push(
        new Promise<void>((resolve) => {
          const request = http.get({ agent, host: target.hostname, port: target.port, path: target.pathname + target.search }, (response) => {
            response.resume();
            response.on("end", () => {
              if (response.statusCode === 200) latencies.push(performance.now() - due);
              else errors++;
              resolve();
            });
          });
          request.on("error", () => {
            errors++;
            resolve();
          });
        }),
      );
      sent++;
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  await Promise.all(inflight);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
  return { rate: ratePerSecond, sent, p50Ms: at(50), p99Ms: at(99), errors };
}
