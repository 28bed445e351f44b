/**
 * The methods cutover may send twice (a fallback) or copy (a shadow) without being asked:
 * the safe ones of RFC 9110 §9.2.1. PUT and DELETE are idempotent on paper, but a legacy app
 * is not always as good as its paper.
 */
export const SAFE_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS"]);

/** The methods a route's `dualWrite` copies when it names none: the writes. */
export const DEFAULT_DUAL_WRITE_METHODS: readonly string[] = ["POST", "PUT", "PATCH", "DELETE"];
