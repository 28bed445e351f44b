import { TABLE_SCHEMA_VERSION } from "../routes/schema.ts";
import { acceptStoredTable, validateRouteTable, type ValidatedRouteTable } from "../routes/validate.ts";
import { InvalidRouteTableError } from "./invalid-route-table-error.ts";
import { sha256Hex } from "../lib/sha256.ts";
import { acceptStoredLines, tableLines } from "../routes/table-lines.ts";

/**
 * A route table as stored: gzip-compressed JSON with its SHA-256, so that a 10 000-route
 * table fits in a few DynamoDB items and a damaged one is detected, never served. The JSON is
 * laid out one route per line (routes/table-lines.ts), which a new version's readers use to
 * leave routes unparsed until a request matches them.
 */
export async function encodeTable(table: ValidatedRouteTable): Promise<{ bytes: Uint8Array; sha256: string }> {
  const json = new TextEncoder().encode(tableLines(table));
  const bytes = await transform(json, new CompressionStream("gzip"));
  return { bytes, sha256: await sha256Hex(bytes) };
}

/**
 * Decodes and validates; throws InvalidRouteTableError for anything that is not a valid table.
 * `schema`: the TABLE_SCHEMA_VERSION the table was validated under before it was stored; under
 * the current one, its checksum and structure are checked, not every rule again, and in the
 * one-route-per-line layout each route's structure when it is first used.
 */
export async function decodeTable(bytes: Uint8Array, sha256: string, source: string, schema?: number): Promise<ValidatedRouteTable> {
  if ((await sha256Hex(bytes)) !== sha256) {
    throw new InvalidRouteTableError(source, [{ path: "$", message: "stored bytes do not match their SHA-256 (damaged item)" }]);
  }
  let input: unknown;
  try {
    const text = new TextDecoder().decode(await transform(bytes, new DecompressionStream("gzip")));
    const lines = schema === TABLE_SCHEMA_VERSION ? acceptStoredLines(text, (issues) => new InvalidRouteTableError(source, issues)) : undefined;
    if (lines !== undefined) {
      if (!lines.ok) throw new InvalidRouteTableError(source, lines.error);
      return lines.value;
    }
    input = JSON.parse(text);
  } catch (error) {
    if (error instanceof InvalidRouteTableError) throw error;
    throw new InvalidRouteTableError(source, [{ path: "$", message: `not gzip-compressed JSON (${String(error)})` }]);
  }
  const result = schema === TABLE_SCHEMA_VERSION ? acceptStoredTable(input) : validateRouteTable(input);
  if (!result.ok) throw new InvalidRouteTableError(source, result.error);
  return result.value;
}

async function transform(input: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const writer = stream.writable.getWriter();
  void writer.write(input as Uint8Array<ArrayBuffer>).then(() => writer.close(), () => {});
  return new Uint8Array(await new Response(stream.readable).arrayBuffer());
}
