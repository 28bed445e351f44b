import { marshall } from "@aws-sdk/util-dynamodb";
import type { StoredShadowStats } from "../compare/shadow-report.ts";
import { emptyStats, mergeStats, type HeaderKinds, type ShadowSample, type ShadowStats } from "../compare/shadow-stats.ts";
import type { DynamoApi } from "./dynamo-api.ts";
import { queryItems } from "./query-items.ts";
import { addCounters, wasRefused } from "./add-counters.ts";

/**
 * Shadow counters in the cutover table, one partition per route and shadow epoch
 * (`shadow#<route>#<epoch>`, routes/shadow-epoch.ts), counters by the hour they were flushed in
 * (so that a report can cover the epoch or the last hours):
 *
 * | sk                   | holds                                                        |
 * |----------------------|--------------------------------------------------------------|
 * | h#<hour>#stats       | compared, tooLarge, candidateErrors, shed, noiseCompared, first/last; `matched` (comparisons with no status or body difference; before issue 24, no difference at all) and the latency histograms (`lc<i>` control, `ln<i>` candidate: bucket i) |
 * | h#<hour>#field#<f>   | comparisons in which one field differed (`count`); for a header, also how: `missing`, `extra`, `value` |
 * | h#<hour>#noise#<f>   | control-vs-control differences of one field                  |
 * | h#<hour>#sig#<fields>| comparisons whose differing fields were exactly these        |
 * | sample#<time>#…      | a recent redacted mismatch, with expiresAt                   |
 *
 * So a flush of comparisons that all matched is one write, the stats item, whatever their
 * number; differences add an item per field and per signature. Signatures hold status and
 * body fields only: a comparison whose only differences are headers matched (the `sig#`
 * items of earlier epochs may name headers too; the report reads those fields as headers
 * again). Header field items of earlier epochs have no `missing`/`extra`/`value`: how those
 * differed is unknown. (Before, the exact-match
 * signature and each histogram had items of their own, `h#<hour>#sig#` and
 * `h#<hour>#lat#control|candidate`: they are still read.)
 *
 * Counter items carry `expiresAt` (30 days after their hour's last flush), samples 7 days.
 *
 * Every counter is an atomic ADD, so batches flushed by many isolates add up exactly. A
 * write DynamoDB refused is sent again later; one whose outcome is unknown is not, so that
 * nothing is ever counted twice.
 */
export interface FlushOutcome {
  /** Counters DynamoDB refused (so did not apply): safe to send again. */
  readonly retry: ShadowStats | undefined;
  /** Writes whose fate is unknown (a timeout, a reset): dropped, since sending them again could count them twice. */
  readonly lost: number;
}

export interface ShadowStore {
  /** Adds `stats` to the stored counters of a route's epoch (`CompiledShadow.statsId`), a few writes at a time. */
  flush(statsId: string, stats: ShadowStats): Promise<FlushOutcome>;
  /** The epoch's counters, all of them or those flushed since the hour of `since` (ISO time). */
  read(statsId: string, options?: { readonly since?: string }): Promise<StoredShadowStats>;
}

const SAMPLE_TTL_SECONDS = 7 * 24 * 3600;
/** Hourly counters are kept this long after their hour's last flush. */
const COUNTER_TTL_SECONDS = 30 * 24 * 3600;
/** Writes in flight at once: a flush must stay well inside the Worker's subrequest limits. */
const WRITE_CONCURRENCY = 6;
const SAMPLES_READ = 20;

