import { describe, expect, it } from 'vitest';
import { checkHistory, historyFromEvents, type Operation } from '../../core/checker/index.js';
import { history } from './history-builder.js';
import { SeededChoices, simulateHistory } from './simulated-history.js';

function bigHistory(seed: number, processes: number, keys: number, opsCount: number): Operation[] {
  const events = simulateHistory(new SeededChoices(seed, Number.MAX_SAFE_INTEGER), { processes, keys, opsMax: opsCount });
  const r = historyFromEvents(events);
  if (!r.ok) throw new Error(r.message);
  return r.ops;
}

// The brief: ~10,000 ops over ~50 keys with up to ~10 concurrent processes
// in well under a second. A test must not time itself (a loaded machine makes
// it flaky; docs/checker.md quotes the measured time), so these bound the
// search's work instead: steps, which the wall time follows.
describe('checkHistory work on big histories', () => {
  it('checks 10,000 ops over 50 keys from 10 processes within 25 search steps per operation (about 12 measured)', () => {
    const ops = bigHistory(42, 10, 50, 10_000);
    expect(ops.length).toBeGreaterThanOrEqual(10_000);
    const result = checkHistory(ops);
    expect(result.linearizable).toBe(true);
    if (result.linearizable === true) expect(result.steps).toBeLessThan(25 * ops.length);
  });

  it('finds and shrinks a violation in the same history to a window of at most 3', () => {
    const ops = bigHistory(7, 10, 50, 10_000);
    const reads = ops.filter((op) => op.f === 'read' && op.type === 'ok');
    const victim = reads[Math.floor(reads.length / 2)]!;
    const mutated = ops.map((op) => (op === victim ? { ...op, value: 'never-written' } : op));
    const result = checkHistory(mutated);
    expect(result).toMatchObject({ linearizable: false, key: victim.key });
    if (result.linearizable === false) expect(result.window.length).toBeLessThanOrEqual(3);
  });

  it('checks 10,000 ops on a single key from 10 processes within 175 search steps per operation (about 86 measured)', () => {
    const ops = bigHistory(3, 10, 1, 10_000);
    const result = checkHistory(ops);
    expect(result.linearizable).toBe(true);
    if (result.linearizable === true) expect(result.steps).toBeLessThan(175 * ops.length);
  });
});

// Info (crashed) writes are each a choice that stays open to the end: n of
// them naively make 2^n configurations. The search's pruning rules keep
// these histories cheap; without them each needs millions of steps.
describe('checkHistory on histories full of info writes', () => {
  it('refutes n concurrent info writes read back in an impossible order', () => {
    const h = history();
    const n = 40;
    for (let i = 0; i < n; i++) h.invoke(i, 'write', 'a', `v${i}`);
    for (let i = 0; i < n; i++) h.info(i);
    for (let i = 0; i < n; i++) h.read(100, 'a', `v${i}`);
    h.read(100, 'a', 'v0'); // v0 can take effect only once
    expect(checkHistory(h.ops(), { stepsMax: 100_000 })).toMatchObject({ linearizable: false });
  });

  it('refutes info writes interleaved with acknowledged writes', () => {
    const h = history();
    const n = 16;
    for (let i = 0; i < n; i++) h.invoke(i, 'write', 'a', `v${i}`);
    for (let i = 0; i < n; i++) h.info(i);
    for (let j = 0; j < 20; j++) h.write(100, 'a', `a${j}`).read(100, 'a', `a${j}`);
    for (let i = 0; i < n; i++) h.read(100, 'a', `v${i}`);
    h.read(100, 'a', 'v0');
    const result = checkHistory(h.ops(), { stepsMax: 100_000 });
    expect(result).toMatchObject({ linearizable: false });
    // The window: the reads from v0 on, and the info writes they need.
    if (result.linearizable === false) expect(result.window.length).toBeLessThanOrEqual(6);
  });
});
