import type { EndpointKind, LegacyEndpoint, SurfaceProblem } from "./legacy-endpoint.ts";
import { railsPatterns } from "./rails-path.ts";

/** One route as `bin/rails routes` prints it, before its path is made patterns. */
interface RailsRoute {
  readonly line: number;
  readonly name: string;
  readonly verb: string;
  readonly path: string;
  readonly reqs: string;
  /** The engine whose section it is in (`Routes for Blog::Engine:`). */
  readonly section: string | undefined;
}

/** What a route list gave: its endpoints in the order Rails tries them, and the lines it could not read. */
export interface ParsedRoutes {
  readonly endpoints: LegacyEndpoint[];
  readonly problems: SurfaceProblem[];
}

const HEADER = /^\s*Prefix\s+Verb\s+URI\s+Pattern\s+Controller#Action\s*$/;
const SECTION = /^(?:Routes for (.+):|\[ Routes for (.+) \])$/;
const VERB = /^[A-Z]+(?:\|[A-Z]+)*$/;

/**
 * `bin/rails routes` in its default form (ActionDispatch's ConsoleFormatter::Sheet): a
 * right-aligned prefix (absent on most lines of a resource), the verb (`GET|POST`, or none
 * for a mount), the URI pattern, then the endpoint and its constraints, which may hold spaces
 * (`redirect(301, /pricing)`, `products#show {:id=>/\d+/}`). The URI pattern is the first
 * word that starts with `/` or `(` (an optional scope, `(/:locale)/catalog`); what is before
 * it is the prefix and the verb, told apart by case. A section `Routes for Blog::Engine:`
 * lists an engine's routes, relative to where it is mounted.
 */
export function parseRailsRoutes(text: string): ParsedRoutes {
  const routes: RailsRoute[] = [];
  const problems: SurfaceProblem[] = [];
  let section: string | undefined;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trimEnd();
    if (line.trim() === "" || HEADER.test(line) || /^You don't have any routes defined!/.test(line.trim())) return;
    const title = SECTION.exec(line.trim());
    if (title) {
      section = title[1] ?? title[2];
      return;
    }
    const words = [...line.matchAll(/\S+/g)];
    const at = words.findIndex((word) => word[0].startsWith("/") || word[0].startsWith("("));
    const before = words.slice(0, Math.max(0, at)).map((word) => word[0]);
    const pathWord = words[at];
    if (pathWord === undefined || before.length > 2 || (before.length === 2 && !VERB.test(before[1] as string))) {
      problems.push({ line: index + 1, text: line, message: "not a route line: expected [prefix] [verb] path controller#action" });
      return;
    }
    const verb = before.length === 2 ? (before[1] as string) : before.length === 1 && VERB.test(before[0] as string) ? (before[0] as string) : "";
    const name = before.length === 2 || (before.length === 1 && verb === "") ? (before[0] as string) : "";
    const reqs = line.slice((pathWord.index ?? 0) + pathWord[0].length).trim();
    routes.push({ line: index + 1, name, verb, path: pathWord[0], reqs, section });
  });
  return toEndpoints(routes, problems);
}

/**
 * `bin/rails routes --expanded` (ConsoleFormatter::Expanded): a `--[ Route N ]---` block per
 * route, one `Key | value` line per field (Prefix, Verb, URI, Controller#Action; later
 * Rails adds Source Location, which is not kept), and `[ Routes for Blog::Engine ]` before an
 * engine's routes.
 */
