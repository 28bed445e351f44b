import http from "node:http";
import { cpuMsOf, roundOrder, settle } from "./wrk.ts";

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

/** One target's runs in `latencyRounds`: p50 and p99 (ms) and, with `cpuOf`, CPU µs per request. */
export interface LatencyRuns {
  readonly p50: number[];
  readonly p99: number[];
  readonly cpu: number[];
}

/**
 * Each target (name, URL) at `rate` in interleaved rounds of `seconds` (`roundOrder`), after
 * 2 s of warm-up each, a line printed per run; with `cpuOf`, that process's CPU time per
 * request sent (NaN without).
 */
export async function latencyRounds(
  targets: readonly (readonly [string, string])[],
  options: { readonly rate: number; readonly rounds: number; readonly seconds: number; readonly cpuOf?: number },
): Promise<Map<string, LatencyRuns>> {
  const { rate, rounds, seconds, cpuOf } = options;
  for (const [, url] of targets) await fixedRate(url, rate, 2);
  const results = new Map(targets.map(([name]): [string, LatencyRuns] => [name, { p50: [], p99: [], cpu: [] }]));
  for (let round = 1; round <= rounds; round++) {
    for (const [name, url] of roundOrder(targets, round)) {
      await settle(1000);
      const before = cpuOf === undefined ? 0 : cpuMsOf(cpuOf);
      const run = await fixedRate(url, rate, seconds);
      const cpu = cpuOf === undefined ? Number.NaN : ((cpuMsOf(cpuOf) - before) * 1000) / run.sent;
      const r = results.get(name) as LatencyRuns;
      r.p50.push(run.p50Ms);
      r.p99.push(run.p99Ms);
      r.cpu.push(cpu);
      const cpuText = Number.isNaN(cpu) ? "" : `  ${cpu.toFixed(0)} µs CPU/req`;
      console.log(`round ${round}  ${name.padEnd(34)} p50 ${run.p50Ms.toFixed(2)} ms  p99 ${run.p99Ms.toFixed(1)} ms${cpuText}${run.errors ? `  errors ${run.errors}` : ""}`);
    }
  }
  return results;
}
