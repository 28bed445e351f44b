import http from "node:http";

export interface FixedRateResult {
  readonly rate: number;
  readonly sent: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
  readonly errors: number;
  /** How late the generator itself sent, median: Node's timers tick in whole milliseconds, and this lag is in every target's latency alike. */
  readonly sendLagP50Ms: number;
  /** Requests over 5 × p50, by the second of the run they were due in: a stall shows as a burst in one second. */
  readonly slowBySecond: Readonly<Record<string, number>>;
}

/**
 * An open-loop load at a fixed request rate (what wrk2 does): each request has a due time
 * and its latency counts from then, so a stall is not hidden by requests that were never
 * sent (no coordinated omission). For comparing latency at equal, unsaturated load.
 *
 * Between sends the generator sleeps until the next due time: a generator that polls
 * (`setImmediate` in a loop) keeps one of this machine's two cores busy and its own
 * scheduling delays show up as the proxy's tail latency.
 */
export async function fixedRate(url: string, ratePerSecond: number, seconds: number): Promise<FixedRateResult> {
  const target = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
  const samples: { due: number; ms: number }[] = [];
  const lags: number[] = [];
  let errors = 0;
  const total = Math.round(ratePerSecond * seconds);
  const start = performance.now() + 50;
  const dueAt = (index: number) => start + (index * 1000) / ratePerSecond;
  let sent = 0;
  const inflight: Promise<void>[] = [];
  while (sent < total) {
    const now = performance.now();
    while (sent < total && dueAt(sent) <= now) {
      const due = dueAt(sent);
      lags.push(now - due);
      inflight.push(
        new Promise<void>((resolve) => {
          const request = http.get({ agent, host: target.hostname, port: target.port, path: target.pathname + target.search }, (response) => {
            response.resume();
            response.on("end", () => {
              if (response.statusCode === 200) samples.push({ due: due - start, ms: performance.now() - due });
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
    if (sent < total) await new Promise((resolve) => setTimeout(resolve, Math.max(0, dueAt(sent) - performance.now())));
  }
  await Promise.all(inflight);
  agent.destroy();
  const latencies = samples.map((s) => s.ms).sort((a, b) => a - b);
  const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
  const p50Ms = at(50);
  const slowBySecond: Record<string, number> = {};
  for (const sample of samples) {
    if (sample.ms > 5 * p50Ms) {
      const second = String(Math.floor(sample.due / 1000));
      slowBySecond[second] = (slowBySecond[second] ?? 0) + 1;
    }
  }
  lags.sort((a, b) => a - b);
  const sendLagP50Ms = lags[Math.floor(lags.length / 2)] ?? 0;
  return { rate: ratePerSecond, sent, p50Ms, p99Ms: at(99), p999Ms: at(99.9), maxMs: latencies.at(-1) ?? 0, errors, sendLagP50Ms, slowBySecond };
}
