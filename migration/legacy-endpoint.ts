/**
 * The legacy surface: every endpoint the legacy app declares, in a framework-neutral form,
 * read from what `bin/rails routes` prints (parse-rails-routes.ts) or from an OpenAPI
 * document (parse-openapi.ts). Stored beside the route table, versioned like it
 * (store/legacy-surface-store.ts), and joined with traffic and routes into the migration map
 * (migration-map.ts).
 */
export interface LegacyEndpoint {
  /** Upper-case HTTP method, or `*` for every method (a mounted Rack app, `match` without `via`). */
  readonly method: string;
  /**
   * In cutover's pattern syntax (routes/path-pattern.ts): literal segments, `:param`, a
   * trailing `*`. Rails' `(.:format)` is dropped (see `format`), other optional groups give
   * one endpoint per form, a glob `*path` becomes `*`.
   */
  readonly pattern: string;
  /** The path as the source wrote it: `/users/:id(.:format)`, `/users/{id}`. */
  readonly source: string;
  /** `users#show`, `redirect(301, /pricing)`, `Blog::Engine`, an OpenAPI operationId; "" when none. */
  readonly action: string;
  readonly kind: EndpointKind;
  /** The route's name (Rails' prefix, `user_orders`), when it has one. */
  readonly name?: string;
  /** Constraints as printed (`{:id=>/\d+/}`). */
  readonly constraints?: string;
  /** The mounted engine whose route this is (`Blog::Engine`), its mount point already prefixed. */
  readonly engine?: string;
  /** The source allowed a format extension (`(.:format)`): `/users/1.json` is this endpoint too. */
  readonly format?: boolean;
}

/** `action`: a controller action or operation; `redirect`; `mount`: a Rack app or engine taking the whole prefix; `app`: another Rack endpoint (a Proc). */
export type EndpointKind = "action" | "redirect" | "mount" | "app";

/** What one import read: the endpoints, and where they came from. */
export interface LegacySurface {
  /** `rails`, `rails-expanded` or `openapi`. */
  readonly format: SurfaceFormat;
  readonly endpoints: readonly LegacyEndpoint[];
}

export type SurfaceFormat = "rails" | "rails-expanded" | "openapi";
export const SURFACE_FORMATS: readonly SurfaceFormat[] = ["rails", "rails-expanded", "openapi"];

/** What names an endpoint across versions: its method and pattern (`GET /users/:id`). */
export function endpointKey(endpoint: Pick<LegacyEndpoint, "method" | "pattern">): string {
  return `${endpoint.method} ${endpoint.pattern}`;
}

/** A line of the source that could not be read, and why. */
export interface SurfaceProblem {
  readonly line: number;
  readonly text: string;
  readonly message: string;
}
