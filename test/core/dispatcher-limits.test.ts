// core/node/dispatcher.ts: a reply joined from several shards obeys the same
// size limits as one shard's reply. Each shard answers within the frame
// limit, so only the join can overflow it: an MGET over shards is refused
// with LIMIT_EXCEEDED, and a SCAN page gathered over shards is cut short
// with a cursor that resumes exactly where it stopped. A SCAN page over a
// prefix that matches little asks on (bounded) to fill the client's page.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeLimits } from '../../core/limits.js';
import { Dispatcher, type ShardTransport } from '../../core/node/dispatcher.js';
import type { ReplyCallback } from '../../core/node/shard-channel.js';
import type { OkReply, Reply, Request } from '../../core/protocol/ops.js';
import { scanItemBytes, scanPageBytesMax } from '../../core/protocol/reply-size.js';
import { SCAN_ROUNDS_PER_PAGE_MAX } from '../../core/routing/split.js';
import { slotOf } from '../../core/routing/slot-hash.js';
import { SlotMap } from '../../core/routing/slot-map.js';
import { latin1 } from './bytes-helpers.js';
import { LocalShard } from './local-shard.js';

const LIMITS = makeLimits({ keyBytesMax: 32, valueBytesMax: 1000, frameBytesMax: 2048 });
const NOW = 1_000_000;
const enc = new TextEncoder();

/** Shards answering at once, as the worker would. */
class InstantNode implements ShardTransport {
  readonly slotMap: SlotMap;
  readonly shards: LocalShard[];
  readonly dispatcher: Dispatcher;
  constructor(shardCount: number) {
    this.slotMap = new SlotMap(shardCount, 1);
    this.shards = Array.from({ length: shardCount }, (_, i) => new LocalShard(i, LIMITS));
    this.dispatcher = new Dispatcher(this, LIMITS);
  }
  submit(shard: number, request: Request, onReply: ReplyCallback): void {
    onReply(this.shards[shard]!.handle(request, NOW));
  }
  run(request: Request): Reply {
    let out: Reply | null = null;
    this.dispatcher.execute(request, (reply) => { out = reply; });
    expect(out, 'the dispatcher answered').not.toBeNull();
    return out!;
  }
  shardOfKey(key: Uint8Array): number {
    return this.slotMap.shardOf(slotOf(key));
  }
}

/** `count` keys, each on a different shard. */
function keysOnDistinctShards(node: InstantNode, count: number): Uint8Array[] {
  const byShard = new Map<number, Uint8Array>();
  for (let i = 0; byShard.size < count; i++) {
    const key = enc.encode(`key${i}`);
    if (!byShard.has(node.shardOfKey(key))) byShard.set(node.shardOfKey(key), key);
  }
  return [...byShard.values()];
}

describe('joined replies stay within the limits', () => {
  it('MGET over shards whose values add up to more than a frame is refused; within a frame it is answered', () => {
    const node = new InstantNode(4);
    const keys = keysOnDistinctShards(node, 3);
    for (const key of keys) expect(node.run({ op: 'set', key, value: new Uint8Array(900) }).ok).toBe(true);
    // Two values (1800 bytes) fit the 2048-byte frame; three (2700) do not, though each shard's part does.
    const two = node.run({ op: 'mget', keys: keys.slice(0, 2) });
    expect(two.ok && two.items!.every((it) => it.found)).toBe(true);
    for (const key of keys) {
      expect(node.shards[node.shardOfKey(key)]!.handle({ op: 'mget', keys: [key] }, NOW).ok).toBe(true);
    }
    expect(node.run({ op: 'mget', keys })).toMatchObject({ ok: false, code: 'LIMIT_EXCEEDED' });
  });

  it('SCAN pages over shards stay within a page\'s bytes and, resumed by cursor, return every key once', () => {
    fc.assert(fc.property(
      fc.constantFrom(2, 3, 5),
      fc.array(fc.record({ n: fc.nat({ max: 60 }), size: fc.constantFrom(0, 10, 200, 900) }), { maxLength: 40 }),
      fc.integer({ min: 1, max: 50 }),
      (shardCount, writes, limit) => {
        const node = new InstantNode(shardCount);
        const expected = new Set<string>();
        for (const { n, size } of writes) {
          const key = enc.encode(`k${n}`);
          expect(node.run({ op: 'set', key, value: new Uint8Array(size) }).ok).toBe(true);
          expected.add(`k${n}`);
        }
        const seen: string[] = [];
        let cursor: Uint8Array = new Uint8Array(0);
        for (let page = 0; ; page++) {
          // Pages may be empty after limit * 10 empty buckets; these tables stay under 640 slots per shard.
          expect(page, 'scan must make progress').toBeLessThanOrEqual(expected.size + shardCount * 64 + 1);
          const reply = node.run({ op: 'scan', prefix: new Uint8Array(0), cursor, limit, withValues: true }) as OkReply;
          expect(reply.ok).toBe(true);
          const items = reply.scanItems!;
          // A page stops between buckets: past the limit only by one bucket's keys (a few at most here).
          expect(items.length).toBeLessThanOrEqual(limit + 4);
          const bytes = items.reduce((sum, it) => sum + scanItemBytes(it), 0);
          // The first bucket may exceed the budget alone (a page always makes progress); more may not.
          if (bytes > scanPageBytesMax(LIMITS)) expect(items.length).toBeLessThanOrEqual(4);
          seen.push(...items.map((it) => latin1(it.key)));
          if (reply.cursor!.length === 0) break;
          cursor = reply.cursor!;
        }
        expect(seen.slice().sort()).toEqual([...expected].sort());
        expect(new Set(seen).size).toBe(seen.length);
      },
    ), { numRuns: 100 });
  });

  it('a sparse prefix fills the page from several shard pages, within SCAN_ROUNDS_PER_PAGE_MAX of them', () => {
    const node = new InstantNode(1);
    let submits = 0;
    const submit = node.submit.bind(node);
    node.submit = (shard, request, onReply): void => { submits++; submit(shard, request, onReply); };
    // 20,000 other keys: a 32,768-slot table, so one shard page (at most 1,024 buckets when asking for 3) sees few of the 3 wanted.
    for (let i = 0; i < 20_000; i += 1000) {
      const entries = Array.from({ length: 1000 }, (_, j) => ({ key: enc.encode(`o${i + j}`), value: new Uint8Array(0) }));
      expect(node.run({ op: 'mset', entries }).ok).toBe(true);
    }
    for (const k of ['want:a', 'want:b', 'want:c']) expect(node.run({ op: 'set', key: enc.encode(k), value: new Uint8Array(1) }).ok).toBe(true);
    const seen: string[] = [];
    let cursor: Uint8Array = new Uint8Array(0);
    let pages = 0;
    do {
      submits = 0;
      const reply = node.run({ op: 'scan', prefix: enc.encode('want:'), cursor, limit: 3 }) as OkReply;
      expect(submits).toBeLessThanOrEqual(SCAN_ROUNDS_PER_PAGE_MAX);
      seen.push(...reply.scanItems!.map((it) => latin1(it.key)));
      cursor = reply.cursor!;
      pages++;
    } while (cursor.length > 0);
    expect(seen.sort()).toEqual(['want:a', 'want:b', 'want:c']);
    // 32 shard pages of 1,024 buckets cover the table: two client pages, not 32.
    expect(pages).toBeLessThanOrEqual(3);
  });
});
