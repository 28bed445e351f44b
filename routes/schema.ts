import * as z from "zod/mini";

/**
 * The route table contract (DESIGN.md "The route table"). This schema checks the shape of
 * each field; `validateRouteTable` adds the checks that span fields (backend references,
 * weight sums, pattern syntax, ties).
 *
 * Written with zod/mini, whose functions tree-shake: the classic zod API pulled some 440 KB
 * (every locale among it) into the Worker bundle.
 */

const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const ROUTE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** RFC 9110 token, which is what a method is. */
const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
/** `$.a[0].b`, `$.items[*]`, `$.*`, `$["a key"]`, `$..password` (at any depth): what compare/json-path.ts reads. */
const JSON_PATH = '\\$(\\.\\.[A-Za-z_$][A-Za-z0-9_$-]*|\\.[A-Za-z_$][A-Za-z0-9_$-]*|\\.\\*|\\[\\d+\\]|\\[\\*\\]|\\["(?:[^"\\\\]|\\\\.)*"\\])*';

const text = (pattern: RegExp, message: string) => z.string().check(z.regex(pattern, message));
const described = <T extends z.ZodMiniType>(schema: T, description: string) => schema.check(z.describe(description)) as T;
const optional = <T extends z.ZodMiniType>(schema: T, description?: string) =>
  description === undefined ? z.optional(schema) : described(z.optional(schema), description);
const percent = () => z.number().check(z.gte(0), z.lte(100));

/** A shadow copy's bodies stay in the isolate's memory: 4 MiB each at most (the budget bounds the sum). */
const MAX_SHADOW_BODY_BYTES = 4 * 1024 * 1024;
/** A static answer is part of the table, which every isolate holds: 32 KiB at most. */
const MAX_STATIC_BODY_CHARS = 32 * 1024;

export const BackendNameSchema = text(NAME, "must start with a letter and use only letters, digits, '-' and '_' (at most 64)");
export const RouteIdSchema = text(ROUTE_ID, "must be 1-64 letters, digits, '.', '_' or '-'");

