import parsePrometheusTextFormat, { type ParsedFamily } from "parse-prometheus-text-format";

export interface SeriesValue {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/**
 * An exposition body read with parse-prometheus-text-format (a port of Prometheus' parser,
 * which throws on a malformed line): its families as parsed, and each sample name's series
 * with their labels. The parser flattens a labelled histogram into one set of buckets for
 * all its series, so `series` reads the text again with the histograms' HELP and TYPE lines
 * left out: then each line of `_bucket` and `_count` keeps its labels.
 */
export function readExposition(text: string): { families: ParsedFamily[]; series(name: string): SeriesValue[] } {
  const families = parsePrometheusTextFormat(text);
  const histograms = new Set(families.filter((family) => family.type === "HISTOGRAM").map((family) => family.name));
  const untyped = parsePrometheusTextFormat(
    text
      .split("\n")
      .filter((line) => !/^# (HELP|TYPE) /.test(line) || !histograms.has(line.split(" ")[2] ?? ""))
      .join("\n"),
  );
  return {
    families,
    // Untyped, a histogram's `_bucket` and `_count` lines alternate series by series: each run is a family of its own.
    series: (name) =>
      untyped
        .filter((family) => family.name === name)
        .flatMap((family) => family.metrics)
        .map((sample) => ({ labels: { ...sample.labels }, value: Number(sample.value) })),
  };
}
