/** One copy's claim on the isolate: a slot, and the body bytes it holds. */
export interface CopyLease {
  /** Takes `bytes` more from the budget; false (and nothing taken) when it is spent. */
  take(bytes: number): boolean;
  /** Frees the slot and every byte taken. Safe to call more than once. */
  release(): void;
}

/** Copies of requests held in an isolate at once, and their bytes: a slow backend or large bodies cannot pile up memory. */
export interface CopyBudget {
  /** A slot for one copy, or undefined when too many copies or bytes are in flight. Release it on every exit. */
  tryStart(): CopyLease | undefined;
  /** Copies and bytes in flight now. */
  inflight(): { readonly copies: number; readonly bytes: number };
}

/** Dual-write bodies held in an isolate at once (of its 128 MB), besides the shadow's own budget. */
export const DEFAULT_COPY_BUDGET_BYTES = 16 * 1024 * 1024;

/**
 * A per-isolate bound on copies in flight and the bytes they hold, so that memory is bounded
 * by construction: one for the dual writes, one inside the ShadowRecorder for shadow copies.
 */
export function createCopyBudget(options: { readonly maxInflight?: number; readonly maxBytes?: number } = {}): CopyBudget {
  const maxInflight = options.maxInflight ?? 32;
  const maxBytes = options.maxBytes ?? DEFAULT_COPY_BUDGET_BYTES;
  let inflight = 0;
  let bytes = 0;
  return {
    tryStart() {
      if (inflight >= maxInflight || bytes >= maxBytes) return undefined;
      inflight++;
      let held = 0;
      let released = false;
      return {
        take(more) {
          if (released || bytes + more > maxBytes) return false;
          bytes += more;
          held += more;
          return true;
        },
        release() {
          if (released) return;
          released = true;
          inflight--;
          bytes -= held;
        },
      };
    },
    inflight: () => ({ copies: inflight, bytes }),
  };
}