export function parseRailsExpanded(text: string): ParsedRoutes {
  const routes: RailsRoute[] = [];
  const problems: SurfaceProblem[] = [];
  let section: string | undefined;
  let current: { line: number; fields: Map<string, string> } | undefined;
  const finish = () => {
    if (current === undefined) return;
    const { line, fields } = current;
    const path = fields.get("URI") ?? fields.get("URI Pattern");
    if (path === undefined || path === "") problems.push({ line, text: `--[ Route ]`, message: "a route block without a URI line" });
    else routes.push({ line, name: fields.get("Prefix") ?? "", verb: fields.get("Verb") ?? "", path, reqs: fields.get("Controller#Action") ?? "", section });
    current = undefined;
  };
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === "" || /^You don't have any routes defined!/.test(line)) return;
    if (/^--\[ Route \d+ \]-*$/.test(line)) {
      finish();
      current = { line: index + 1, fields: new Map() };
      return;
    }
    const title = SECTION.exec(line);
    if (title) {
      finish();
      section = title[1] ?? title[2];
      return;
    }
    const field = /^([^|]*?)\s*\|\s?(.*)$/.exec(line);
    if (current === undefined || field === null) {
      problems.push({ line: index + 1, text: line, message: "not part of a --[ Route N ]-- block" });
      return;
    }
    current.fields.set(field[1] as string, (field[2] as string).trim());
  });
  finish();
  return toEndpoints(routes, problems);
}

/**
 * Routes as endpoints: one per verb and form of the path; an engine's routes under each of
 * its mount points (an engine whose routes are listed stands for nothing more than them; a
 * mounted Rack app without a list, `Sidekiq::Web`, is `prefix/*` for every method). A route
 * whose method and pattern an earlier one has already is left out: Rails never reaches it.
 */
function toEndpoints(routes: readonly RailsRoute[], problems: SurfaceProblem[]): ParsedRoutes {
  const sections = new Set(routes.map((route) => route.section).filter((section) => section !== undefined));
  const mounts = new Map<string, string[]>();
  for (const route of routes) if (route.section === undefined && route.verb === "" && isConstant(route.reqs)) (mounts.get(route.reqs) ?? mounts.set(route.reqs, []).get(route.reqs))?.push(route.path);

  const endpoints: LegacyEndpoint[] = [];
  const seen = new Set<string>();
  for (const route of routes) {
    const prefixes = route.section === undefined ? [""] : (mounts.get(route.section) ?? [""]).map((mount) => (mount === "/" ? "" : mount));
    const kind = kindOf(route);
    if (kind === "mount" && sections.has(route.reqs)) continue;
    const constraint = / (\{.*\})$/.exec(route.reqs);
    // A Rack object prints its address (`#<Proc:0x00007f… config.ru:40>`), new on every boot: without it, two imports of the same app agree.
    const action = (constraint ? route.reqs.slice(0, constraint.index) : route.reqs).replace(/(#<[\w:]+):0x[0-9a-f]+/g, "$1");
    for (const prefix of prefixes) {
      const made = railsPatterns(kind === "mount" ? `${route.path === "/" ? "" : route.path}/*path` : route.path, prefix);
      if (!made.ok) {
        problems.push({ line: route.line, text: route.path, message: `the path ${made.error}` });
        continue;
      }
      for (const method of route.verb === "" ? ["*"] : route.verb.split("|")) {
        for (const pattern of made.value.patterns) {
          const key = `${method} ${pattern}`;
          if (seen.has(key)) continue;
          seen.add(key);
          endpoints.push({
            method,
            pattern,
            source: `${prefix}${route.path}`,
            action,
            kind,
            ...(route.name === "" ? {} : { name: route.name }),
            ...(constraint ? { constraints: constraint[1] as string } : {}),
            ...(route.section === undefined ? {} : { engine: route.section }),
            ...(made.value.format ? { format: true } : {}),
          });
        }
      }
    }
  }
  return { endpoints, problems };
}

function kindOf(route: RailsRoute): EndpointKind {
  if (route.reqs.startsWith("redirect(")) return "redirect";
  // `mount` routes every method (no verb) to a Rack app: an engine, `Sidekiq::Web`, ActionCable's server object.
  if (route.verb === "" && !/^[\w/]+#\w/.test(route.reqs)) return "mount";
  if (route.reqs.startsWith("#<")) return "app";
  return "action";
}

/** `Blog::Engine`, `Sidekiq::Web`: what a mount prints where an action would be. */
const isConstant = (reqs: string) => /^[A-Z][A-Za-z0-9_]*(::[A-Z][A-Za-z0-9_]*)*$/.test(reqs);
