import * as z from "zod/mini";
import { LegacyEndpointsSchema } from "../../migration/endpoint-schema.ts";
import { list, openObject } from "./open-object.ts";
import { ReasonSchema } from "./reason.ts";

const format = z.enum(["rails", "rails-expanded", "openapi"]);

/** POST /legacy: an import of the legacy app's endpoints, as `cutover legacy import` read them from a file (migration/read-legacy-surface.ts). */
export const ImportLegacyBody = z.strictObject({
  endpoints: LegacyEndpointsSchema,
  format,
  /** The file's name, for the history. */
  sourceName: z.optional(z.string().check(z.maxLength(500))),
  reason: ReasonSchema,
  /** Refuse (412) unless this is still the newest import; 0: none yet. */
  expectedVersion: z.optional(z.int().check(z.gte(0))),
});
export type ImportLegacyBody = z.input<typeof ImportLegacyBody>;

/** One import (store/legacy-surface-store.ts `SurfaceInfo`). */
export const SurfaceInfo = openObject({
  version: z.int(),
  parent: z.int(),
  createdAt: z.string(),
  author: z.string(),
  reason: z.string(),
  format: z.string(),
  sourceName: z.optional(z.string()),
  endpointCount: z.int(),
});

/** One endpoint in an answer (migration/legacy-endpoint.ts `LegacyEndpoint`). */
export const LegacyEndpointAnswer = openObject({
  method: z.string(),
  pattern: z.string(),
  source: z.string(),
  action: z.string(),
  kind: z.string(),
  name: z.optional(z.string()),
  constraints: z.optional(z.string()),
  engine: z.optional(z.string()),
  format: z.optional(z.boolean()),
});

/** POST /legacy. */
export const LegacyImportAnswer = openObject({
  info: SurfaceInfo,
  /** The endpoints were the newest import's already: no import was made. */
  unchanged: z.boolean(),
  added: z.int(),
  removed: z.int(),
  changed: z.int(),
  warnings: z.optional(list(z.string())),
});
export type LegacyImportAnswer = z.infer<typeof LegacyImportAnswer>;

/** GET /legacy[?version=N]: one import with its endpoints (default: the newest). */
export const LegacySurfaceAnswer = openObject({ info: SurfaceInfo, endpoints: list(LegacyEndpointAnswer) });
export type LegacySurfaceAnswer = z.infer<typeof LegacySurfaceAnswer>;

/** GET /legacy/imports: newest first. */
export const LegacyImportsAnswer = openObject({ imports: list(SurfaceInfo) });
export type LegacyImportsAnswer = z.infer<typeof LegacyImportsAnswer>;

/** GET /legacy/diff?from=A&to=B (migration/diff-surfaces.ts `SurfaceChange`). */
export const LegacyDiffAnswer = openObject({
  from: z.int(),
  to: z.int(),
  changes: list(
    openObject({
      /** endpoint-added, endpoint-removed, endpoint-changed. */
      kind: z.string(),
      /** `GET /users/:id`. */
      key: z.string(),
      endpoint: z.optional(LegacyEndpointAnswer),
      fields: z.optional(list(openObject({ field: z.string(), before: z.unknown(), after: z.unknown() }))),
    }),
  ),
});
export type LegacyDiffAnswer = z.infer<typeof LegacyDiffAnswer>;

/** One endpoint of the migration map (migration/migration-map.ts), flattened. */
export const MappedEndpointAnswer = z.extend(LegacyEndpointAnswer, {
  /** covered (by `route`, at `stage`), seen (unrouted traffic reached it), unseen (none for `days`). */
  state: z.enum(["covered", "seen", "unseen"]),
  route: z.optional(z.string()),
  /** legacy, shadow, split, new. */
  stage: z.optional(z.string()),
  /** `split 10 % → accounts`. */
  stageLabel: z.optional(z.string()),
  /** Percent of the route's requests on new backends. */
  percent: z.optional(z.number()),
  requests: z.optional(z.number()),
  lastSeen: z.optional(z.nullable(z.string())),
  days: z.optional(z.number()),
  templates: z.optional(list(z.string())),
});
export type MappedEndpointAnswer = z.infer<typeof MappedEndpointAnswer>;

/** GET /legacy/map?since=14d: the legacy surface joined with routes and traffic. */
export const LegacyMapAnswer = openObject({
  since: z.string(),
  windowDays: z.number(),
  surfaceVersion: z.int(),
  tableVersion: z.nullable(z.int()),
  summary: openObject({ endpoints: z.int(), covered: z.int(), seen: z.int(), unseen: z.int(), unexplained: z.int(), byStage: z.record(z.string(), z.int()) }),
  endpoints: list(MappedEndpointAnswer),
  /** Unrouted traffic no endpoint explains, for the methods listed. */
  unexplained: list(openObject({ template: z.string(), methods: list(z.string()), count: z.number(), lastSeen: z.string(), coveredBy: z.nullable(z.string()) })),
});
export type LegacyMapAnswer = z.infer<typeof LegacyMapAnswer>;

/**
 * GET /legacy/burndown?since=30d (migration/burndown.ts): the newest import's endpoints counted
 * per stage under each table version that began serving in the window (the 100 newest), oldest
 * first, the first at the window's start (the version serving then).
 */
export const LegacyBurndownAnswer = openObject({
  since: z.string(),
  /** When the answer was made: the last point's stage holds until then. */
  until: z.string(),
  surfaceVersion: z.int(),
  /** A route's stages (migration/route-stage.ts), from not started (legacy) to done (new). */
  stages: list(z.string()),
  points: list(
    openObject({
      /** When the version began serving (the window's start, for the one serving then). */
      at: z.string(),
      version: z.int(),
      /** Endpoints per stage; they add up to the surface's size. */
      counts: z.record(z.string(), z.int()),
      /** Of `counts.legacy`, the endpoints no route covered. */
      unrouted: z.int(),
    }),
  ),
});
export type LegacyBurndownAnswer = z.infer<typeof LegacyBurndownAnswer>;
