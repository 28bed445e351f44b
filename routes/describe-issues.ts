import type * as z from "zod/mini";
import { didYouMean } from "../lib/nearest.ts";

/** One reason an input was refused: where (a JSON path such as `$.routes[1].to`) and why. */
export interface ValidationIssue {
  readonly path: string;
  readonly message: string;
}

/**
 * zod's issues as sentences that say what to do: no "Invalid input". An unknown field names
 * the nearest known one (`method` → did you mean `methods`?), a wrong type says what was
 * given, a union reports the alternative that got furthest, bounds say the bound.
 * `schema` is what was parsed (to know which fields an object takes); parse with
 * `{ reportInput: true }` so that issues carry what was given.
 */
export function describeIssues(schema: z.ZodMiniType, issues: readonly z.core.$ZodIssue[]): ValidationIssue[] {
  return issues.map((issue) => describe(schema, issue, []));
}

function describe(schema: z.ZodMiniType, issue: z.core.$ZodIssue, prefix: readonly PropertyKey[]): ValidationIssue {
  const path = [...prefix, ...issue.path];
  const at = jsonPath(path);
  switch (issue.code) {
    case "unrecognized_keys": {
      const known = knownKeys(schema, path);
      return { path: at, message: issue.keys.map((key) => `unknown field '${key}'${didYouMean(key, known)}`).join("; ") };
    }
    case "invalid_union": {
      // The alternative that got furthest into the input says the most.
      const branches = issue.errors.filter((branch) => branch.length > 0);
      const deepest = branches.reduce<readonly z.core.$ZodIssue[] | undefined>((best, branch) => (best === undefined || depth(branch) > depth(best) ? branch : best), undefined);
      const first = deepest?.[0];
      if (first === undefined || depth(deepest ?? []) === 0) return { path: at, message: `is ${given(issue.input)}, which is none of the accepted forms` };
      return describe(schema, first, path);
    }
    case "invalid_key": {
      const reason = issue.issues[0]?.message ?? issue.message;
      return { path: at, message: `bad name: ${reason}` };
    }
    case "invalid_type":
      if (issue.input === undefined) return { path: at, message: `is required (${article(issue.expected)})` };
      return { path: at, message: `must be ${article(issue.expected)}, not ${given(issue.input)}` };
    case "too_small":
      return { path: at, message: bound("at least", issue.minimum, issue.inclusive, issue.origin, issue.message) };
    case "too_big":
      return { path: at, message: bound("at most", issue.maximum, issue.inclusive, issue.origin, issue.message) };
    case "invalid_value":
      return { path: at, message: `must be ${issue.values.map((value) => JSON.stringify(value)).join(" or ")}, not ${given(issue.input)}` };
    default:
      // Custom checks carry their own sentence (the schema's); zod's generic ones say what failed.
      return { path: at, message: issue.message === "Invalid input" ? `is not valid: ${given(issue.input)}` : issue.message };
  }
}

function depth(issues: readonly z.core.$ZodIssue[]): number {
  return Math.max(0, ...issues.map((issue) => issue.path.length + (issue.code === "invalid_type" ? 0 : 0.5)));
}

function bound(word: string, limit: number | bigint, inclusive: boolean | undefined, origin: string, fallback: string): string {
  const value = Number(limit);
  switch (origin) {
    case "number":
    case "int":
      return inclusive === false ? `must be ${word === "at least" ? "greater" : "less"} than ${value}` : `must be ${word} ${value}`;
    case "string":
      return value === 1 && word === "at least" ? "must not be empty" : `must have ${word} ${value} characters`;
    case "array":
      return value === 1 && word === "at least" ? "must list at least one" : `must list ${word} ${value}`;
    default:
      return fallback;
  }
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/** What was given, briefly: `the string "90"`, `the number -5`, `an object`. */
function given(input: unknown): string {
  if (input === undefined) return "missing";
  if (input === null) return "null";
  if (Array.isArray(input)) return "a list";
  if (typeof input === "object") return "an object";
  const text = JSON.stringify(input);
  return `the ${typeof input} ${text.length > 40 ? `${text.slice(0, 40)}…` : text}`;
}

export function jsonPath(path: readonly PropertyKey[]): string {
  let out = "$";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else if (typeof key === "string" && /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key)) out += `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

interface SchemaDef {
  readonly type: string;
  readonly shape?: Record<string, z.ZodMiniType>;
  readonly element?: z.ZodMiniType;
  readonly valueType?: z.ZodMiniType;
  readonly innerType?: z.ZodMiniType;
  readonly options?: readonly z.ZodMiniType[];
}

const defOf = (schema: z.ZodMiniType) => (schema as unknown as { _zod: { def: SchemaDef } })._zod.def;

/** The fields the object at `path` of `schema` takes (for "did you mean"). */
function knownKeys(schema: z.ZodMiniType, path: readonly PropertyKey[]): string[] {
  const objects = schemasAt(schema, path).map(defOf).filter((def) => def.shape !== undefined);
  return [...new Set(objects.flatMap((def) => Object.keys(def.shape ?? {})))];
}

/** Every schema that may apply at `path` (unions can offer several). */
function schemasAt(schema: z.ZodMiniType, path: readonly PropertyKey[]): z.ZodMiniType[] {
  const def = defOf(schema);
  if (def.innerType) return schemasAt(def.innerType, path);
  if (def.options) return def.options.flatMap((option) => schemasAt(option, path));
  if (path.length === 0) return [schema];
  const [head, ...rest] = path;
  if (def.shape) {
    const child = def.shape[String(head)];
    return child ? schemasAt(child, rest) : [];
  }
  if (def.element) return schemasAt(def.element, rest);
  if (def.valueType) return schemasAt(def.valueType, rest);
  return [];
}
