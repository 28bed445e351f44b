import { formatIssues, type ValidationIssue } from "../routes/validate.ts";

/** A stored or configured route table that fails validation: never served. */
export class InvalidRouteTableError extends Error {
  override readonly name = "InvalidRouteTableError";
  readonly source: string;
  readonly issues: readonly ValidationIssue[];
  constructor(source: string, issues: readonly ValidationIssue[]) {
    super(`Route table from ${source} is invalid:\n${formatIssues(issues)}`);
    this.source = source;
    this.issues = issues;
  }
}
