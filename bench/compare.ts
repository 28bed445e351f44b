/**
 * Shadow comparison cost (Node): parse and compare two ~100 KB JSON bodies that differ in a
 * few fields. Run alone: `node bench/compare.ts`.
 */
import { compareResponses, compileRules, type Observation } from "../compare/compare-responses.ts";

export function benchCompare(quick = false) {
  const items = Array.from({ length: 520 }, (_, i) => ({
    id: i,
    name: `Account ${i}`,
    plan: i % 3 === 0 ? "pro" : "free",
    balanceCents: i * 137,
    tags: ["a", "b", `t${i % 7}`],
    owner: { email: `user${i}@example.com`, since: "2021-01-01T00:00:00Z" },
    updatedAt: "2026-11-25T00:00:00Z",
  }));
  const control = JSON.stringify({ items, meta: { requestId: "a", total: items.length } });
  const changed = structuredClone(items);
  for (const i of [3, 150, 519]) (changed[i] as { balanceCents: number }).balanceCents += 1;
  const candidate = JSON.stringify({ items: changed, meta: { requestId: "b", total: items.length } });
  const observation = (body: string): Observation => ({ status: 200, headers: [["content-type", "application/json"]], body: new TextEncoder().encode(body), durationMs: 1 });
  const a = observation(control);
  const b = observation(candidate);
  const rules = compileRules(["body:$.meta.requestId"]);

  const differences = compareResponses(a, b, rules).differences.length;
  const deadline = performance.now() + (quick ? 300 : 2000);
  let runs = 0;
  const started = performance.now();
  while (performance.now() < deadline) {
    compareResponses(a, b, rules);
    runs++;
  }
  const msPerComparison = (performance.now() - started) / runs;
  return { bodyBytes: control.length, differences, msPerComparison, comparisonsPerSecond: 1000 / msPerComparison, hostile: benchHostile(quick) };
}

/**
 * Attacker-shaped bodies: 2 000 nested arrays in 4 KB (230 ms per comparison before the
 * depth limit), and 50 000 keys that all differ. Milliseconds per comparison, parse included.
 */
function benchHostile(quick: boolean) {
  const deep = (leaf: number) => `${"[".repeat(2000)}${leaf}${"]".repeat(2000)}`;
  const wide = (sign: number) => JSON.stringify(Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`k${i}`, sign * i])));
  const observation = (body: string): Observation => ({ status: 200, headers: [["content-type", "application/json"]], body: new TextEncoder().encode(body), durationMs: 1 });
  const rules = compileRules([]);
  const time = (a: Observation, b: Observation) => {
    const runs = quick ? 3 : 20;
    const started = performance.now();
    for (let i = 0; i < runs; i++) compareResponses(a, b, rules);
    return (performance.now() - started) / runs;
  };
  return {
    nestedArrays2000: { bodyBytes: deep(1).length, msPerComparison: time(observation(deep(1)), observation(deep(2))) },
    keys50000AllDiffering: { bodyBytes: wide(1).length, msPerComparison: time(observation(wide(1)), observation(wide(-1))) },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(benchCompare(process.argv.includes("--quick")));
