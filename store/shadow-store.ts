import { marshall } from "@aws-sdk/util-dynamodb";
import type { StoredShadowStats } from "../compare/shadow-report.ts";
import { emptyStats, mergeStats, type ShadowSample, type ShadowStats } from "../compare/shadow-stats.ts";
import type { DynamoApi } from "./dynamo-api.ts";
import { queryItems } from "./query-items.ts";
import { addCounters, wasRefused } from "./add-counters.ts";

/**
 * Shadow counters in the cutover table, one partition per route (`shadow#<route>`):
 *
 * | sk              | holds                                                        |
 * |-----------------|--------------------------------------------------------------|
 * | stats           | compared, tooLarge, candidateErrors, shed, noiseCompared, first/last |
 * | field#<field>   | mismatches of one field                                      |
 * | noise#<field>   | control-vs-control differences of one field                  |
 * | sig#<fields>    | comparisons whose differing fields were exactly these        |
 * | lat#control     | latency histogram (attribute b<i> per bucket), same for candidate |
 * | sample#<time>#… | a recent redacted mismatch, with expiresAt                   |
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
  /** Adds `stats` to the stored counters, a few writes at a time. */
  flush(route: string, stats: ShadowStats): Promise<FlushOutcome>;
  read(route: string): Promise<StoredShadowStats>;
}

const SAMPLE_TTL_SECONDS = 7 * 24 * 3600;
/** Writes in flight at once: a flush must stay well inside the Worker's subrequest limits. */
const WRITE_CONCURRENCY = 6;
const SAMPLES_READ = 20;

export function createShadowStore(options: { client: DynamoApi; tableName: string; now?: () => Date }): ShadowStore {
  const { client, tableName } = options;
  const now = options.now ?? (() => new Date());

  const add = (pk: string, sk: string, counters: Record<string, number>, set: Record<string, unknown> = {}) => {
    // First-write-wins fields keep their first value; others are overwritten.
    const firstWins = Object.fromEntries(Object.entries(set).filter(([name]) => name === "firstAt" || name === "fields"));
    const overwrite = Object.fromEntries(Object.entries(set).filter(([name]) => !(name in firstWins)));
    return addCounters(client, tableName, { pk, sk, counters, set: overwrite, setIfAbsent: firstWins });
  };

  return {
    async flush(route, stats) {
      const pk = `shadow#${route}`;
      const at = now();
      // Each write carries its share of the counters: a write DynamoDB refused is put back
      // for the next flush, a successful one never is, so the sums stay exact.
      const writes: { send: () => Promise<unknown>; part: ShadowStats }[] = [];
      const part = (fill: (into: ShadowStats) => void) => {
        const into = emptyStats();
        fill(into);
        return into;
      };
      writes.push({
        send: () =>
          add(
            pk,
            "stats",
            { compared: stats.compared, tooLarge: stats.tooLarge, candidateErrors: stats.candidateErrors, shed: stats.shed, noiseCompared: stats.noiseCompared },
            { firstAt: at.toISOString(), lastAt: at.toISOString() },
          ),
        part: part((into) => Object.assign(into, { compared: stats.compared, tooLarge: stats.tooLarge, candidateErrors: stats.candidateErrors, shed: stats.shed, noiseCompared: stats.noiseCompared })),
      });
      const counted = (key: "fields" | "noise" | "signatures", prefix: string, attribute: "field" | "fields") => {
        for (const [name, count] of stats[key]) {
          writes.push({ send: () => add(pk, `${prefix}#${name}`, { count }, { [attribute]: name }), part: part((into) => into[key].set(name, count)) });
        }
      };
      counted("fields", "field", "field");
      counted("noise", "noise", "field");
      counted("signatures", "sig", "fields");
      for (const [side, key] of [
        ["control", "controlLatency"],
        ["candidate", "candidateLatency"],
      ] as const) {
        const histogram = stats[key];
        if (histogram.size === 0) continue;
        writes.push({
          send: () => add(pk, `lat#${side}`, Object.fromEntries([...histogram].map(([bucket, count]) => [`b${bucket}`, count]))),
          part: part((into) => histogram.forEach((count, bucket) => into[key].set(bucket, count))),
        });
      }
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

    async read(route) {
      const pk = `shadow#${route}`;
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
      // Counters sort before and after "sample#…"; only the newest samples are read.
      const [before, after, samples] = await Promise.all([
        query("sk < :s", { ":s": "sample#" }),
        query("sk > :s", { ":s": "sample$" }),
        query("begins_with(sk, :s)", { ":s": "sample#" }, SAMPLES_READ * 2),
      ]);
      const items = [...before, ...after, ...samples];
      return toStored(items, Math.floor(now().getTime() / 1000));
    },
  };
}

function toStored(items: readonly Record<string, unknown>[], nowSeconds: number): StoredShadowStats {
  const num = (value: unknown) => (typeof value === "number" ? value : 0);
  const stats = items.find((item) => item.sk === "stats") ?? {};
  const fields: Record<string, number> = {};
  const noise: Record<string, number> = {};
  const signatures: Record<string, number> = {};
  const controlLatency: Record<number, number> = {};
  const candidateLatency: Record<number, number> = {};
  const samples: ShadowSample[] = [];
  for (const item of items) {
    const sk = String(item.sk);
    if (sk.startsWith("field#")) fields[String(item.field)] = num(item.count);
    else if (sk.startsWith("noise#")) noise[String(item.field)] = num(item.count);
    else if (sk.startsWith("sig#")) signatures[String(item.fields)] = num(item.count);
    else if (sk.startsWith("lat#")) {
      const histogram = sk === "lat#control" ? controlLatency : candidateLatency;
      for (const [name, value] of Object.entries(item)) if (/^b\d+$/.test(name)) histogram[Number(name.slice(1))] = num(value);
    } else if (sk.startsWith("sample#") && num(item.expiresAt) > nowSeconds) {
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
    compared: num(stats.compared),
    tooLarge: num(stats.tooLarge),
    candidateErrors: num(stats.candidateErrors),
    shed: num(stats.shed),
    noiseCompared: num(stats.noiseCompared),
    firstAt: typeof stats.firstAt === "string" ? stats.firstAt : null,
    lastAt: typeof stats.lastAt === "string" ? stats.lastAt : null,
    fields,
    noise,
    signatures,
    controlLatency,
    candidateLatency,
    samples: samples.slice(0, SAMPLES_READ),
  };
}
