import type { CostReport } from "../cost/cost-report.ts";
import type { Estimate } from "../cost/estimate.ts";
import type { LegacyProjection } from "../cost/legacy-projection.ts";
import { alignColumns } from "./table-output.ts";

const SPARK = "▁▂▃▄▅▆▇█";

/** `cutover cost` for people: the estimates, the reason for each unknown, and with `formulas` how every figure was reached. */
export function formatCostReport(report: CostReport, formulas: boolean): string {
  const money = (figure: Estimate) => (figure.value === null ? "unknown" : figureText(figure.value, figure.unit, report.currency));
  const hours = Math.round((report.windowSeconds / 3600) * 10) / 10;
  const notes: string[] = [];
  const noted = (figure: Estimate) => {
    if (figure.kind === "estimate") return money(figure);
    if (!notes.includes(figure.reason)) notes.push(figure.reason);
    return `unknown (${notes.indexOf(figure.reason) + 1})`;
  };
  const rows = [["ROUTE", "SERVED", "ON LEGACY", "LEGACY /MONTH", "NEW BACKENDS NOW /MONTH", "ALL ON NEW /MONTH"]];
  for (const route of report.routes) {
    const onNew = Object.entries(route.onNew).map(([backend, figure]) => `${backend} ${noted(figure)}`).join(", ") || "-";
    const allOnNew = Object.entries(route.allOnNew).map(([backend, figure]) => `${backend} ${noted(figure)}`).join(", ") || "-";
    rows.push([route.route, String(route.served), route.served === 0 ? "-" : percent(route.legacyServed / route.served), noted(route.legacy), onNew, allOnNew]);
  }
  const share = report.legacyShare.points.map((point) => `  ${point.at.slice(0, report.legacyShare.step === "day" ? 10 : 13).replace("T", " ")}${report.legacyShare.step === "hour" ? ":00" : ""}  ${bar(point.share.value)}  ${percent(point.share.value)} of ${point.allServed}`);
  const projection = (label: string, p: LegacyProjection) => {
    if (p.bill.kind === "unknown") return [label, "unknown", p.bill.reason, ""];
    const dynos = p.dynosNeeded.value ?? 0;
    const peak = p.peakHour === null ? "no legacy traffic left" : `peak ${money(p.peakConcurrency)} requests at once (${p.peakHour.slice(0, 13).replace("T", " ")}:00)`;
    return [label, `${dynos} dyno${dynos === 1 ? "" : "s"} → ${money(p.bill)}`, peak, `saves ${money(p.saving)}`];
  };
  const { now, afterMigrating, allMoved } = report.projections;
  const lines = [
    `Cost estimates from traffic ${report.from.slice(0, 16).replace("T", " ")} → ${report.until.slice(0, 16).replace("T", " ")} UTC (${hours} h, × ${round(report.monthFactor, 2)} to a 730-hour month); legacy backend: ${report.legacyBackend}.`,
    report.notice,
    "",
    `Legacy bill now: ${money(report.legacyBill)} a month (${report.legacyBill.inputs.dynos} × ${report.legacyBill.inputs.dynoType} at ${moneyText(Number(report.legacyBill.inputs.pricePerDyno), report.currency)} + add-ons ${moneyText(Number(report.legacyBill.inputs.addOns), report.currency)}).`,
    "",
    alignColumns(rows, ""),
    "",
    `On new backends now, all routes: ${noted(report.newBackendsTotal)} a month.`,
    "",
    `Legacy's share of requests served, per ${report.legacyShare.step}:`,
    ...(share.length === 0 ? ["  no traffic in the window"] : share),
    "",
    "What the legacy bill could become (dynos needed at the busiest hour of what stays on legacy):",
    alignColumns([
      projection("as measured", now),
      projection(`once ${afterMigrating.moved.length === 0 ? "nothing" : afterMigrating.moved.join(", ")} move${afterMigrating.moved.length === 1 ? "s" : ""}`, afterMigrating),
      projection("once everything has moved", allMoved),
    ]),
  ];
  if (notes.length > 0) lines.push("", "Unknown:", ...notes.map((note, i) => `  (${i + 1}) ${note}`));
  if (formulas) {
    lines.push("", "How each figure was reached:");
    const explain = (name: string, figure: Estimate) => lines.push(`  ${name} = ${money(figure)}`, `    ${figure.formula}`, `    ${Object.entries(figure.inputs).map(([key, value]) => `${key}=${value}`).join(" ") || "(no inputs)"}`);
    explain("legacy bill", report.legacyBill);
    for (const route of report.routes) {
      explain(`${route.route}, legacy`, route.legacy);
      for (const [backend, figure] of Object.entries(route.onNew)) explain(`${route.route}, on ${backend} now`, figure);
      for (const [backend, figure] of Object.entries(route.allOnNew)) explain(`${route.route}, all on ${backend}`, figure);
    }
    for (const [name, p] of Object.entries(report.projections)) {
      explain(`${name}: peak concurrency`, p.peakConcurrency);
      explain(`${name}: dynos needed`, p.dynosNeeded);
      explain(`${name}: legacy bill`, p.bill);
    }
  } else lines.push("", "--formulas shows how each figure was reached; --json gives them all.");
  return lines.join("\n");
}

function figureText(value: number, unit: Estimate["unit"], currency: string): string {
  if (unit === "share") return percent(value);
  if (unit === "dynos") return String(value);
  if (unit === "at once") return value === 0 || value >= 10 ? String(round(value, 1)) : String(Number(value.toPrecision(2)));
  return moneyText(value, currency);
}

function moneyText(value: number, currency: string): string {
  const text = value > 0 && value < 0.01 ? "< 0.01" : value.toFixed(2);
  return currency === "USD" ? (text.startsWith("<") ? `< $0.01` : `$${text}`) : `${text} ${currency}`;
}

function percent(value: number | null): string {
  return value === null ? "-" : `${round(value * 100, 1)} %`;
}

function bar(value: number | null): string {
  return value === null ? " " : (SPARK[Math.min(SPARK.length - 1, Math.floor(value * SPARK.length))] ?? " ");
}

function round(value: number, places: number): number {
  return Math.round(value * 10 ** places) / 10 ** places;
}
