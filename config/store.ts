import type { RouteTable } from "../routes/schema.ts";

/** The route table that serves traffic, with the version that identifies it everywhere. */
export interface ActiveTable {
  readonly version: number;
  readonly table: RouteTable;
}

/**
 * Where the Worker reads its route table from. Implementations: the static source (a
 * Worker variable) and the DynamoDB store. `getActive` rejects when the store cannot be
 * read or holds a table that fails validation: the config cache then keeps serving the
 * last known good table.
 */
export interface RouteTableSource {
  getActive(): Promise<ActiveTable>;
}
