// A collection's write under a watch: the shard reports it as a set without a
// value, and that record crosses the ring (it once tripped the outbox's
// "a set change carries its value" assertion and stopped the worker).
import { describe, expect, it } from 'vitest';
import { b } from '../core/bytes-helpers.js';
import { WatchPipeline } from './watch-pipeline.js';

describe('a hash write while changes are recorded', () => {
  it('reaches the watch as set without a value; a string set keeps its value', () => {
    const pipe = new WatchPipeline();
    const log = pipe.open('');
    expect(pipe.handle({ op: 'call', name: 'hset', args: [b('h'), b('f'), b('v')] }, 1_000).ok).toBe(true);
    expect(pipe.handle({ op: 'set', key: b('s'), value: b('x') }, 1_000).ok).toBe(true);
    expect(log.changes.map(({ change }) => [Buffer.from(change.key).toString(), change.kind, change.value && Buffer.from(change.value).toString()]))
      .toEqual([['h', 'set', null], ['s', 'set', 'x']]);
  });
});
