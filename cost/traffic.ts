/**
 * The measured traffic a cost estimate starts from, as the admin API's metrics give it
 * (GET /metrics totals and hourly series): per route and backend, attempts, requests served
 * and the mean latency to the response head.
 */
export interface BackendTraffic {
  /** Attempts at the backend: each one is work it did (an invocation, a dyno's time), fallbacks included. */
  readonly requests: number;
  /** Attempts that gave the client its answer (requests minus those that fell back elsewhere). */
  readonly served: number;
  /** Mean latency of the attempts in ms; null when none were measured (or the Worker does not report it). */
  readonly meanMs: number | null;
}

/** One route's traffic over the measured window, per backend. */
export interface RouteTraffic {
  readonly route: string;
  readonly backends: Readonly<Record<string, BackendTraffic>>;
  /** New backends the route table names for it (split, shadow, fallback), measured or not. */
  readonly candidates?: readonly string[];
}

/** One route's traffic on one backend in one hour (`at`: the hour's start, ISO). */
export interface HourTraffic extends BackendTraffic {
  readonly at: string;
  readonly route: string;
  readonly backend: string;
}

/** Answers cutover made itself: never a backend's work. */
export const CUTOVER_BACKEND = "(cutover)";
