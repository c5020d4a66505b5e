// The counters Redis's INFO stats section shows, as views over the node's
// monotonic counters: CONFIG RESETSTAT moves a baseline instead of zeroing
// anything, so the Prometheus counters behind them never go backwards
// (Prometheus reads a drop as a restart).

/** A monotonic count and what it was at the last reset. */
export class ResettableCount {
  private total = 0;
  private base = 0;

  add(n: number): void {
    this.total += n;
  }

  /** Since the node started (for Prometheus). */
  get sinceStart(): number {
    return this.total;
  }

  /** Since the node started or the last reset (for INFO). */
  get sinceReset(): number {
    return this.total - this.base;
  }

  reset(): void {
    this.base = this.total;
  }
}

/**
 * Commands per second over the last full sampling period, as Redis's
 * instantaneous_ops_per_sec (Redis samples every 100 ms and averages 16
 * samples; one period of a second is simpler and as useful).
 */
export class OpsRate {
  private lastTotal = 0;
  private lastAtMs: number;
  private rate = 0;

  constructor(nowMs: number) {
    this.lastAtMs = nowMs;
  }

  sample(total: number, nowMs: number): void {
    const elapsedMs = nowMs - this.lastAtMs;
    if (elapsedMs <= 0) return;
    this.rate = ((total - this.lastTotal) * 1000) / elapsedMs;
    this.lastTotal = total;
    this.lastAtMs = nowMs;
  }

  get perSecond(): number {
    return Math.round(this.rate);
  }
}
