import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../cli/wrangler-dev.ts";

/**
 * The layout rules of STYLE.md, checked on the source itself: no import circles between
 * files or folders, and the pure folders stay pure.
 */
const SOURCE_FOLDERS = ["worker", "routes", "identity", "compare", "accounting", "migration", "cost", "rollout", "control", "store", "admin", "aws", "lib", "config", "cli", "demo", "bench", "fixtures", "scripts"];
/** What each pure folder may import besides itself. */
const PURE: Record<string, readonly string[]> = { lib: [], compare: ["lib"], identity: ["lib"], routes: ["lib", "compare", "identity"], accounting: ["lib"], rollout: ["lib", "routes", "compare", "accounting"], migration: ["lib", "routes", "accounting"], cost: ["lib", "routes"] };

function sourceFiles(folder: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(PROJECT_ROOT, folder), { withFileTypes: true })) {
    const rel = path.join(folder, entry.name);
    if (entry.isDirectory() && entry.name !== "out") out.push(...sourceFiles(rel));
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) out.push(rel);
  }
  return out;
}

const files = SOURCE_FOLDERS.flatMap(sourceFiles);
const imports = new Map(
  files.map((file) => {
    const text = readFileSync(path.join(PROJECT_ROOT, file), "utf8");
    const targets = [...text.matchAll(/(?:from|import)\s*\(?\s*"(\.[^"]+)"/g)].map((match) => path.normalize(path.join(path.dirname(file), match[1] as string)));
    return [file, targets] as const;
  }),
);
const folderOf = (file: string) => file.split(path.sep)[0] as string;

function findCycle(graph: ReadonlyMap<string, ReadonlySet<string>>): string[] | undefined {
  const state = new Map<string, "open" | "done">();
  const visit = (node: string, trail: string[]): string[] | undefined => {
    if (state.get(node) === "open") return [...trail.slice(trail.indexOf(node)), node];
    if (state.get(node) === "done") return undefined;
    state.set(node, "open");
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next, [...trail, node]);
      if (cycle) return cycle;
    }
    state.set(node, "done");
    return undefined;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node, []);
    if (cycle) return cycle;
  }
  return undefined;
}

describe("the source tree", () => {
  it("has no import circle between files", () => {
    const graph = new Map([...imports].map(([file, targets]) => [file, new Set(targets)]));
    expect(findCycle(graph)).toBeUndefined();
  });

  it("has no import circle between folders", () => {
    const graph = new Map<string, Set<string>>();
    for (const [file, targets] of imports) {
      for (const target of targets) if (folderOf(target) !== folderOf(file)) (graph.get(folderOf(file)) ?? graph.set(folderOf(file), new Set()).get(folderOf(file)))?.add(folderOf(target));
    }
    expect(findCycle(graph)).toBeUndefined();
  });

  // DESIGN.md "Folders": control/ is the only code that changes stored state (route tables,
  // override revocations, tokens, rollout state, the legacy surface, settings); the Worker, the admin API and the config
  // cache only call it.
  it.each(["worker", "admin", "config"])("leaves every write of route tables, tokens and rollout state in %s/ to control/", (folder) => {
    for (const file of files.filter((candidate) => folderOf(candidate) === folder)) {
      const text = readFileSync(path.join(PROJECT_ROOT, file), "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
      expect(text, file).not.toMatch(/\.publish\(|\.revokeOverride\(|tokenStore\.(create|revoke)\(|tokens\.(create|revoke)\(|rollouts\.put\(|[sS]urfaces\.put\(|settings\.put\(/);
    }
  });

  // STYLE.md 9, "validate once at the edge": a ValidatedRouteTable (what a store publishes and
  // stamps as validated) comes only out of routes/validate.ts. Its brand symbol stays private to
  // that file, and no other file, tests included, casts a table into one.
  it("leaves making a ValidatedRouteTable to routes/validate.ts", () => {
    const VALIDATE = path.join("routes", "validate.ts");
    const code = (file: string) => readFileSync(path.join(PROJECT_ROOT, file), "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
    const validate = code(VALIDATE);
    expect(validate).toMatch(/^const validatedBrand: unique symbol = Symbol\(/m);
    expect(validate).not.toMatch(/export\s+(const\s+validatedBrand|\{[^}]*\bvalidatedBrand\b)/);
    const others = [...files, ...sourceFiles("test")].filter((file) => file !== VALIDATE && file !== path.join("test", "architecture.test.ts"));
    expect(others.length).toBeGreaterThan(100);
    for (const file of others) {
      expect(code(file), file).not.toMatch(/\bvalidatedBrand\b|\bas\s+(unknown\s+as\s+)?ValidatedRouteTable\b|(?<![\w$])<ValidatedRouteTable>/);
      // Nor slips a table past PublishRequest's type: a damaged stored table is written by
      // test/support/write-unchecked-version.ts, as a hand edit would write it.
      expect(code(file), file).not.toMatch(/\.publish\(\{[^;]*?\btable:[^,;]*\bas\s+(never|any)\b/);
    }
  });

  it.each(Object.entries(PURE))("keeps %s/ pure: it imports only %j and does no I/O, no clock, no randomness", (folder, allowed) => {
    for (const [file, targets] of imports) {
      if (folderOf(file) !== folder) continue;
      for (const target of targets) expect([folder, ...allowed], `${file} imports ${target}`).toContain(folderOf(target));
      const text = readFileSync(path.join(PROJECT_ROOT, file), "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
      expect(text, file).not.toMatch(/\bfetch\(|Date\.now\(|Math\.random\(|new Date\(\)/);
    }
  });
});
