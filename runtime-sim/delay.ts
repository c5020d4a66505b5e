// Delay distributions for messages and thread wake-ups: a fixed base plus an
// exponential tail, truncated at a cap. Truncation matters: after quiesce the
// liveness check needs a bound on how late a message can be, and a real
// network's tail is long but not infinite.

import { assert } from '../core/assert.js';
import type { Random } from '../core/random.js';

export interface DelaySpec {
  /** Smallest delay (propagation, syscall), µs. */
  baseUs: number;
  /** Mean of the exponential tail added to the base, µs. */
  tailMeanUs: number;
  /** Largest tail, µs. */
  tailCapUs: number;
}

export function checkDelaySpec(spec: DelaySpec): void {
  assert(Number.isSafeInteger(spec.baseUs) && spec.baseUs >= 0, 'delay base must be a non-negative integer');
  assert(spec.tailMeanUs >= 0 && Number.isFinite(spec.tailMeanUs), 'delay tail mean must be finite and non-negative');
  assert(Number.isSafeInteger(spec.tailCapUs) && spec.tailCapUs >= 0, 'delay tail cap must be a non-negative integer');
}

/** A delay in whole µs: base + min(cap, Exp(mean)). */
export function sampleDelayUs(rng: Random, spec: DelaySpec): number {
  if (spec.tailMeanUs === 0) return spec.baseUs;
  // 1 - float() is in (0, 1], so the log is finite. Math.log is V8's own
  // port of fdlibm, so the same Node version gives the same result on every
  // machine (the trace hash depends on it).
  const tail = -spec.tailMeanUs * Math.log(1 - rng.float());
  return spec.baseUs + Math.min(spec.tailCapUs, Math.floor(tail));
}

/** The largest delay `sampleDelayUs` can return. */
export function maxDelayUs(spec: DelaySpec): number {
  return spec.baseUs + (spec.tailMeanUs === 0 ? 0 : spec.tailCapUs);
}

export function formatDelay(spec: DelaySpec): string {
  return `base=${formatUs(spec.baseUs)} tail-mean=${formatUs(spec.tailMeanUs)} tail-cap=${formatUs(spec.tailCapUs)}`;
}

/** A duration for reports: µs below 1 ms, else ms with up to three decimals. */
export function formatUs(us: number): string {
  if (us < 1000) return `${Math.round(us)}us`;
  return `${(Math.round(us) / 1000).toFixed(3).replace(/\.?0+$/, '')}ms`;
}
