import type { EvidenceCounts } from "../accounting/evidence-counts.ts";
import { emptyEvidence } from "../accounting/evidence-counts.ts";
import { NOT_COPIED_REASONS, type NotCopiedReason } from "../accounting/dual-write-counts.ts";
import { emptyCounts, type ArmName, type TrafficCounts } from "../accounting/traffic-counts.ts";
import { sketchBuckets, sketchFrom } from "../accounting/user-sketch.ts";

/**
 * Traffic counters as DynamoDB attributes: the storage format of minute and hour cells and of
 * rollout evidence cells, kept here so that accounting/ stays plain data and math.
 */

/**
 * A cell's counters (only the ones that are not zero): `r`, `fb`, `s2`…`s5`, `p<status>`,
 * `f_<trigger>`, `a_<arm>`, `h<bucket>`; dual writes: `w` sent, `w2` succeeded, `wr` rejected,
 * `wf` failed, `wa` agreed, `wd` disagreed, `wn_<reason>` not copied.
 */
export function toAttributes(counts: TrafficCounts): Record<string, number> {
  const out: Record<string, number> = {};
  const put = (name: string, value: number) => value !== 0 && (out[name] = value);
  put("r", counts.requests);
  put("fb", counts.fellBack);
  counts.status.forEach((value, i) => put(`s${i + 2}`, value));
  for (const [status, count] of counts.proxy) put(`p${status}`, count);
  for (const [trigger, count] of counts.fallbacks) put(`f_${trigger}`, count);
  for (const [arm, count] of counts.arms) put(`a_${arm}`, count);
  for (const [bucket, count] of counts.latency) put(`h${bucket}`, count);
  const dual = counts.dualWrite;
  put("w", dual.sent);
  put("w2", dual.succeeded);
  put("wr", dual.rejected);
  put("wf", dual.failed);
  put("wa", dual.agreed);
  put("wd", dual.disagreed);
  for (const [reason, count] of dual.notCopied) put(`wn_${reason}`, count);
  return out;
}

const DUAL_WRITE_FIELDS = { w: "sent", w2: "succeeded", wr: "rejected", wf: "failed", wa: "agreed", wd: "disagreed" } as const;
const NOT_COPIED: ReadonlySet<string> = new Set(NOT_COPIED_REASONS);

/** The counters back from stored attributes (anything else on the item is ignored). */
export function fromAttributes(item: Readonly<Record<string, unknown>>): TrafficCounts {
  const counts = emptyCounts();
  for (const [name, raw] of Object.entries(item)) {
    const value = typeof raw === "number" ? raw : 0;
    if (name === "r") counts.requests = value;
    else if (name === "fb") counts.fellBack = value;
    else if (/^s[2-5]$/.test(name)) counts.status[Number(name[1]) - 2] = value;
    else if (/^p\d{3}$/.test(name)) counts.proxy.set(Number(name.slice(1)), value);
    else if (name.startsWith("f_")) counts.fallbacks.set(name.slice(2), value);
    else if (name.startsWith("a_")) counts.arms.set(name.slice(2) as ArmName, value);
    else if (/^h\d+$/.test(name)) counts.latency.set(Number(name.slice(1)), value);
    else if (Object.hasOwn(DUAL_WRITE_FIELDS, name)) counts.dualWrite[DUAL_WRITE_FIELDS[name as keyof typeof DUAL_WRITE_FIELDS]] = value;
    else if (name.startsWith("wn_") && NOT_COPIED.has(name.slice(3))) counts.dualWrite.notCopied.set(name.slice(3) as NotCopiedReason, value);
  }
  return counts;
}

/**
 * An evidence cell as an update: counters to ADD (`r` requests, `e` failures, `c` 4xx answers,
 * `h<bucket>` latency) and number sets to ADD (the buckets set in each user sketch: `u` users,
 * `uf` users who met a failure, `uc` users who got a 4xx). Adding to a set is a union: a write
 * applied twice adds no user twice.
 */
export function evidenceToAttributes(counts: EvidenceCounts): { readonly counters: Record<string, number>; readonly numberSets: Record<string, number[]> } {
  const counters: Record<string, number> = {};
  const put = (name: string, value: number) => value !== 0 && (counters[name] = value);
  put("r", counts.requests);
  put("e", counts.failures);
  put("c", counts.clientErrors);
  for (const [bucket, count] of counts.latency) put(`h${bucket}`, count);
  return { counters, numberSets: { u: sketchBuckets(counts.users), uf: sketchBuckets(counts.failedUsers), uc: sketchBuckets(counts.clientErrorUsers) } };
}

/** An evidence cell back from a stored item. */
export function evidenceFromAttributes(item: Readonly<Record<string, unknown>>): EvidenceCounts {
  const counts = emptyEvidence();
  const number = (value: unknown) => (typeof value === "number" ? value : 0);
  counts.requests = number(item.r);
  counts.failures = number(item.e);
  counts.clientErrors = number(item.c);
  for (const [name, raw] of Object.entries(item)) if (/^h\d+$/.test(name)) counts.latency.set(Number(name.slice(1)), number(raw));
  const sketch = (value: unknown) => sketchFrom(value instanceof Set ? ([...value] as unknown[]).filter((v): v is number => typeof v === "number") : []);
  counts.users.set(sketch(item.u));
  counts.failedUsers.set(sketch(item.uf));
  counts.clientErrorUsers.set(sketch(item.uc));
  return counts;
}
