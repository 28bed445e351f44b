/**
 * The path that is both matched and forwarded, so that no request can match one route and
 * reach another path at the origin (DESIGN.md, "Matching").
 *
 * Input is a URL pathname as the WHATWG URL parser leaves it (backslashes already turned
 * into slashes, `.`/`..` and `%2e` segments already resolved). On top of that, following
 * RFC 3986 §6.2.2: percent-encoded unreserved characters are decoded (`%41` → `A`), other
 * percent-encodings get upper-case hex digits (`%2f` → `%2F`), and dot segments that the
 * decoding produced are removed (§5.2.4). Duplicate slashes stay: the origin sees them too.
 */
export function normalizePath(pathname: string): string {
  // Fast path: nothing to decode and no dot segment.
  if (!pathname.includes("%") && !hasDotSegment(pathname)) return pathname;
  const decoded = decodeUnreserved(pathname);
  return hasDotSegment(decoded) ? removeDotSegments(decoded) : decoded;
}

function decodeUnreserved(path: string): string {
  let out = "";
  let last = 0;
  for (let i = path.indexOf("%"); i !== -1; i = path.indexOf("%", i + 1)) {
    const hex = path.slice(i + 1, i + 3);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) continue;
    const code = Number.parseInt(hex, 16);
    const replacement = isUnreserved(code) ? String.fromCharCode(code) : `%${hex.toUpperCase()}`;
    out += path.slice(last, i) + replacement;
    last = i + 3;
    i += 2;
  }
  return out + path.slice(last);
}

/** RFC 3986 §2.3: ALPHA / DIGIT / "-" / "." / "_" / "~" */
function isUnreserved(code: number): boolean {
  return (
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x61 && code <= 0x7a) ||
    (code >= 0x30 && code <= 0x39) ||
    code === 0x2d ||
    code === 0x2e ||
    code === 0x5f ||
    code === 0x7e
  );
}

function hasDotSegment(path: string): boolean {
  return /\/\.\.?(\/|$)/.test(path);
}

/** RFC 3986 §5.2.4 for an absolute path; empty segments are kept. */
function removeDotSegments(path: string): string {
  const input = path.split("/");
  const output: string[] = [];
  for (let i = 1; i < input.length; i++) {
    const segment = input[i] as string;
    const isLast = i === input.length - 1;
    if (segment === ".") {
      if (isLast) output.push("");
    } else if (segment === "..") {
      output.pop();
      if (isLast) output.push("");
    } else {
      output.push(segment);
    }
  }
  return `/${output.join("/")}`;
}
