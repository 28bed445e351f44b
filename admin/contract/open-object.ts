import * as z from "zod/mini";

/**
 * An object in an answer of the admin API: the fields named are checked and typed; any
 * other field is kept as it came, untyped, and never refused, so that an answer from a newer
 * cutover still reads, and `--json` passes on what this release does not know. (zod's
 * `looseObject` does just that, but its type also says "any other key maps to unknown",
 * which an interface such as the store's `VersionInfo` cannot be given to: the type here is
 * the named fields only. It is the schema's type that is narrowed, never an answer's.)
 */
export function openObject<const Shape extends z.core.$ZodLooseShape>(shape: Shape): z.ZodMiniObject<Shape, z.core.$strip> {
  return z.looseObject(shape) as unknown as z.ZodMiniObject<Shape, z.core.$strip>;
}

/** A list in an answer: read-only to whoever reads it, so a handler may answer with its own read-only arrays. */
export function list<const Item extends z.core.SomeType>(item: Item) {
  return z.readonly(z.array(item));
}
