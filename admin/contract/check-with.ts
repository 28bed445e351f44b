import type * as z from "zod/mini";
import { err, ok, type Result } from "../../lib/result.ts";
import { describeIssues, type ValidationIssue } from "../../routes/describe-issues.ts";

/**
 * `input` checked by `schema`: its value, or every field that does not fit as a sentence that
 * names it (`$.version: must be a number, not the string "7"`). For what crosses a process
 * both ways: a request body the API reads, an answer the CLI or the dashboard reads.
 */
export function checkWith<S extends z.ZodMiniType>(schema: S, input: unknown): Result<z.infer<S>, readonly ValidationIssue[]> {
  const parsed = schema.safeParse(input, { reportInput: true });
  return parsed.success ? ok(parsed.data) : err(describeIssues(schema, parsed.error.issues));
}

/** `$.a: why; $.b: why`: issues on one line. */
export function issuesText(issues: readonly ValidationIssue[]): string {
  return issues.map((issue) => `${issue.path}: ${issue.message}`).join("; ");
}

/**
 * What the CLI and the dashboard say of an answer that does not fit the contract (error code
 * `bad_answer`): which request, which fields, and a hint before the colon (the CLI prints
 * the issues one a line after it).
 */
export function badAnswerMessage(request: string, issues: readonly ValidationIssue[], hint: string): string {
  return `The answer to ${request} does not fit the admin API's contract (${hint}): ${issuesText(issues)}`;
}
