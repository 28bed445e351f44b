/**
 * The most frequent keys of a stream in bounded memory (Space-Saving, Metwally et al. 2005):
 * at most `capacity` keys are watched; a new key replaces the least counted one and inherits
 * its count (so counts can be over, never under, by at most that inherited `error`). Any key
 * seen more than N / capacity times in N events is sure to be watched. The watched keys sit
 * in a min-heap by count, so that counting a key costs O(log capacity), new or not.
 */
export interface HeavyHitter<D> {
  readonly key: string;
  readonly count: number;
  /** How much of `count` may belong to keys it replaced. */
  readonly error: number;
  readonly detail: D;
}

interface Slot<D> {
  readonly key: string;
  count: number;
  readonly error: number;
  readonly detail: D;
  /** Where it sits in the heap. */
  index: number;
}

export class HeavyHitters<D> {
  readonly #capacity: number;
  readonly #fresh: () => D;
  readonly #entries = new Map<string, Slot<D>>();
  readonly #heap: Slot<D>[] = [];

  constructor(capacity: number, fresh: () => D) {
    this.#capacity = capacity;
    this.#fresh = fresh;
  }

  /** Counts `key` once (or `times`), returning its entry so the caller can add details. */
  add(key: string, times = 1): HeavyHitter<D> {
    const heap = this.#heap;
    let entry = this.#entries.get(key);
    if (entry === undefined) {
      if (heap.length < this.#capacity) {
        entry = { key, count: times, error: 0, detail: this.#fresh(), index: heap.length };
        heap.push(entry);
        this.#entries.set(key, entry);
        this.#siftUp(entry.index);
        return entry;
      }
      const least = heap[0] as Slot<D>;
      this.#entries.delete(least.key);
      entry = { key, count: least.count, error: least.count, detail: this.#fresh(), index: 0 };
      heap[0] = entry;
      this.#entries.set(key, entry);
    }
    entry.count += times;
    this.#siftDown(entry.index);
    return entry;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Watched keys, most counted first. */
  top(limit = Number.POSITIVE_INFINITY): HeavyHitter<D>[] {
    return [...this.#heap].sort((a, b) => b.count - a.count).slice(0, limit);
  }

  #siftUp(at: number): void {
    const heap = this.#heap;
    let index = at;
    const entry = heap[index] as Slot<D>;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = heap[parentIndex] as Slot<D>;
      if (parent.count <= entry.count) break;
      heap[index] = parent;
      parent.index = index;
      index = parentIndex;
    }
    heap[index] = entry;
    entry.index = index;
  }

  #siftDown(at: number): void {
    const heap = this.#heap;
    let index = at;
    const entry = heap[index] as Slot<D>;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && (heap[right] as Slot<D>).count < (heap[left] as Slot<D>).count ? right : left;
      const smaller = heap[child] as Slot<D>;
      if (smaller.count >= entry.count) break;
      heap[index] = smaller;
      smaller.index = index;
      index = child;
    }
    heap[index] = entry;
    entry.index = index;
  }
}
