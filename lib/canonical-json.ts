/** JSON with object keys sorted, so that equal values give equal strings whatever their key order. */
export function canonicalJson(value: unknown): string {
  return (
    JSON.stringify(value, (_key, inner: unknown) =>
      inner !== null && typeof inner === "object" && !Array.isArray(inner)
        ? Object.fromEntries(
            Object.keys(inner)
              .sort()
              .map((key) => [key, (inner as Record<string, unknown>)[key]]),
          )
        : inner,
    ) ?? "undefined"
  );
}
