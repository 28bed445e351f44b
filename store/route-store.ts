import type { Result } from "../lib/result.ts";
import type { RouteTable } from "../routes/schema.ts";

/** What changed a route table. */
export type ChangeAction = "apply" | "weights" | "rollback";

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
}

/** The route table that serves traffic, with the version that identifies it everywhere. */
export interface ActiveTable {
  readonly version: number;
  readonly table: RouteTable;
  /** Absent for a static source, which has no history. */
  readonly info?: VersionInfo;
  /** After a publish: what could not be recorded (the audit entry), though the version is live. */
  readonly recordingProblems?: readonly string[];
}

/**
 * Where the Worker reads its route table from. Implementations: the static source (a
 * Worker variable) and the DynamoDB store. `getActive` rejects when the store cannot be
 * read (NoRouteTableError when it holds no table yet, InvalidRouteTableError when the
 * stored table fails validation): the config cache then keeps the last known good table.
 */
export interface RouteTableSource {
  getActive(): Promise<ActiveTable>;
}

export interface AuditEntry {
  readonly id: string;
  readonly at: string;
  readonly actor: string;
  readonly action: ChangeAction;
  readonly reason: string;
  readonly before: number;
  readonly after: number;
  /** For a weights change: the route and its weights before and after. */
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface PublishRequest {
  readonly table: RouteTable;
  /** The version the writer based its change on (0: the store is empty). */
  readonly expectedVersion: number;
  readonly author: string;
  readonly reason: string;
  readonly action: ChangeAction;
  readonly restoredFrom?: number;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** The active version moved on since the writer read it: nothing was activated. */
export interface StaleVersion {
  readonly reason: "stale_version";
  readonly activeVersion: number;
}

/** A store that keeps every version and an audit log: the control plane's. */
export interface RouteTableStore extends RouteTableSource {
  /** Stores `table` as a new immutable version and activates it, if `expectedVersion` is still active. */
  publish(request: PublishRequest): Promise<Result<ActiveTable, StaleVersion>>;
  /** The active version number, 0 when the store holds no table yet. */
  activeVersion(): Promise<number>;
  /** Who made the active version and from which one, without reading its table. */
  activeInfo(): Promise<VersionInfo | undefined>;
  /** A version that was active at some point, with its table. */
  getVersion(version: number): Promise<ActiveTable | undefined>;
  /** Versions that were active at some point, newest first. */
  listVersions(options: { limit: number; before?: number }): Promise<VersionInfo[]>;
  /** Newest first. */
  listAudit(options: { limit: number }): Promise<AuditEntry[]>;
}
