/** A request cutover answers itself instead of sending it: the status and the page's words. */
export interface Refusal {
  readonly status: number;
  /** Stable, for scripts (`x-cutover-error` and the JSON error body). */
  readonly code: string;
  readonly title: string;
  readonly detail: string;
  readonly headers?: Readonly<Record<string, string>>;
}
