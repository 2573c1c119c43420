import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/** Recent request durations in a fixed ring, for percentiles in /health/detailed. */
export class LatencyWindow {
  private readonly ring: Float64Array;
  private n = 0;
  private i = 0;
  private loop: IntervalHistogram;

  constructor(size = 2048) {
    this.ring = new Float64Array(size);
    this.loop = monitorEventLoopDelay({ resolution: 20 });
    this.loop.enable();
  }

  record(ms: number): void {
    this.ring[this.i] = ms;
    this.i = (this.i + 1) % this.ring.length;
    this.n = Math.min(this.n + 1, this.ring.length);
  }

  percentiles(): { p50: number; p95: number; p99: number; samples: number } {
    if (!this.n) return { p50: 0, p95: 0, p99: 0, samples: 0 };
    const sorted = Array.from(this.ring.subarray(0, this.n)).sort((a, b) => a - b);
    const at = (p: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! * 100) / 100;
    return { p50: at(0.5), p95: at(0.95), p99: at(0.99), samples: this.n };
  }

  /** Event-loop delay in ms (mean and p99 since the last call), then reset. */
  eventLoopLag(): { mean: number; p99: number; max: number } {
    const r = { mean: this.loop.mean / 1e6, p99: this.loop.percentile(99) / 1e6, max: this.loop.max / 1e6 };
    this.loop.reset();
    return { mean: Math.round(r.mean * 100) / 100 || 0, p99: Math.round(r.p99 * 100) / 100 || 0, max: Math.round(r.max * 100) / 100 || 0 };
  }

  stop(): void {
    this.loop.disable();
  }
}
