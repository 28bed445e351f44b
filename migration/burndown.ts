import type { CompiledTable } from "../routes/compile.ts";
import { endpointCoverage } from "./endpoint-coverage.ts";
import type { LegacyEndpoint } from "./legacy-endpoint.ts";
import { ROUTE_STAGES, type RouteStage } from "./route-stage.ts";

/**
 * The legacy surface's burndown: per route-table version, how many of the legacy app's
 * endpoints stood at each stage of their migration (legacy, dual-write, shadow, split, read-through, new). An endpoint
 * is at the stage of the route that covers it in that version (endpoint-coverage.ts, as the
 * migration map decides); one no route covers is served by the default backend: `legacy`
 * (counted in `unrouted` too). Pure: the caller reads the surface and the versions.
 */
export type BurndownStage = RouteStage["stage"];

/** From not started to done: the order the chart stacks them in. */
export const BURNDOWN_STAGES: readonly BurndownStage[] = ROUTE_STAGES;

/** One table version: when it began serving, and its table compiled. */
export interface BurndownVersion {
  readonly at: string;
  readonly table: CompiledTable;
}

export interface BurndownPoint {
  readonly at: string;
  readonly version: number;
  /** Endpoints per stage; every stage present, the sum is the surface's size. */
  readonly counts: Readonly<Record<BurndownStage, number>>;
  /** Of `counts.legacy`, those no route covered. */
  readonly unrouted: number;
}

/** One point per version, in the order given (oldest first). */
export function legacyBurndown(endpoints: readonly LegacyEndpoint[], versions: readonly BurndownVersion[]): BurndownPoint[] {
  return versions.map(({ at, table }) => {
    const counts = Object.fromEntries(BURNDOWN_STAGES.map((stage) => [stage, 0])) as Record<BurndownStage, number>;
    let unrouted = 0;
    for (const endpoint of endpoints) {
      const coverage = endpointCoverage(endpoint, table);
      if (coverage === undefined) unrouted++;
      counts[coverage?.stage.stage ?? "legacy"]++;
    }
    return { at, version: table.version, counts, unrouted };
  });
}

/** A version as the store lists it (store/route-store.ts `VersionInfo`). */
export interface ListedVersion {
  readonly version: number;
  readonly createdAt: string;
  /** When isolates started serving it; absent: when it was written. */
  readonly effectiveAt?: string | undefined;
}

/**
 * Which versions a burndown over the window since `since` (epoch ms) shows, oldest first, each
 * with the time it began serving: those that did within the window (the `cap` newest), and —
 * unless the cap cut the window short — the one serving when the window began, at the
 * window's start, so that the line starts there. `listed` is newest first, as the store lists
 * versions, and holds at least one version more than `cap` when there are that many.
 */
export function burndownVersions(listed: readonly ListedVersion[], since: number, cap: number): { readonly version: number; readonly at: string }[] {
  const servedAt = (info: ListedVersion) => info.effectiveAt ?? info.createdAt;
  const inWindow = listed.filter((info) => Date.parse(servedAt(info)) >= since).slice(0, cap);
  const picked = inWindow.map((info) => ({ version: info.version, at: servedAt(info) }));
  const before = listed.find((info) => Date.parse(servedAt(info)) < since);
  if (picked.length < cap && before !== undefined) picked.push({ version: before.version, at: new Date(since).toISOString() });
  return picked.reverse();
}
