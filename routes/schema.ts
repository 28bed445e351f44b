import { z } from "zod";

/**
 * The route table contract (DESIGN.md "The route table"). This schema checks the shape of
 * each field; `validateRouteTable` adds the checks that span fields (backend references,
 * weight sums, pattern syntax, ties).
 */

const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const ROUTE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** RFC 9110 token, which is what a method is. */
const METHOD = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_OR_COOKIE_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export const BackendNameSchema = z
  .string()
  .regex(NAME, "must start with a letter and use only letters, digits, '-' and '_' (at most 64)");

const PrefixSchema = z
  .string()
  .regex(/^\/[^?#\s]*[^/?#\s]$/, "must start with '/', not end with '/', and hold no query, fragment or space");

export const AwsIamAuthSchema = z.strictObject({
  type: z.literal("aws-iam"),
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, "must be an AWS region such as us-east-1"),
  service: z.enum(["lambda", "execute-api", "s3"]),
});

export const BackendSchema = z.strictObject({
  type: z.enum(["http", "s3"]).optional().describe("'s3' for a static bucket: GET/HEAD only, index documents for directories."),
  url: z
    .string()
    .refine(
      (value) => isOriginUrl(value),
      "must be an http(s) origin such as https://my-app.herokuapp.com (no path, query or credentials; use addPrefix for a base path)",
    ),
  /** Time to the response head; the body may stream for longer. */
  timeoutMs: z.int().min(1).max(300_000).optional().describe("Milliseconds to wait for the response head (default 30000); 504 after that."),
  stripPrefix: PrefixSchema.optional().describe("Path prefix removed before forwarding: /assets/app.js → /app.js."),
  addPrefix: PrefixSchema.optional().describe("Path prefix added before forwarding, e.g. an API Gateway stage: /prod."),
  auth: AwsIamAuthSchema.optional().describe("Sign every request with SigV4 (Lambda function URLs with AWS_IAM auth, API Gateway, private S3)."),
  indexDocument: z
    .string()
    .regex(/^[^/?#\s]+$/, "must be a file name such as index.html")
    .optional()
    .describe("For type 's3': the object served for '/' and '/dir/' (default index.html)."),
}).describe("A named origin requests can be sent to.");

export const FallbackTriggerSchema = z.enum(["error", "timeout", "5xx", "404"]);

export const FallbackSchema = z.union([
  BackendNameSchema,
  z.strictObject({
    to: BackendNameSchema,
    on: z.array(FallbackTriggerSchema).min(1).optional(),
    /**
     * Allow a retry of a non-idempotent request whose body was small enough to buffer,
     * and only on an answer from the backend (a listed status), never on a timeout or
     * a broken connection, where the first try may have been processed.
     */
    unsafeMethods: z.boolean().optional(),
  }),
]);

const BodyPathSchema = z.string().regex(/^\$(\.[A-Za-z_$][A-Za-z0-9_$-]*|\.\*|\[\d+\]|\[\*\])*$/, "must be a JSON path such as $.meta.requestId or $.items[*].id");

export const ShadowSchema = z.strictObject({
  to: BackendNameSchema,
  percent: z.number().min(0).max(100).optional().describe("Share of requests copied to the shadow backend (default 100); sticky per cohort key."),
  ignore: z
    .array(z.string().regex(/^(header:[!#$%&'*+.^_`|~0-9A-Za-z-]+|body:\$(\.[A-Za-z_$][A-Za-z0-9_$-]*|\.\*|\[\d+\]|\[\*\])*)$/, "must be 'body:$.path' or 'header:name'"))
    .optional()
    .describe("Differences that do not count: 'header:NAME' or 'body:$.path' (with [*] or .* for any index or key)."),
  unsafeMethods: z.boolean().optional().describe("Also shadow methods other than GET/HEAD/OPTIONS (they carry x-cutover-shadow: 1)."),
  maxBodyBytes: z.int().min(0).max(10_000_000).optional().describe("Largest body compared (default 1 MB); larger pairs compare status and headers only."),
  noisePercent: z.number().min(0).max(100).optional().describe("Share of shadowed requests also sent to the control backend twice, to learn noise (default 5)."),
  redact: z.array(BodyPathSchema).optional().describe("Body fields whose values never reach storage."),
});

export const StickySchema = z.union([
  z.literal("ip"),
  z.literal("none"),
  z.string().regex(new RegExp(`^(cookie|header):${HEADER_OR_COOKIE_NAME.source.slice(1, -1)}$`), "must be 'ip', 'none', 'cookie:NAME' or 'header:NAME'"),
]);

export const MatchSchema = z.strictObject({
  path: z.string().min(1).describe("Path pattern: literal segments, ':param' segments and a trailing '*'. Most specific wins."),
  methods: z.array(z.string().regex(METHOD, "must be an HTTP method such as GET")).min(1).optional(),
  host: z
    .string()
    .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/, "must be a lower-case host name without port")
    .optional(),
});

export const RouteSchema = z.strictObject({
  id: z.string().regex(ROUTE_ID, "must be 1-64 letters, digits, '.', '_' or '-'"),
  match: MatchSchema,
  to: z
    .union([BackendNameSchema, z.record(BackendNameSchema, z.number().min(0).max(100))])
    .describe("A backend name, or weights per backend summing to 100 in steps of 0.01."),
  sticky: StickySchema.optional().describe("Cohort key of a split: 'ip' (default), 'cookie:NAME', 'header:NAME' or 'none' (random per request)."),
  fallback: FallbackSchema.optional().describe("Backend to try once more when the chosen one fails and a retry is safe."),
  shadow: ShadowSchema.optional().describe("Also send a copy of requests to this backend and compare its responses."),
});

export const RouteTableSchema = z.strictObject({
  $schema: z.string().optional(),
  backends: z.record(BackendNameSchema, BackendSchema),
  default: BackendNameSchema.describe("The backend (usually legacy) for every request no route matches."),
  routes: z.array(RouteSchema).default([]),
}).describe("A cutover route table: which backend serves which path.");

export type Backend = Readonly<z.infer<typeof BackendSchema>>;
export type Route = Readonly<z.infer<typeof RouteSchema>>;
export type Shadow = Readonly<z.infer<typeof ShadowSchema>>;
export type FallbackTrigger = z.infer<typeof FallbackTriggerSchema>;
/** A route table that passed `validateRouteTable`: deeply frozen. */
export type RouteTable = Readonly<z.infer<typeof RouteTableSchema>>;

function isOriginUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return (
    (url.protocol === "http:" || url.protocol === "https:") &&
    url.search === "" &&
    url.hash === "" &&
    url.username === "" &&
    url.password === "" &&
    url.pathname === "/" &&
    !value.includes("?") &&
    !value.includes("#")
  );
}
