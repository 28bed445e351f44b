/**
 * What the dashboard says after an action succeeded and redirected (POST, then GET): a code
 * from this fixed list in the query string, with numbers (and a time, and a rollout status
 * from a fixed set) as its only parameters. Nothing in a link can put words on a page:
 * `?notice=<anything else>` shows nothing. Failures are not redirected; their page is
 * rendered by the action itself.
 */
const NUMBER = /^\d{1,12}$/;
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;
const STATUSES = new Set(["running", "paused", "succeeded", "failed", "aborted"]);

type Params = Readonly<Record<string, string>>;

const NOTICES: Readonly<Record<string, { readonly params: readonly string[]; readonly text: (p: Params) => string }>> = {
  "weights-changed": { params: ["version", "at?"], text: (p) => `Weights changed: version ${p.version}${p.at ? `, in effect at ${p.at}` : ""}.` },
  "route-restored": { params: ["version", "from"], text: (p) => `Route restored from version ${p.from}: version ${p.version}.` },
  "shadow-reset": { params: ["epoch"], text: (p) => `Shadow statistics start over (epoch ${p.epoch}).` },
  "rolled-back": { params: ["version", "from"], text: (p) => `Version ${p.from} is active again, as version ${p.version}.` },
  "route-added": { params: ["version"], text: (p) => `Route added: version ${p.version}.` },
  "rollout-started": { params: [], text: () => "Rollout started." },
  "rollout-changed": { params: ["status", "step", "steps"], text: (p) => `Rollout ${p.status}, step ${p.step} of ${p.steps}.` },
};

export type NoticeCode = keyof typeof NOTICES & string;

/** `to?notice=code&name=value…` for a redirect; parameters that do not fit their form are left out. */
export function withNotice(to: string, code: NoticeCode, params: Readonly<Record<string, unknown>> = {}): string {
  const query = new URLSearchParams({ notice: code });
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== null && valid(name, String(value))) query.set(name, String(value));
  return `${to}?${query.toString()}`;
}

/** The notice a page's query string names, or undefined when it names none this list knows, or its parameters do not fit. */
export function noticeText(query: (name: string) => string | undefined): string | undefined {
  const code = query("notice");
  const notice = code === undefined ? undefined : NOTICES[code];
  if (notice === undefined) return undefined;
  const params: Record<string, string> = {};
  for (const spec of notice.params) {
    const optional = spec.endsWith("?");
    const name = optional ? spec.slice(0, -1) : spec;
    const value = query(name);
    if (value === undefined || !valid(name, value)) {
      if (optional) continue;
      return undefined;
    }
    params[name] = value;
  }
  return notice.text(params);
}

function valid(name: string, value: string): boolean {
  if (name === "at") return TIME.test(value);
  if (name === "status") return STATUSES.has(value);
  return NUMBER.test(value);
}
