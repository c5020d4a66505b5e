// The gateway's merged watch (runtime-node/watch/merged-watch.ts) against
// scripted node watches: groups spread over the nodes holding them; the ok
// only once every node watch is live, with the union of their positions; a
// failed node watch's groups resumed on another replica from the positions
// last handed; COMPACTED tried on another replica; UNAVAILABLE after
// RELAY_RETRIES_MAX failures in a row; pause and pump.

import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConnectionClosedError, PiccoloError } from '../../client/errors.js';
import type { WatchChange } from '../../client/watch.js';
import type { ErrorName } from '../../core/errors.js';
import { SEQ_END } from '../../core/watch/change.js';
import { decodeResumeToken, encodeResumeToken, type TokenPosition } from '../../core/watch/resume-token.js';
import { MergedWatch, RELAY_RETRIES_MAX, type MergeDeps } from '../../runtime-node/watch/merged-watch.js';

const LOG = 42;
const REPLICAS: Record<number, string[]> = { 0: ['a', 'b'], 1: ['b', 'c'], 2: ['c', 'a'] };

/** A token of these (group, index, seq) positions. */
const token = (positions: [number, number, number][]): string =>
  encodeResumeToken({ positions: new Map(positions.map(([g, index, seq]): [number, TokenPosition] => [g, { logId: LOG, index, seq }])) });

/** One scripted node watch: what it was opened with, and a queue the test fills. */
class NodeScript {
  readonly queue: (WatchChange | Error)[] = [];
  private wake: (() => void) | null = null;
  closed = false;

  constructor(readonly endpoint: string, readonly groups: readonly number[] | null, readonly after: string | null, readonly onLive: (resume: string) => void) {}

  push(item: WatchChange | Error): void {
    this.queue.push(item);
    this.wake?.();
  }

  iterator(): AsyncIterator<WatchChange> {
    return {
      next: async () => {
        while (this.queue.length === 0) await new Promise<void>((r) => { this.wake = r; });
        const item = this.queue.shift()!;
        if (item instanceof Error) throw item;
        return { done: false, value: item };
      },
      return: async () => { this.closed = true; return { done: true, value: undefined }; },
    };
  }

  /** A change of `group` at `index` (its node's token covers its own groups, at their latest). */
  change(key: string, group: number, index: number, others: [number, number, number][] = []): void {
    this.push({ key: new TextEncoder().encode(key), kind: 'set', value: new Uint8Array(0), version: index, resume: token([[group, index, 0], ...others]) });
  }
}

interface Harness {
  nodes: NodeScript[];
  events: { ready: string[]; changes: { key: string; resume: string }[]; ended: { code: ErrorName; message: string } | null; more: boolean };
  watch: MergedWatch;
  suspects: Set<string>;
}

function harness(groups: number[], after: string | null = null): Harness {
  const nodes: NodeScript[] = [];
  const suspects = new Set<string>();
  const events: Harness['events'] = { ready: [], changes: [], ended: null, more: true };
  const deps: MergeDeps = {
    load: new Map(),
    replicasOf: (g) => REPLICAS[g]!,
    openNode: (endpoint, nodeGroups, nodeAfter, onLive) => {
      const script = new NodeScript(endpoint, nodeGroups, nodeAfter, onLive);
      nodes.push(script);
      return script.iterator();
    },
    suspect: (e) => { suspects.add(e); },
    isSuspect: (e) => suspects.has(e),
  };
  const decoded = after === null ? null : decodeResumeToken(after);
  const watch = new MergedWatch({ match: 'prefix', groups, after: decoded === 'old' ? null : decoded }, deps, {
    onReady: (_, resume) => { events.ready.push(resume); },
    onChange: (_, change, resume) => { events.changes.push({ key: new TextDecoder().decode(change.key), resume }); return events.more; },
    onEnd: (code, message) => { events.ended = { code, message }; },
  });
  return { nodes, events, watch, suspects };
}

const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 0));
const positionsOf = (text: string): Record<number, [number, number]> => {
  const t = decodeResumeToken(text);
  if (t === null || t === 'old') throw new Error('not a token');
  return Object.fromEntries([...t.positions].map(([g, at]) => [g, [at.index, at.seq]]));
};

afterEach(() => { vi.useRealTimers(); });

