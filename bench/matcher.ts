/**
 * Matcher microbenchmark (Node): compile time and lookups per second for route tables of
 * 100, 1 000 and 10 000 routes, for cutover's trie, a linear scan, and Hono's RegExpRouter
 * used as a matcher. Run alone: `node bench/matcher.ts`.
 */
import { RegExpRouter } from "hono/router/reg-exp-router";
import { compileTable } from "../routes/compile.ts";
import { validateRouteTable } from "../routes/validate.ts";
import { generateTable, samplePaths } from "../fixtures/big-table.ts";
import { compileLinearMatcher } from "../fixtures/linear-matcher.ts";

export interface MatcherRow {
  readonly routes: number;
  readonly matcher: string;
  readonly compileMs: number;
  readonly lookupsPerSecond: number;
}

export function benchMatcher(quick = false): MatcherRow[] {
  const rows: MatcherRow[] = [];
  const seconds = quick ? 0.2 : 1;
  for (const count of [100, 1000, 10_000]) {
    const raw = generateTable(count);
    const valid = validateRouteTable(raw);
    if (!valid.ok) throw new Error("generated table invalid");
    const table = valid.value;
    const paths = samplePaths(10_000, count);

    const compileMs = median(Array.from({ length: quick ? 2 : 5 }, () => time(() => compileTable(table, 1))));
    const trie = compileTable(table, 1).matcher;
    rows.push({ routes: count, matcher: "cutover trie", compileMs, lookupsPerSecond: rate(seconds, paths, (p) => trie.match("GET", "h", p)) });

    const entries = table.routes.map((route) => ({ pattern: route.match.path, methods: route.match.methods, host: route.match.host, value: route.id }));
    const linear = compileLinearMatcher(entries);
    rows.push({ routes: count, matcher: "linear scan", compileMs: 0, lookupsPerSecond: rate(seconds, paths, (p) => linear.match("GET", "h", p)) });

    const router = new RegExpRouter<string>();
    let honoCompile = time(() => {
      for (const route of table.routes) for (const method of route.match.methods ?? ["ALL"]) router.add(method, route.match.path, route.id);
    });
    honoCompile += time(() => router.match("GET", paths[0] as string)); // RegExpRouter builds its regexps on the first match
    rows.push({ routes: count, matcher: "hono RegExpRouter", compileMs: honoCompile, lookupsPerSecond: rate(seconds, paths, (p) => router.match("GET", p)) });
  }
  return rows;
}

function time(fn: () => unknown): number {
  const started = performance.now();
  fn();
  return performance.now() - started;
}

function rate(seconds: number, paths: readonly string[], lookup: (path: string) => unknown): number {
  let done = 0;
  let sink = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  while (performance.now() < deadline) {
    for (let i = 0; i < 1000; i++) {
      if (lookup(paths[(done + i) % paths.length] as string) !== undefined) sink++;
    }
    done += 1000;
  }
  if (sink < 0) console.log(sink);
  return done / ((performance.now() - started) / 1000);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

if (import.meta.url === `file://${process.argv[1]}`) console.table(benchMatcher(process.argv.includes("--quick")));
