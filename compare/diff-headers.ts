import type { Difference } from "./difference.ts";
import { SET_COOKIE_ATTRIBUTES } from "./header-rules.ts";

type HeaderPairs = readonly (readonly [string, string])[];

/**
 * The header differences of two responses, by lower-case name: missing from the candidate,
 * extra on it, or another value. Values are compared for what they mean where the spelling is
 * free: Vary and Cache-Control as sets of lower-case members (RFC 9110 §12.5.5, RFC 9111
 * §5.2: order and case carry no meaning), a Content-Type without case or spacing, and a JSON
 * one without `charset=utf-8` (JSON is UTF-8, RFC 8259 §8.1). A cookie set by both with fewer
 * protective attributes on the candidate is one more difference, `header:set-cookie:attributes`.
 */
export function diffHeaders(control: HeaderPairs, candidate: HeaderPairs): Difference[] {
  const out: Difference[] = [];
  const a = groupHeaders(control);
  const b = groupHeaders(candidate);
  for (const [name, value] of a) {
    const other = b.get(name);
    if (other === undefined) out.push({ field: `header:${name}`, kind: "missing", control: value });
    else if (!sameValue(name, value, other)) out.push({ field: `header:${name}`, kind: "value", control: value, candidate: other });
  }
  for (const [name, value] of b) if (!a.has(name)) out.push({ field: `header:${name}`, kind: "extra", candidate: value });
  const weakened = weakenedCookies(control, candidate);
  if (weakened !== undefined) out.push({ field: `header:${SET_COOKIE_ATTRIBUTES}`, kind: "missing", ...weakened });
  return out;
}

/** Repeated lines of a name joined by a line break (Set-Cookie comes one line per cookie). */
function groupHeaders(headers: HeaderPairs): Map<string, string> {
  const grouped = new Map<string, string>();
  for (const [name, value] of headers) {
    const key = name.toLowerCase();
    const prior = grouped.get(key);
    grouped.set(key, prior === undefined ? value : `${prior}\n${value}`);
  }
  return grouped;
}

function sameValue(name: string, a: string, b: string): boolean {
  if (a === b) return true;
  if (name === "vary" || name === "cache-control") return sameMembers(a, b);
  if (name === "content-type") return mediaType(a) === mediaType(b);
  return false;
}

function sameMembers(a: string, b: string): boolean {
  const members = (value: string) => new Set(value.split(/[,\n]/).map((member) => member.trim().toLowerCase()).filter((member) => member !== ""));
  const left = members(a);
  const right = members(b);
  return left.size === right.size && [...left].every((member) => right.has(member));
}

function mediaType(value: string): string {
  const [type = "", ...parameters] = value.split(";").map((part) => part.trim().toLowerCase().replace(/\s*=\s*/, "="));
  const json = /[/+]json$/.test(type);
  const kept = parameters.filter((parameter) => parameter !== "" && !(json && /^charset="?utf-8"?$/.test(parameter)));
  return [type, ...kept.sort()].join(";");
}

/** Attributes that protect a cookie: the ones a candidate must not drop. */
const PROTECTIVE = /^(secure|httponly|samesite=.*)$/;

/**
 * The cookies both sides set where the candidate's lacks a protective attribute the control's
 * has (Secure, HttpOnly, a SameSite value), as `name: Attribute, …` lists; undefined when none.
 */
export function weakenedCookies(control: HeaderPairs, candidate: HeaderPairs): { control: string; candidate: string } | undefined {
  const theirs = cookieAttributes(candidate);
  const lost: { name: string; control: string[]; candidate: string[] }[] = [];
  for (const [name, attributes] of cookieAttributes(control)) {
    const other = theirs.get(name);
    if (other !== undefined && [...attributes].some((attribute) => !other.has(attribute))) lost.push({ name, control: [...attributes], candidate: [...other] });
  }
  if (lost.length === 0) return undefined;
  const show = (name: string, attributes: string[]) => `${name}: ${attributes.length === 0 ? "(none)" : attributes.map(displayAttribute).join(", ")}`;
  return { control: lost.map((cookie) => show(cookie.name, cookie.control)).join("; "), candidate: lost.map((cookie) => show(cookie.name, cookie.candidate)).join("; ") };
}

/** Each cookie's protective attributes, lower-cased, by cookie name (RFC 6265 §4.1.1). */
function cookieAttributes(headers: HeaderPairs): Map<string, Set<string>> {
  const cookies = new Map<string, Set<string>>();
  for (const [name, value] of headers) {
    if (name.toLowerCase() !== "set-cookie") continue;
    const [pair = "", ...attributes] = value.split(";");
    const eq = pair.indexOf("=");
    if (eq <= 0) continue;
    const protective = attributes.map((attribute) => attribute.trim().toLowerCase().replace(/\s*=\s*/, "=")).filter((attribute) => PROTECTIVE.test(attribute));
    cookies.set(pair.slice(0, eq).trim(), new Set(protective.sort()));
  }
  return cookies;
}

function displayAttribute(attribute: string): string {
  if (attribute === "secure") return "Secure";
  if (attribute === "httponly") return "HttpOnly";
  const value = attribute.slice("samesite=".length);
  return `SameSite=${value.charAt(0).toUpperCase()}${value.slice(1)}`;
}
