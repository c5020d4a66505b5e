// One group's held requests (core/shard/leader-wait.ts): oldest first, and
// bounded by count and by bytes.

import { describe, expect, it } from 'vitest';
import { LEADER_WAIT_BYTES_MAX, LEADER_WAIT_REQUESTS_MAX, LeaderWait } from '../../core/shard/leader-wait.js';

const held = (tag: number, bytes = 100, sinceTick = 0) => ({ tag, request: { op: 'count' as const }, bytes, sinceTick });

describe('LeaderWait', () => {
  it('releases oldest first and tells the oldest arrival', () => {
    const wait = new LeaderWait();
    expect(wait.oldestTick).toBe(Number.POSITIVE_INFINITY);
    for (let i = 1; i <= 3; i++) wait.push(held(i, 100, i));
    expect(wait.oldestTick).toBe(1);
    expect([wait.shift().tag, wait.shift().tag]).toEqual([1, 2]);
    expect(wait.size).toBe(1);
    expect(wait.shift().tag).toBe(3);
    expect(wait.size).toBe(0);
    expect(() => wait.shift()).toThrow();
  });

  it('holds at most LEADER_WAIT_REQUESTS_MAX requests', () => {
    const wait = new LeaderWait();
    for (let i = 0; i < LEADER_WAIT_REQUESTS_MAX; i++) wait.push(held(i, 1));
    expect(wait.fits(1)).toBe(false);
    expect(() => wait.push(held(-1, 1))).toThrow(/at most/);
    wait.shift();
    expect(wait.fits(1)).toBe(true);
  });

  it('holds at most LEADER_WAIT_BYTES_MAX bytes, freed as requests leave', () => {
    const wait = new LeaderWait();
    const big = LEADER_WAIT_BYTES_MAX / 4;
    for (let i = 0; i < 4; i++) wait.push(held(i, big));
    expect(wait.fits(1)).toBe(false);
    wait.pop();
    expect(wait.fits(big)).toBe(true);
    expect(wait.fits(big + 1)).toBe(false);
    wait.shift();
    expect(wait.fits(2 * big)).toBe(true);
  });
});