describe('a merged watch', () => {
  it('spreads its groups, answers ok once every node watch is live with the union, and merges their changes', async () => {
    const h = harness([0, 1, 2]);
    expect(h.nodes.map((n) => [n.endpoint, n.groups])).toEqual([['a', [0]], ['b', [1]], ['c', [2]]]);
    h.nodes[0]!.onLive(token([[0, 5, SEQ_END]]));
    h.nodes[1]!.onLive(token([[1, 7, SEQ_END]]));
    h.nodes[0]!.change('early', 0, 6); // before the ok: held
    await settle();
    expect(h.events.ready).toEqual([]);
    expect(h.events.changes).toEqual([]);
    h.nodes[2]!.onLive(token([[2, 3, SEQ_END]]));
    await settle();
    expect(h.events.ready.map(positionsOf)).toEqual([{ 0: [5, SEQ_END], 1: [7, SEQ_END], 2: [3, SEQ_END] }]);
    h.nodes[2]!.change('x', 2, 4);
    await settle();
    expect(h.events.changes.map((c) => c.key).sort()).toEqual(['early', 'x']);
    expect(positionsOf(h.events.changes.at(-1)!.resume)).toEqual({ 0: [6, 0], 1: [7, SEQ_END], 2: [4, 0] });
  });

  it('a node watch that fails is resumed on another replica from the positions last handed, and the stream goes on', async () => {
    const h = harness([0, 1, 2], token([[0, 5, 0], [1, 7, 0], [2, 3, 0]]));
    expect(h.nodes.map((n) => n.after === null ? null : positionsOf(n.after))).toEqual([{ 0: [5, 0] }, { 1: [7, 0] }, { 2: [3, 0] }]);
    for (const n of h.nodes) n.onLive(n.after!);
    await settle();
    expect(h.events.ready).toHaveLength(1);
    h.nodes[0]!.change('k1', 0, 6);
    await settle();
    h.nodes[0]!.push(new ConnectionClosedError('node a went away'));
    await settle();
    expect(h.nodes[0]!.closed).toBe(true);
    expect(h.suspects).toEqual(new Set(['a']));
    const replacement = h.nodes[3]!;
    expect([replacement.endpoint, replacement.groups, positionsOf(replacement.after!)]).toEqual(['b', [0], { 0: [6, 0] }]);
    replacement.onLive(replacement.after!);
    replacement.change('k2', 0, 8);
    await settle();
    expect(h.events.changes.map((c) => c.key)).toEqual(['k1', 'k2']);
    expect(h.events.ended).toBeNull();
    expect(h.events.ready).toHaveLength(1); // the client saw a pause, not a new start
  });

  it('COMPACTED from one replica is tried on the others; from all of them it ends COMPACTED', async () => {
    const h = harness([0], token([[0, 5, 0]]));
    h.nodes[0]!.push(new PiccoloError('COMPACTED', 'not held here'));
    await settle();
    expect(h.nodes.map((n) => n.endpoint)).toEqual(['a', 'b']);
    h.nodes[1]!.push(new PiccoloError('COMPACTED', 'not held here either'));
    await settle();
    expect(h.events.ended).toMatchObject({ code: 'COMPACTED', message: expect.stringContaining('no replica of group 0') });
  });

  it('UNAVAILABLE once a group\'s node watches failed RELAY_RETRIES_MAX times in a row, waiting longer each time', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    const h = harness([1]);
    for (let i = 0; i <= RELAY_RETRIES_MAX; i++) {
      expect(h.nodes).toHaveLength(i + 1);
      h.nodes[i]!.push(new ConnectionClosedError('refused'));
      await vi.advanceTimersByTimeAsync(10_000);
    }
    expect(h.nodes).toHaveLength(RELAY_RETRIES_MAX + 1);
    expect(h.events.ended).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining(`after ${RELAY_RETRIES_MAX} tries`) });
  });

  it('takes no change while the session has no room, and goes on at pump()', async () => {
    const h = harness([0]);
    h.nodes[0]!.onLive(token([[0, 1, SEQ_END]]));
    h.events.more = false;
    h.nodes[0]!.change('a', 0, 2);
    h.nodes[0]!.change('b', 0, 3);
    await settle();
    expect(h.events.changes.map((c) => c.key)).toEqual(['a']);
    h.events.more = true;
    h.watch.pump();
    await settle();
    expect(h.events.changes.map((c) => c.key)).toEqual(['a', 'b']);
    h.watch.close();
    expect(h.nodes[0]!.closed).toBe(true);
  });
});
