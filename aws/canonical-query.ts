/**
 * A query string in the form it is signed with (SigV4): each name and value decoded as a
 * URL form would decode it (`+` is a space) and re-encoded with RFC 3986 (`%20`, `%2B`,
 * upper-case hex, nothing left ambiguous). Parameters keep their order and repeats; a
 * parameter without a name is dropped, as the signature cannot cover it; for S3, whose signer
 * keeps one value per name, so are repeated values.
 *
 * Signed backends receive this form, so the signature is computed over exactly what is sent.
 */
export function canonicalQuery(search: string, options: { firstValueOnly?: boolean } = {}): string {
  if (search === "" || search === "?") return "";
  const parts: string[] = [];
  const seen = new Set<string>();
  for (const [name, value] of new URLSearchParams(search)) {
    if (name === "" || (options.firstValueOnly && seen.has(name))) continue;
    seen.add(name);
    parts.push(`${encodeRfc3986(name)}=${encodeRfc3986(value)}`);
  }
  return parts.length === 0 ? "" : `?${parts.join("&")}`;
}

function encodeRfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}
