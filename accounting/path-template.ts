import { templateSegment } from "./template-segment.ts";

/**
 * A request path as a template, so that unrouted (legacy) traffic groups into endpoints:
 * segments that are ids, dates, tokens, e-mail addresses, phone numbers or free text become
 * parameters (template-segment.ts says which), and a hash inside a file name `:hash`:
 * `/users/123/orders/9f8e7d6c5b4a` → `/users/:id/orders/:id`.
 *
 * A template is a DynamoDB sort key (at most 1 024 bytes) and is built per unrouted request,
 * so it is bounded and costs time linear in the path: at most MAX_SEGMENTS segments are kept
 * and at most MAX_TEMPLATE_BYTES bytes; `/*` stands for the rest of a path cut either way.
 */
export const MAX_SEGMENTS = 8;
/** Bytes of a template at most, `/*` included: well under DynamoDB's 1 024-byte sort key. */
export const MAX_TEMPLATE_BYTES = 512;
const REST = "/*";

export function pathTemplate(path: string): string {
  // Every segment's template is printable ASCII (template-segment.ts): length is bytes.
  let template = "";
  let start = 1;
  for (let kept = 0; kept < MAX_SEGMENTS; kept++) {
    const end = path.indexOf("/", start);
    const segment = `/${templateSegment(path.slice(start, end === -1 ? path.length : end))}`;
    // A segment that is not the last keeps room for the marker after it.
    const room = end === -1 ? MAX_TEMPLATE_BYTES : MAX_TEMPLATE_BYTES - REST.length;
    if (template.length + segment.length > room) return template + REST;
    template += segment;
    if (end === -1) return template;
    start = end + 1;
  }
  // MAX_SEGMENTS kept and the path goes on past the last one's `/`.
  return template + REST;
}

/** A concrete value for each parameter, one a route matcher would take for it. */
const SAMPLES: ReadonlyMap<string, string> = new Map([
  [":id", "1"],
  [":date", "2026-01-01"],
  [":email", "someone@example.com"],
  [":phone", "+15555550100"],
  [":ip", "192.0.2.1"],
  [":text", "some%20text"],
  [":token", "Zx8Qm2LpW7rT4vYk9sNb"],
]);

/** The parameters a template may hold (`:id`, `:email`, …), without the colon. */
export const TEMPLATE_PARAMETERS: readonly string[] = [...SAMPLES.keys()].map((name) => name.slice(1));

/** A concrete path standing for a template, to ask a route matcher whether the template is routed. */
export function samplePath(template: string): string {
  return template
    .split("/")
    .map((segment, index, segments) => {
      if (segment === "*" && index === segments.length - 1) return "x";
      return SAMPLES.get(segment) ?? segment.replace(".:hash.", ".0123abcd.");
    })
    .join("/");
}
