/**
 * One way a candidate response differs from the control response, as plain data (Diffy's
 * MissingField, TypeDifference, …). `field` names what differs: `status`, `header:<name>`,
 * `body` (a non-JSON body) or `body:<JSON path>`.
 */
export type DifferenceKind =
  | "status"
  | "missing" // in control, not in candidate
  | "extra" // in candidate, not in control
  | "type"
  | "value"
  | "length" // arrays of different lengths
  | "order" // the same elements in another order
  | "bytes" // a non-JSON body
  | "truncated"; // the comparison stopped at its bounds (compare/diff-json.ts)

export interface Difference {
  readonly field: string;
  readonly kind: DifferenceKind;
  readonly control?: unknown;
  readonly candidate?: unknown;
}
