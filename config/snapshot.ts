import { compileTable, type CompiledTable } from "../routes/compile.ts";
import type { ActiveTable } from "./store.ts";

/** What one request reads: a table version, compiled once for every request that uses it. */
export interface Snapshot extends CompiledTable {
  readonly version: number;
}

export function toSnapshot(active: ActiveTable): Snapshot {
  return { ...compileTable(active.table), version: active.version };
}
