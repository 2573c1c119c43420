/**
 * Count and sum of events over a trailing window, in fixed buckets, so the plugin's
 * "per recent period" gauges (slow queries, query count, response time) move with traffic
 * and fall back when it stops, without keeping every event.
 */
export class SlidingWindow {
  private readonly counts: Float64Array;
  private readonly sums: Float64Array;
  private readonly stamps: Float64Array;
  private readonly bucketMs: number;

  constructor(
    readonly windowMs = 300_000,
    buckets = 30,
    private readonly now: () => number = Date.now,
  ) {
    this.bucketMs = windowMs / buckets;
    this.counts = new Float64Array(buckets);
    this.sums = new Float64Array(buckets);
    this.stamps = new Float64Array(buckets).fill(-1);
  }

  add(value = 1): void {
    const slot = Math.floor(this.now() / this.bucketMs);
    const i = slot % this.counts.length;
    if (this.stamps[i] !== slot) {
      this.stamps[i] = slot;
      this.counts[i] = 0;
      this.sums[i] = 0;
    }
    this.counts[i]! += 1;
    this.sums[i]! += value;
  }

  /** Events and their summed values inside the window. */
  totals(): { count: number; sum: number } {
    const current = Math.floor(this.now() / this.bucketMs);
    let count = 0;
    let sum = 0;
    for (let i = 0; i < this.counts.length; i++) {
      if (this.stamps[i]! > current - this.counts.length) {
        count += this.counts[i]!;
        sum += this.sums[i]!;
      }
    }
    return { count, sum };
  }
}
