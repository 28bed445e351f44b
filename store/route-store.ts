import type { Result } from "../lib/result.ts";
import type { ValidatedRouteTable } from "../routes/validate.ts";

/** What changed a route table. */
export type ChangeAction = "apply" | "weights" | "rollback" | "route-rollback" | "shadow-reset" | "rollout" | "decommission";

/** Who made a version, when, why, and from which version. */
export interface VersionInfo {
  readonly version: number;
  /** The version that was active when this one was made (0 for the first). */
  readonly parent: number;
  readonly createdAt: string;
  readonly author: string;
  readonly reason: string;
  readonly action: ChangeAction;
  /** For a rollback: the version whose table was restored. */
  readonly restoredFrom?: number;
  readonly routeCount: number;
  readonly activatedAt?: string;
  /**
   * When isolates start serving it (ISO time): one propagation bound after it was written, so
   * that every isolate switches at the same moment and no user flaps between sides while
   * isolates catch up. Absent: at once (a rollback, the first table).
   */
  readonly effectiveAt?: string;
}

/** A version of the chain that leads to the active one (see `ActiveTable.ancestors`). */
export interface ChainedVersion {
  readonly version: number;
  readonly table: ValidatedRouteTable;
  /** When it takes effect (ISO time); absent: it took effect when it was activated (a rollback, the first table). */
  readonly effectiveAt?: string;
}

/**
 * How many versions `ActiveTable.ancestors` holds at most, and how many routes their tables
 * hold together (about 2 MB of memory per 10 000 routes): the propagation bound is a few
 * seconds and changes come a few a second at most, so a chain is a handful of versions.
 * Beyond either limit the oldest ancestors are not read (see `ancestors`).
 */
export const MAX_CHAIN_VERSIONS = 64;
export const MAX_CHAIN_ROUTES = 200_000;

/** The route table that serves traffic, with the version that identifies it everywhere. */
export interface ActiveTable {
  readonly version: number;
  /** Validated, or read back from a version cutover validated before storing it. */
  readonly table: ValidatedRouteTable;
  /** Absent for a static source, which has no history. */
  readonly info?: VersionInfo;
  /**
   * While `info.effectiveAt` is still to come: the versions before it (by `parent`), newest
   * first, each still waiting for its own `effectiveAt`, down to and including the newest one
   * already in effect — the one to serve now. Each isolate serves the newest of the chain whose
   * moment has passed, so that all of them switch together whatever the rate of changes. A
   * version without `effectiveAt` (a rollback) is in effect and ends the chain: what was
   * written before it never serves again. Absent when the active version is in effect already.
   *
   * At most MAX_CHAIN_VERSIONS versions and MAX_CHAIN_ROUTES routes: beyond them (changes far
   * faster than the bound allows) the chain stops short of the version in effect, and an
   * isolate that did not read the versions in between keeps serving its own table until the
   * oldest version read takes effect (a cold one serves that oldest version at once).
   */
  readonly ancestors?: readonly ChainedVersion[];
  /** Ids of tester overrides revoked and not yet expired (read with the active pointer). */
  readonly revokedOverrides?: readonly string[];
}

/** What a publish did: the version now active, and what could not be recorded about it. */
export interface Published extends ActiveTable {
  /** The table was the active one already: no version was made. */
  readonly unchanged?: boolean;
  /** Bookkeeping that failed though the version is live (the audit entry, its activation time). */
  readonly warnings?: readonly string[];
}

/** A version number that never served, and why (versions only grow; losing writers leave gaps). */
export interface SkippedVersion {
  readonly version: number;
  readonly reason: string;
}

/**
 * Where the Worker reads its route table from. Implementations: the static source (a
 * Worker variable) and the DynamoDB store. `getActive` rejects when the store cannot be
 * read (NoRouteTableError when it holds no table yet, InvalidRouteTableError when the
 * stored table fails validation): the config cache then keeps the last known good table.
 */
export interface RouteTableSource {
  /** `fresh`: past any edge cache, from the store itself. */
  getActive(options?: { readonly fresh?: boolean }): Promise<ActiveTable>;
}

/** What an audit entry records: a table change, or another operator action (tokens, overrides, rollouts). */
export type AuditAction = ChangeAction | "legacy-import" | "prices-set" | "token-create" | "token-revoke" | "override" | "override-revoke" | "shadow-reset" | `rollout-${string}`;

/** One entry of the audit log, as written. */
export interface AuditRecord {
  readonly actor: string;
  readonly action: AuditAction;
  readonly reason: string;
  /** For a table change: the versions before and after. */
  readonly before?: number;
  readonly after?: number;
  /** For a weights change: the route and its weights before and after; for others, what was done. */
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface AuditEntry extends AuditRecord {
  readonly id: string;
  readonly at: string;
}

export interface PublishRequest {
  /**
   * Validated (routes/validate.ts), so the store stamps every version it writes with
   * TABLE_SCHEMA_VERSION, and readers give it a structural check only. A table that did not
   * pass validation cannot be published; tests that need a damaged stored table write its
   * items themselves (test/support/write-unchecked-version.ts), as a hand edit would.
   */
  readonly table: ValidatedRouteTable;
  /** The version the writer based its change on (0: the store is empty). */
  readonly expectedVersion: number;
  readonly author: string;
  readonly reason: string;
  readonly action: ChangeAction;
  readonly restoredFrom?: number;
  readonly details?: Readonly<Record<string, unknown>>;
  /** Milliseconds from now until isolates serve it (the propagation bound); 0 or absent: at once. */
  readonly delayMs?: number;
}

/** The active version moved on since the writer read it: nothing was activated. */
export interface StaleVersion {
  readonly reason: "stale_version";
  readonly activeVersion: number;
}

/** A store that keeps every version and an audit log: the control plane's. */
export interface RouteTableStore extends RouteTableSource {
  /** Stores `table` as a new immutable version and activates it, if `expectedVersion` is still active. */
  publish(request: PublishRequest): Promise<Result<Published, StaleVersion>>;
  /** The active version number, 0 when the store holds no table yet. */
  activeVersion(): Promise<number>;
  /** Who made the active version and from which one, without reading its table. */
  activeInfo(): Promise<VersionInfo | undefined>;
  /** A version that was active at some point (or the parent of the active one), with its table. */
  getVersion(version: number): Promise<ActiveTable | undefined>;
  /** Versions that were active at some point, newest first, and the numbers between them that never were. */
  listVersions(options: { limit: number; before?: number }): Promise<{ readonly versions: VersionInfo[]; readonly skipped: SkippedVersion[] }>;
  /** Newest first. */
  listAudit(options: { limit: number }): Promise<AuditEntry[]>;
  /** Records an operator action that is not a table change (a token, an override, a rollout step). */
  recordAudit(record: AuditRecord): Promise<void>;
  /**
   * Adds a tester override's id to the deny-list every isolate reads with the active table,
   * until `until` (epoch seconds: after it no token of that id is valid anyway). Rejects with
   * NoRouteTableError while the store holds no table.
   */
  revokeOverride(id: string, until: number): Promise<void>;
}
