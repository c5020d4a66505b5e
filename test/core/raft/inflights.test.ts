// The in-flight window (core/raft/inflights.ts): full by appends or by bytes,
// freed by acknowledgements, and its byte count checked against what it holds.

import { describe, expect, it } from 'vitest';
import { Inflights, RAFT_INFLIGHT_APPENDS_MAX, RAFT_INFLIGHT_BYTES_MAX } from '../../../core/raft/inflights.js';

describe('raft: the in-flight window', () => {
  it('is full at appendsMax appends, and an acknowledgement frees every append it covers', () => {
    const w = new Inflights({ appendsMax: 3, bytesMax: 1_000 });
    w.add(5, 10, 0);
    w.add(7, 10, 0);
    expect(w.full()).toBe(false);
    w.add(9, 10, 0);
    expect(w.full()).toBe(true);
    expect(() => w.add(10, 1, 0)).toThrow(/window with room/);
    w.freeTo(7);
    expect(w.count).toBe(1);
    expect(w.bytes).toBe(10);
    expect(w.full()).toBe(false);
    w.freeTo(6); // stale acknowledgement: nothing more to free
    expect(w.count).toBe(1);
    w.freeTo(9);
    expect([w.count, w.bytes]).toEqual([0, 0]);
  });

  it('is full once it holds bytesMax bytes, so one append over the budget still goes but no second', () => {
    const w = new Inflights({ appendsMax: 100, bytesMax: 100 });
    w.add(1, 60, 0);
    expect(w.full()).toBe(false);
    w.add(2, 60, 0);
    expect(w.full()).toBe(true);
    w.freeFirst();
    expect([w.count, w.bytes, w.full()]).toEqual([1, 60, false]);
  });

  it('holds appends in index order, and remembers when the oldest left', () => {
    const w = new Inflights({ appendsMax: 4, bytesMax: 100 });
    w.add(3, 1, 7);
    w.add(4, 1, 8);
    expect(w.oldestSentAtAnswers()).toBe(7);
    expect(() => w.add(4, 1, 8)).toThrow(/increasing indexes/);
    w.clear();
    expect([w.count, w.bytes, w.oldestSentAtAnswers()]).toEqual([0, 0, undefined]);
  });

  it('the planted double free is caught by the window\'s own check by the time the window empties', () => {
    const w = new Inflights({ appendsMax: 4, bytesMax: 100 }, true);
    w.add(3, 10, 0);
    w.add(4, 10, 0);
    w.freeTo(3); // 20 - 2·10: the count looks plausible
    expect(() => w.freeTo(4)).toThrow(/in-flight bytes -20/);
  });

  it('the defaults keep a full append in the byte budget', () => {
    expect(RAFT_INFLIGHT_APPENDS_MAX).toBe(256);
    expect(RAFT_INFLIGHT_BYTES_MAX).toBeGreaterThanOrEqual(1024 * 1024);
  });
});
