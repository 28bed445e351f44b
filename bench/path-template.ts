/**
 * Path template microbenchmark (Node): µs per `pathTemplate` call on paths of 1, 2, 4, 8 and
 * 16 KB — one long segment of several shapes, and many segments — so that what a request
 * path costs the migration map per KB is visible. `16 ÷ 1` is the cost at 16 KB over the cost
 * at 1 KB: about 16 for linear work, 256 for quadratic, about 1 for work that is bounded.
 *
 *   node bench/path-template.ts                        this checkout's pathTemplate
 *   node bench/path-template.ts --old /tmp/old.ts      another implementation (exports pathTemplate), for before/after
 *   node bench/path-template.ts --quick                shorter runs
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import { pathTemplate as current } from "../accounting/path-template.ts";
import { flag } from "./args.ts";

export interface PathTemplateRow {
  readonly shape: string;
  /** µs per call, by path size. */
  readonly "1 KB": number;
  readonly "2 KB": number;
  readonly "4 KB": number;
  readonly "8 KB": number;
  readonly "16 KB": number;
  readonly "16 ÷ 1": number;
}

const SIZES_KB = [1, 2, 4, 8, 16] as const;

/** Path shapes, each a function of the path's size in characters. */
const SHAPES: Readonly<Record<string, (size: number) => string>> = {
  "one segment: letters": (size) => `/${repeatTo("a", size - 1)}`,
  "one segment: a.a.a…@": (size) => `/${repeatTo("a.", size - 2)}@`,
  "one segment: a-a-a…@": (size) => `/${repeatTo("a-", size - 2)}@`,
  "one segment: digits": (size) => `/${repeatTo("7", size - 1)}`,
  "one segment: mixed": (size) => `/${repeatTo("aZ7.-_%40+", size - 1)}`,
  "many segments: /a": (size) => repeatTo("/a", size),
  "many segments: 64 characters each": (size) => repeatTo(`/${repeatTo("ab-", 64)}`, size),
};

export function benchPathTemplate(template: (path: string) => string, quick = false): PathTemplateRow[] {
  const budgetMs = quick ? 20 : 150;
  return Object.entries(SHAPES).map(([shape, make]) => {
    const perCall = SIZES_KB.map((kb) => microsecondsPerCall(template, make(kb * 1024), budgetMs));
    const [kb1, kb2, kb4, kb8, kb16] = perCall as [number, number, number, number, number];
    return { shape, "1 KB": round(kb1), "2 KB": round(kb2), "4 KB": round(kb4), "8 KB": round(kb8), "16 KB": round(kb16), "16 ÷ 1": round(kb16 / kb1) };
  });
}

/** Calls `template` on `input` for about `budgetMs` (at least twice, after a warm-up) and returns µs per call. */
function microsecondsPerCall(template: (path: string) => string, input: string, budgetMs: number): number {
  let sink = template(input).length;
  let calls = 0;
  const started = performance.now();
  let elapsed = 0;
  while (calls < 2 || elapsed < budgetMs) {
    // Batches of calls, so that reading the clock does not dominate a sub-µs call.
    const batch = elapsed === 0 || elapsed * 1000 > calls ? 1 : 100;
    for (let i = 0; i < batch; i++) sink += template(input).length;
    calls += batch;
    elapsed = performance.now() - started;
  }
  if (sink < 0) console.log(sink);
  return (elapsed * 1000) / calls;
}

function repeatTo(unit: string, size: number): string {
  return unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
}

function round(value: number): number {
  return value >= 100 ? Math.round(value) : Math.round(value * 100) / 100;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const old = flag("old", "");
  const template = old === "" ? current : ((await import(pathToFileURL(path.resolve(old)).href)) as { pathTemplate: (path: string) => string }).pathTemplate;
  console.log(`pathTemplate from ${old === "" ? "accounting/path-template.ts" : old}, µs per call:`);
  console.table(benchPathTemplate(template, process.argv.includes("--quick")));
}