export function createShadowStore(options: { client: DynamoApi; tableName: string; now?: () => Date }): ShadowStore {
  const { client, tableName } = options;
  const now = options.now ?? (() => new Date());

  const add = (pk: string, sk: string, counters: Record<string, number>, set: Record<string, unknown> = {}) => {
    // First-write-wins fields keep their first value; others are overwritten.
    const firstWins = Object.fromEntries(Object.entries(set).filter(([name]) => name === "firstAt" || name === "fields"));
    const overwrite = { ...Object.fromEntries(Object.entries(set).filter(([name]) => !(name in firstWins))), expiresAt: Math.floor(now().getTime() / 1000) + COUNTER_TTL_SECONDS };
    return addCounters(client, tableName, { pk, sk, counters, set: overwrite, setIfAbsent: firstWins });
  };

  return {
    async flush(statsId, stats) {
      const pk = `shadow#${statsId}`;
      const at = now();
      const hour = `h#${at.toISOString().slice(0, 13)}#`;
      // Each write carries its share of the counters: a write DynamoDB refused is put back
      // for the next flush, a successful one never is, so the sums stay exact.
      const writes: { send: () => Promise<unknown>; part: ShadowStats }[] = [];
      const part = (fill: (into: ShadowStats) => void) => {
        const into = emptyStats();
        fill(into);
        return into;
      };
      // The stats item: the counters, the exact matches and both histograms, in one write.
      const matched = stats.signatures.get("") ?? 0;
      const latency = (prefix: string, histogram: ReadonlyMap<number, number>) => Object.fromEntries([...histogram].map(([bucket, count]) => [`${prefix}${bucket}`, count]));
      writes.push({
        send: () =>
          add(
            pk,
            `${hour}stats`,
            {
              compared: stats.compared,
              tooLarge: stats.tooLarge,
              candidateErrors: stats.candidateErrors,
              shed: stats.shed,
              noiseCompared: stats.noiseCompared,
              matched,
              ...latency("lc", stats.controlLatency),
              ...latency("ln", stats.candidateLatency),
            },
            { firstAt: at.toISOString(), lastAt: at.toISOString() },
          ),
        part: part((into) => {
          Object.assign(into, { compared: stats.compared, tooLarge: stats.tooLarge, candidateErrors: stats.candidateErrors, shed: stats.shed, noiseCompared: stats.noiseCompared });
          if (matched > 0) into.signatures.set("", matched);
          stats.controlLatency.forEach((count, bucket) => into.controlLatency.set(bucket, count));
          stats.candidateLatency.forEach((count, bucket) => into.candidateLatency.set(bucket, count));
        }),
      });
      const counted = (key: "fields" | "noise" | "signatures", prefix: string, attribute: "field" | "fields") => {
        for (const [name, count] of stats[key]) {
          if (key === "signatures" && name === "") continue; // in the stats item
          // How a header differed rides on its field's item: one write, added up with it.
          const kinds = key === "fields" ? stats.headerKinds.get(name) : undefined;
          writes.push({
            send: () => add(pk, `${hour}${prefix}#${name}`, { count, ...kinds }, { [attribute]: name }),
            part: part((into) => {
              into[key].set(name, count);
              if (kinds !== undefined) into.headerKinds.set(name, { ...kinds });
            }),
          });
        }
      };
      counted("fields", "field", "field");
      counted("noise", "noise", "field");
      counted("signatures", "sig", "fields");
      stats.samples.forEach((sample, i) =>
        writes.push({
          send: () =>
            client.putItem({
              TableName: tableName,
              Item: marshall({
                pk,
                sk: `sample#${sample.at}#${i}#${crypto.randomUUID().slice(0, 8)}`,
                sample: JSON.stringify(sample),
                expiresAt: Math.floor(at.getTime() / 1000) + SAMPLE_TTL_SECONDS,
              }),
            }),
          part: emptyStats(), // a lost sample is only a lost example
        }),
      );
      let retry: ShadowStats | undefined;
      let lost = 0;
      for (let start = 0; start < writes.length; start += WRITE_CONCURRENCY) {
        const batch = writes.slice(start, start + WRITE_CONCURRENCY);
        const results = await Promise.allSettled(batch.map((write) => write.send()));
        results.forEach((result, i) => {
          if (result.status === "fulfilled") return;
          // DynamoDB answered with an error: the write did not apply, send it again later.
          if (wasRefused(result.reason)) mergeStats((retry ??= emptyStats()), batch[i]?.part ?? emptyStats());
          else lost++;
        });
      }
      return { retry, lost };
    },

    async read(statsId, options = {}) {
      const pk = `shadow#${statsId}`;
      const fromHour = options.since === undefined ? "h#" : `h#${options.since.slice(0, 13)}`;
      /** Every item of a condition, or (with `newest`) only that many, newest first. */
      const query = async (condition: string, values: Record<string, unknown>, newest?: number) => {
        const items: Record<string, unknown>[] = [];
        const pages = queryItems(client, {
          TableName: tableName,
          KeyConditionExpression: `pk = :pk AND ${condition}`,
          ExpressionAttributeValues: marshall({ ":pk": pk, ...values }),
          ScanIndexForward: newest === undefined,
          Limit: newest,
        });
        for await (const item of pages) {
          items.push(item);
          if (items.length === newest) break;
        }
        return items;
      };
      // Counters ("h#…") sort before samples ("sample#…"); only the newest samples are read.
      const [counters, samples] = await Promise.all([
        query("sk BETWEEN :from AND :to", { ":from": fromHour, ":to": "h#~" }),
        query("begins_with(sk, :s)", { ":s": "sample#" }, SAMPLES_READ * 2),
      ]);
      const since = options.since;
      return toStored(counters, since === undefined ? samples : samples.filter((item) => String(item.sk).slice(7) >= since), Math.floor(now().getTime() / 1000));
    },
  };
}

