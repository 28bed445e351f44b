import { escapeHtml } from "../lib/escape-html.ts";

/** A small horizontal bar chart as SVG (no dependencies). */
export function barChart(title: string, bars: readonly { label: string; value: number }[]): string {
  const width = 720;
  const barHeight = 28;
  const labelWidth = 200;
  const top = 40;
  const max = Math.max(...bars.map((b) => b.value), 1);
  const height = top + bars.length * (barHeight + 10) + 20;
  const rows = bars
    .map((bar, i) => {
      const y = top + i * (barHeight + 10);
      const w = Math.max(1, ((width - labelWidth - 90) * bar.value) / max);
      const fill = bar.label.startsWith("cutover") ? "#f38020" : "#8a94a6";
      return `  <text x="${labelWidth - 10}" y="${y + barHeight * 0.68}" text-anchor="end">${escapeHtml(bar.label)}</text>
  <rect x="${labelWidth}" y="${y}" width="${w.toFixed(1)}" height="${barHeight}" fill="${fill}"/>
  <text x="${(labelWidth + w + 8).toFixed(1)}" y="${y + barHeight * 0.68}">${Math.round(bar.value).toLocaleString("en-US")}</text>`;
    })
    .join("\n");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="system-ui, sans-serif" font-size="14">
  <rect width="100%" height="100%" fill="white"/>
  <text x="10" y="24" font-size="16" font-weight="bold">${escapeHtml(title)}</text>
${rows}
</svg>
`;
}