const PrefixSchema = text(/^\/[^?#\s]*[^/?#\s]$/, "must start with '/', not end with '/', and hold no query, fragment or space");

/** A session key as the app writes it: `user_id`, Devise's `warden.user.user.key`. */
const SESSION_FIELD = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;
const SESSION_FIELD_MESSAGE = "must be a session key of letters, digits, '_', '.' and '-' (at most 64), such as user_id";

const AwsIamAuthSchema = z.strictObject({
  type: z.literal("aws-iam"),
  region: text(/^[a-z]{2}(-[a-z]+)+-\d+$/, "must be an AWS region such as us-east-1"),
  service: z.enum(["lambda", "execute-api", "s3"]),
});

const BackendSchema = described(
  z.strictObject({
    type: optional(
      z.enum(["http", "s3", "static"]),
      "'s3' for a static bucket: GET/HEAD only, index documents for directories. 'static': an answer cutover gives itself, with no origin (status, body, contentType): what the default backend becomes when legacy is switched off (cutover decommission switch-off).",
    ),
    url: optional(
      z.string().check(
        z.refine(
          (value: string) => isOriginUrl(value),
          "must be an http(s) origin such as https://my-app.herokuapp.com (no path, query or credentials; use addPrefix for a base path)",
        ),
      ),
      "The origin requests are sent to (every type but 'static').",
    ),
    status: optional(z.int().check(z.gte(200), z.lte(599)), "For type 'static': the status answered (default 410 Gone)."),
    body: optional(z.string().check(z.maxLength(MAX_STATIC_BODY_CHARS)), "For type 'static': the body answered (default: a short page saying the app is gone)."),
    contentType: optional(text(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+\/[^\r\n]{1,200}$/, "must be a media type such as text/html; charset=utf-8"), "For type 'static': the Content-Type answered (default text/html; charset=utf-8)."),
    timeoutMs: optional(
      z.int().check(z.gte(0), z.lte(300_000)),
      "Milliseconds to wait for the response head once the request body has been sent (default 30000); 504 after that. 0: no timeout of cutover's own (the platform's limit).",
    ),
    uploadIdleTimeoutMs: optional(
      z.int().check(z.gte(1_000), z.lte(300_000)),
      "Milliseconds a client may go without sending any of its request body (default 60000) before its upload is given up as stalled (408, the client's failure, not the backend's).",
    ),
    stripPrefix: optional(PrefixSchema, "Path prefix removed before forwarding: /assets/app.js → /app.js."),
    addPrefix: optional(PrefixSchema, "Path prefix added before forwarding, e.g. an API Gateway stage: /prod."),
    auth: optional(AwsIamAuthSchema, "Sign every request with SigV4 (Lambda function URLs with AWS_IAM auth, API Gateway, private S3)."),
    indexDocument: optional(text(/^[^/?#\s]+$/, "must be a file name such as index.html"), "For type 's3': the object served for '/' and '/dir/' (default index.html)."),
    query: optional(
      z.array(text(new RegExp(`^${TOKEN}$`), "must be a query parameter name")),
      "For type 's3': the query parameters sent (and signed); every other one is dropped (default: none, since S3's response-content-type, versionId, acl and list-type change what a public URL serves).",
    ),
    idleTimeoutMs: optional(
      z.int().check(z.gte(1), z.lte(300_000)),
      "Milliseconds a response body may stall between two chunks before it is cut off with an error the client sees (default: no limit, for event streams).",
    ),
    identity: optional(
      z.strictObject({
        fields: described(
          z.array(text(SESSION_FIELD, SESSION_FIELD_MESSAGE)).check(z.minLength(1), z.maxLength(16)),
          "Session fields carried as claims (user_id, warden.user.user.key: Devise's is sent as its user id).",
        ),
        ttlSeconds: optional(z.int().check(z.gte(5), z.lte(3_600)), "Lifetime of each identity token (default 60)."),
      }),
      "Send this backend the signed-in user as a short-lived signed JWT in X-Cutover-Identity (HS256 with CUTOVER_IDENTITY_SECRET, aud = this backend's name), read from the table's session cookie. Never on the table's default backend; a client's own X-Cutover-Identity never reaches any backend.",
    ),
  }),
  "A named origin requests can be sent to.",
);

const FallbackTriggerSchema = z.enum(["error", "timeout", "5xx", "404"]);

const FallbackSchema = z.union([
  BackendNameSchema,
  z.strictObject({
    to: BackendNameSchema,
    on: optional(z.array(FallbackTriggerSchema).check(z.minLength(1))),
    /**
     * Allow a retry of a non-idempotent request whose body was small enough to buffer, and
     * only on a 404 — never on a 5xx, a timeout or a broken connection, where the first try
     * may have been processed.
     */
    unsafeMethods: optional(z.boolean()),
  }),
]);

const ShadowSchema = z.strictObject({
  to: BackendNameSchema,
  percent: optional(percent(), "Share of requests copied to the shadow backend (default 100); sticky per cohort key."),
  ignore: optional(
    z.array(text(new RegExp(`^(header:${TOKEN}|body:${JSON_PATH}|preset:rails)$`), "must be 'body:$.path', 'header:name' or 'preset:rails'")),
    "Differences that do not count: 'header:NAME' or 'body:$.path' (with [*] or .* for any index or key), or 'preset:rails' (the headers a Rails app sends that a new backend need not).",
  ),
  unsafeMethods: optional(z.boolean(), "Also shadow methods other than GET/HEAD/OPTIONS (they carry x-cutover-shadow: 1)."),
  maxBodyBytes: optional(
    z.int().check(z.gte(0), z.lte(MAX_SHADOW_BODY_BYTES)),
    "Largest body copied and compared (default 1 MiB, at most 4 MiB); a larger request is not copied, larger responses compare status and headers only.",
  ),
  noisePercent: optional(percent(), "Share of shadowed requests also sent to the control backend twice, to learn noise (default 5)."),
  epoch: optional(
    z.int().check(z.gte(0)),
    "Raised to start the shadow statistics over (cutover shadow reset, a rollout's shadow step); a new shadow target or a change to its backend does so too.",
  ),
  redact: optional(
    z.array(
      text(
        new RegExp(`^((body:)?${JSON_PATH}|header:${TOKEN}|query:${TOKEN}|path:/[^?#\\s]*)$`),
        "must be body:$.path (or $..name at any depth), header:NAME, query:NAME or path:/pattern/:segment",
      ),
    ),
    "More values that never reach storage, on top of the default secrets (passwords, tokens, keys, cookies, card numbers): body fields (body:$.card, body:$..pin), headers (header:x-partner-id), query parameters (query:code) and path segments (path:/reset/:token).",
  ),
});

const StickySchema = z.union([
  z.literal("ip"),
  z.literal("none"),
  z.literal("cutover"),
  text(
    new RegExp(`^((cookie|header):${TOKEN}|session:[A-Za-z0-9_][A-Za-z0-9_.-]{0,63})$`),
    "must be 'ip', 'none', 'cutover', 'cookie:NAME', 'header:NAME' or 'session:FIELD'",
  ),
]);
const STICKY_DESCRIPTION =
  "Cohort key of a split: 'ip' (the default unless the table's defaultSticky says otherwise), 'cutover' (a long-lived random cookie cutover sets), 'session:FIELD' (a field of the app's session cookie, see session; without one, the cutover cookie), 'cookie:NAME', 'header:NAME' or 'none' (random per request).";

const SessionSchema = described(
  z.strictObject({
    type: z.literal("rails"),
    cookie: text(new RegExp(`^${TOKEN}$`), "must be a cookie name such as _app_session"),
    keyDigest: optional(z.enum(["sha1", "sha256"]), "Digest of Rails' key generator: 'sha1' (default, Rails 6.1) or 'sha256' (config.load_defaults 7.0 and later)."),
  }),
  "The app's session cookie, read at the edge with CUTOVER_RAILS_SECRET_KEY_BASE (Rails' authenticated encrypted cookies, JSON-serialized): for sticky 'session:FIELD' and backends' identity.",
);

const MatchSchema = z.strictObject({
  path: described(z.string().check(z.minLength(1)), "Path pattern: literal segments, ':param' segments and a trailing '*'. Most specific wins."),
  methods: optional(z.array(text(new RegExp(`^${TOKEN}$`), "must be an HTTP method such as GET")).check(z.minLength(1))),
  host: optional(text(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/, "must be a lower-case host name without port")),
});

const DualWriteSchema = z.strictObject({
  to: described(BackendNameSchema, "The new backend that gets each write too, after the backend that served it answered."),
  methods: optional(
    z.array(text(new RegExp(`^${TOKEN}$`), "must be an HTTP method such as POST")).check(z.minLength(1)),
    "The methods copied (default POST, PUT, PATCH and DELETE).",
  ),
  maxBodyBytes: optional(
    z.int().check(z.gte(0), z.lte(MAX_SHADOW_BODY_BYTES)),
    "Largest request body copied (default 1 MiB, at most 4 MiB; it is held in memory to be sent twice); a larger write is not copied, and counted as such.",
  ),
});

const RouteSchema = z.strictObject({
  id: RouteIdSchema,
  match: MatchSchema,
  to: described(z.union([BackendNameSchema, z.record(BackendNameSchema, percent())]), "A backend name, or weights per backend summing to 100 in steps of 0.01."),
  sticky: optional(StickySchema, STICKY_DESCRIPTION),
  fallback: optional(FallbackSchema, "Backend to try once more when the chosen one fails and a retry is safe."),
  shadow: optional(ShadowSchema, "Also send a copy of requests to this backend and compare its responses."),
  dualWrite: optional(
    DualWriteSchema,
    "Dual writes (a data migration's first stage): each write the legacy backend served is then sent to `to` as a real write, with an Idempotency-Key and legacy's answer beside it (status, Location, the id in its body), so the new store keeps the record under the same id. The client gets legacy's answer.",
  ),
});

const ActionSchema = z.enum(["reject", "keep"]);

const PathPolicySchema = described(
  z.strictObject({
    mergeSlashes: optional(z.boolean(), "Treat //a//b as /a/b, for matching and forwarding (default true)."),
    trailingSlash: optional(z.enum(["either", "exact"]), "'either' (default): /a/1/ matches what /a/1 matches and is forwarded in the route pattern's form; 'exact': a trailing slash is another path."),
    encodedSlash: optional(ActionSchema, "%2F and %5C in a path: 'reject' (default, 400) or 'keep'."),
    backslash: optional(ActionSchema, "A literal \\ in a path: 'reject' (default) or 'keep' (forwarded as %5C)."),
    pathParameters: optional(ActionSchema, "';' in a path (/a;jsessionid=1, Tomcat's ..;): 'reject' (default) or 'keep'."),
    invalidEncoding: optional(ActionSchema, "A % not followed by two hex digits, or escapes that are not UTF-8 (overlong %C0%AE): 'reject' (default) or 'keep'."),
    doubleEncoding: optional(ActionSchema, "%25 followed by two hex digits (%252e): 'reject' (default) or 'keep'."),
    nul: optional(ActionSchema, "%00: 'reject' (default) or 'keep'."),
  }),
  "How request paths are normalized and which forms are refused, for matching and forwarding alike.",
);

/**
 * The version of the rules a stored table was validated under (this schema and
 * `validateRouteTable`'s cross-field checks). Bump it whenever either changes — a new field
 * too, or an isolate of this release would take a newer release's table for one of its own
 * and ignore what it does not know (test/routes/json-schema.test.ts fails until the schema's
 * hash is recorded with the new number). A table stored under another number (or none,
 * before it existed) is validated in full when an isolate reads it; one stored under this
 * number, its bytes verified by their SHA-256, only has its structure checked
 * (routes/validate.ts).
 */
export const TABLE_SCHEMA_VERSION = 5;

export const RouteTableSchema = described(
  z.strictObject({
    $schema: optional(z.string()),
    paths: optional(PathPolicySchema),
    forwardedFor: optional(
      z.enum(["replace", "append"]),
      "X-Forwarded-For sent to backends: 'replace' (default) with the client address Cloudflare saw; 'append' it to the incoming chain, only when another proxy you trust sits in front of Cloudflare.",
    ),
    underscoreHeaders: optional(
      z.enum(["keep", "drop"]),
      "Client headers whose name holds '_': 'keep' (default) sends them on; 'drop' removes them all, as nginx does by default (underscores_in_headers off). Either way a name that reads, with '_' as '-', as a forwarding, client-IP, Proxy, x-request-id or x-cutover-* header (X_Forwarded_Ssl, Client_IP) is dropped: Rack and other CGI-style servers see it as that header.",
    ),
    defaultSticky: optional(StickySchema, "The cohort key of routes that name none (default 'ip'); 'cutover' suits an app whose session cookie changes on every write (Rails)."),
    session: optional(SessionSchema),
    backends: z.record(BackendNameSchema, BackendSchema),
    default: described(BackendNameSchema, "The backend (usually legacy) for every request no route matches."),
    routes: z._default(z.array(RouteSchema), []),
  }),
  "A cutover route table: which backend serves which path.",
);

export type Session = Readonly<z.infer<typeof SessionSchema>>;
export type Backend = Readonly<z.infer<typeof BackendSchema>>;
export type Route = Readonly<z.infer<typeof RouteSchema>>;
export type DualWrite = Readonly<z.infer<typeof DualWriteSchema>>;
export type Shadow = Readonly<z.infer<typeof ShadowSchema>>;
export type FallbackTrigger = z.infer<typeof FallbackTriggerSchema>;
export type PathPolicyInput = z.infer<typeof PathPolicySchema>;
/** A route table's shape. One that passed validation (frozen, and the only kind a store publishes) is a ValidatedRouteTable (routes/validate.ts). */
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
