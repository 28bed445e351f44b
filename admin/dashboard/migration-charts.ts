import { h, type Html } from "./view.ts";

const WIDTH = 560;
const HEIGHT = 140;
const LEFT = 40;
const BOTTOM = 18;
const TOP = 8;
const PLOT_WIDTH = WIDTH - LEFT - 5;
const PLOT_HEIGHT = HEIGHT - BOTTOM - TOP;

/** Stage colours (migration/route-stage.ts), from not started (grey) to done (green). */
const STAGE_COLORS: Readonly<Record<string, string>> = { legacy: "#94a3b8", "dual-write": "#a78bfa", shadow: "#d97706", split: "#2563eb", "read-through": "#0d9488", new: "#059669" };
const OTHER_COLOR = "#7c3aed";

/** One step of a stacked chart: from `at` until the next step (the last until `until`). */
export interface StackedStep {
  readonly at: string;
  readonly counts: Readonly<Record<string, number>>;
  /** What hovering the step says (its <title>). */
  readonly hover: string;
  /** An attribute value naming the step (its version). */
  readonly id: string;
}

const minute = (iso: string) => iso.slice(0, 16).replace("T", " ");

/**
 * Counts per stage over time as a stepped, stacked area (inline SVG, no script): each step
 * holds until the next one. Every step is at least a few pixels wide whatever its duration,
 * so that each can be hovered; its <title> gives the numbers.
 */
export function stackedChart(title: string, stages: readonly string[], steps: readonly StackedStep[], until: string): Html {
  if (steps.length === 0) return h`<figure class="chart"><figcaption>${title}</figcaption><p class="muted">no table version yet</p></figure>`;
  const t0 = Date.parse(steps[0]?.at ?? until);
  const span = Math.max(1, Date.parse(until) - t0);
  const minWidth = Math.min(6, PLOT_WIDTH / (2 * steps.length));
  const spare = PLOT_WIDTH - minWidth * steps.length;
  const x = (index: number) => LEFT + index * minWidth + (((index < steps.length ? Date.parse(steps[index]?.at ?? until) : Date.parse(until)) - t0) / span) * spare;
  const max = Math.max(1, ...steps.map((step) => stages.reduce((sum, stage) => sum + (step.counts[stage] ?? 0), 0)));
  const unit = PLOT_HEIGHT / max;
  const columns = steps.map((step, index) => {
    let base = HEIGHT - BOTTOM;
    const rects = stages.map((stage) => {
      const height = (step.counts[stage] ?? 0) * unit;
      base -= height;
      return height === 0 ? "" : h`<rect x="${x(index).toFixed(1)}" y="${base.toFixed(1)}" width="${(x(index + 1) - x(index)).toFixed(1)}" height="${height.toFixed(1)}" fill="${STAGE_COLORS[stage] ?? OTHER_COLOR}"/>`;
    });
    return h`<g data-point="${step.id}">${rects}<rect x="${x(index).toFixed(1)}" y="${TOP}" width="${(x(index + 1) - x(index)).toFixed(1)}" height="${PLOT_HEIGHT}" fill="transparent"><title>${step.hover}</title></rect></g>`;
  });
  return h`<figure class="chart"><figcaption>${title}</figcaption>
<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${title}">
<text x="0" y="${TOP + 10}" font-size="11">${max}</text><text x="0" y="${HEIGHT - BOTTOM}" font-size="11">0</text>
<text x="${LEFT}" y="${HEIGHT - 3}" font-size="11">${minute(steps[0]?.at ?? until)}</text><text x="${WIDTH - 5}" y="${HEIGHT - 3}" font-size="11" text-anchor="end">${minute(until)}</text>
${columns}</svg>
<div class="legend">${stages.map((stage) => h`<span style="color:${STAGE_COLORS[stage] ?? OTHER_COLOR}">■ ${stage}</span>`)}</div></figure>`;
}

/** One bar of `hourBars`. */
export interface HourBar {
  readonly at: string;
  /** null: nothing to measure that hour (no bar). */
  readonly value: number | null;
  readonly hover: string;
}

/** Bars over time, scaled to the largest (inline SVG, no script); each bar's <title> gives its numbers. */
export function hourBars(title: string, bars: readonly HourBar[], maxLabel: (max: number) => string): Html {
  if (bars.length === 0) return h`<figure class="chart"><figcaption>${title}</figcaption><p class="muted">nothing measured yet</p></figure>`;
  const max = Math.max(Number.MIN_VALUE, ...bars.map((bar) => bar.value ?? 0));
  const step = PLOT_WIDTH / bars.length;
  return h`<figure class="chart"><figcaption>${title}</figcaption>
<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${title}">
<text x="0" y="${TOP + 10}" font-size="11">${maxLabel(max)}</text><text x="0" y="${HEIGHT - BOTTOM}" font-size="11">0</text>
<text x="${LEFT}" y="${HEIGHT - 3}" font-size="11">${minute(bars[0]?.at ?? "")}</text><text x="${WIDTH - 5}" y="${HEIGHT - 3}" font-size="11" text-anchor="end">${minute(bars.at(-1)?.at ?? "")}</text>
<line x1="${LEFT}" y1="${HEIGHT - BOTTOM}" x2="${WIDTH - 5}" y2="${HEIGHT - BOTTOM}" stroke="#ccc"/>
${bars.map((bar, i) => {
  const height = ((bar.value ?? 0) / max) * PLOT_HEIGHT;
  return h`<rect data-bar x="${(LEFT + i * step + 1).toFixed(1)}" y="${(HEIGHT - BOTTOM - height).toFixed(1)}" width="${Math.max(1, step - 2).toFixed(1)}" height="${Math.max(height, 1).toFixed(1)}" fill="${bar.value === null ? "#e5e7eb" : "#d97706"}"><title>${bar.hover}</title></rect>`;
})}</svg></figure>`;
}