/** Sums the hourly counter items of an epoch, and reads its samples. */
function toStored(counters: readonly Record<string, unknown>[], sampleItems: readonly Record<string, unknown>[], nowSeconds: number): StoredShadowStats {
  const num = (value: unknown) => (typeof value === "number" ? value : 0);
  const add = <K extends string | number>(into: Record<K, number>, key: K, value: unknown) => (into[key] = (into[key] ?? 0) + num(value));
  const totals = { compared: 0, tooLarge: 0, candidateErrors: 0, shed: 0, noiseCompared: 0 };
  let firstAt: string | null = null;
  let lastAt: string | null = null;
  const fields: Record<string, number> = {};
  const headerKinds: Record<string, HeaderKinds> = {};
  const noise: Record<string, number> = {};
  const signatures: Record<string, number> = {};
  const controlLatency: Record<number, number> = {};
  const candidateLatency: Record<number, number> = {};
  const samples: ShadowSample[] = [];
  for (const item of counters) {
    // DynamoDB's TTL deletes late (dynalite never): expired hours are skipped here.
    if (typeof item.expiresAt === "number" && item.expiresAt <= nowSeconds) continue;
    // h#2026-11-25T17#<kind>…
    const sk = String(item.sk).slice(16);
    if (sk === "stats") {
      for (const key of Object.keys(totals) as (keyof typeof totals)[]) totals[key] += num(item[key]);
      if (typeof item.firstAt === "string" && (firstAt === null || item.firstAt < firstAt)) firstAt = item.firstAt;
      if (typeof item.lastAt === "string" && (lastAt === null || item.lastAt > lastAt)) lastAt = item.lastAt;
      if (typeof item.matched === "number") add(signatures, "", item.matched);
      for (const [name, value] of Object.entries(item)) {
        const bucket = /^l([cn])(\d+)$/.exec(name);
        if (bucket) add(bucket[1] === "c" ? controlLatency : candidateLatency, Number(bucket[2]), value);
      }
    } else if (sk.startsWith("field#")) {
      add(fields, String(item.field), item.count);
      if ("missing" in item || "extra" in item || "value" in item) {
        const kinds = (headerKinds[String(item.field)] ??= { missing: 0, extra: 0, value: 0 });
        for (const kind of ["missing", "extra", "value"] as const) kinds[kind] += num(item[kind]);
      }
    } else if (sk.startsWith("noise#")) add(noise, String(item.field), item.count);
    else if (sk.startsWith("sig#")) add(signatures, String(item.fields), item.count);
    else if (sk.startsWith("lat#")) {
      const histogram = sk === "lat#control" ? controlLatency : candidateLatency;
      for (const [name, value] of Object.entries(item)) if (/^b\d+$/.test(name)) add(histogram, Number(name.slice(1)), value);
    }
  }
  for (const item of sampleItems) {
    if (num(item.expiresAt) > nowSeconds) {
      // DynamoDB's TTL deletes expired samples eventually (dynalite never): filter them here.
      try {
        samples.push(JSON.parse(String(item.sample)) as ShadowSample);
      } catch {
        // a damaged sample is skipped, never shown
      }
    }
  }
  samples.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
  return {
    ...totals,
    firstAt,
    lastAt,
    fields,
    headerKinds,
    noise,
    signatures,
    controlLatency,
    candidateLatency,
    samples: samples.slice(0, SAMPLES_READ),
  };
}
