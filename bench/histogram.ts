// A log-linear latency histogram in the manner of HdrHistogram: values below
// SUB_BUCKETS are counted exactly; above, each power of two is split into
// SUB_BUCKETS/2 equal buckets, so any recorded value is known to within
// 2/SUB_BUCKETS of itself (1.6% with 128). Memory is a few thousand counters
// whatever the sample count, and histograms from several threads merge by
// adding counts (they travel between threads as a plain Float64Array).
//
// Values are non-negative integers in whatever unit the caller picks (the
// load generator records nanoseconds).

/** Linear buckets below the first power-of-two split; sets the relative precision (2/128 = 1.6%). */
const SUB_BUCKET_BITS = 7;
const TWO_POW_32 = 2 ** 32;
const SUB_BUCKETS = 1 << SUB_BUCKET_BITS;
const HALF = SUB_BUCKETS / 2;
/** Largest power of two tracked: 2^40 ns is 18 minutes, far beyond any request. Larger values clamp. */
const MAGNITUDE_BITS_MAX = 40;
export const HISTOGRAM_VALUE_MAX = 2 ** MAGNITUDE_BITS_MAX - 1;
const BUCKETS = bucketIndex(HISTOGRAM_VALUE_MAX) + 1;

function floorLog2(v: number): number {
  return v < TWO_POW_32 ? 31 - Math.clz32(v) : 63 - Math.clz32(Math.floor(v / TWO_POW_32));
}

function bucketIndex(v: number): number {
  if (v < SUB_BUCKETS) return v;
  const shift = floorLog2(v) - (SUB_BUCKET_BITS - 1);
  return shift * HALF + Math.floor(v / 2 ** shift);
}

/** Smallest value that lands in bucket `index`. */
function bucketLow(index: number): number {
  if (index < SUB_BUCKETS) return index;
  const shift = Math.floor(index / HALF) - 1;
  return (index - shift * HALF) * 2 ** shift;
}

/** Largest value that lands in bucket `index`. */
function bucketHigh(index: number): number {
  return index + 1 < BUCKETS ? bucketLow(index + 1) - 1 : HISTOGRAM_VALUE_MAX;
}

export class LatencyHistogram {
  readonly counts: Float64Array;
  count = 0;
  min = Infinity;
  max = 0;
  private sum = 0;

  constructor(counts?: Float64Array) {
    this.counts = counts ?? new Float64Array(BUCKETS);
    if (counts) this.recomputeSummary();
  }

  record(value: number): void {
    const v = value <= 0 ? 0 : value >= HISTOGRAM_VALUE_MAX ? HISTOGRAM_VALUE_MAX : Math.floor(value);
    this.counts[bucketIndex(v)]!++;
    this.count++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  /** Add another histogram's counts to this one. */
  merge(other: LatencyHistogram): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i]! += other.counts[i]!;
    this.count += other.count;
    this.sum += other.sum;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
  }

  /** Mean of the recorded values (exact, not bucketed). */
  get mean(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }

  /**
   * The value at percentile `p` (0..100): the highest value of the bucket the
   * p-th sample falls in, clamped to the observed range, so it never
   * understates (HdrHistogram's "highest equivalent value").
   */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(Math.max(bucketHigh(i), this.min), this.max);
    }
    return this.max;
  }

  /** Counts plus exact sum/min/max, for sending to another thread. */
  toTransfer(): HistogramTransfer {
    return { counts: this.counts, sum: this.sum, min: this.min, max: this.max };
  }

  static fromTransfer(t: HistogramTransfer): LatencyHistogram {
    const h = new LatencyHistogram(t.counts);
    h.sum = t.sum;
    h.min = t.min;
    h.max = t.max;
    return h;
  }

  private recomputeSummary(): void {
    let count = 0;
    let sum = 0;
    for (let i = 0; i < BUCKETS; i++) {
      const c = this.counts[i]!;
      if (c === 0) continue;
      count += c;
      // Without exact sums, assume the bucket midpoint.
      sum += c * (bucketLow(i) + bucketHigh(i)) / 2;
      if (bucketLow(i) < this.min) this.min = bucketLow(i);
      this.max = bucketHigh(i);
    }
    this.count = count;
    this.sum = sum;
  }
}

export interface HistogramTransfer {
  counts: Float64Array;
  sum: number;
  min: number;
  max: number;
}
