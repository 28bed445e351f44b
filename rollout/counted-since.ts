import type { NormalizedStep } from "./plan.ts";

/**
 * From when a step's traffic counts (epoch ms) for the counts its gates read (not the evidence
 * cells of a split): a read-through step judges its last `minDuration` — the backfill is done
 * when nothing fell back for that long, whatever fell back before — or its whole window when
 * that is 0; every other step, its whole window.
 */
export function countedSince(step: NormalizedStep | undefined, openedAt: number, now: number): number {
  if (step?.type !== "readThrough" || step.minDurationMs <= 0) return openedAt;
  return Math.max(openedAt, now - step.minDurationMs);
}
