// core/routing/split.ts: multi-key requests split per shard and joined back
// in the client's key order; node-level scan cursors. Sub-requests run on
// real Shards, one per shard index, as a node would run them.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeLimits } from '../../core/limits.js';
import type { OkReply, Reply, Request } from '../../core/protocol/ops.js';
import { slotOf } from '../../core/routing/slot-hash.js';
import { SlotMap } from '../../core/routing/slot-map.js';
import { advanceScan, decodeScanCursor, encodeScanCursor, planRequest } from '../../core/routing/split.js';
import { LocalShard } from './local-shard.js';
import { latin1, plain } from './bytes-helpers.js';

const LIMITS = makeLimits({ keyBytesMax: 64, valueBytesMax: 256, frameBytesMax: 1 << 20 });
const NOW = 1_000;
const enc = new TextEncoder();

class Node {
  readonly slots: SlotMap;
  readonly shards: LocalShard[];
  constructor(shardCount: number) {
    this.slots = new SlotMap(shardCount, 1);
    this.shards = Array.from({ length: shardCount }, (_, i) => new LocalShard(i, LIMITS));
  }
  shardOfKey(key: Uint8Array): LocalShard {
    return this.shards[this.slots.shardOf(slotOf(key))]!;
  }
  run(req: Request): Reply {
    const plan = planRequest(req, this.slots);
    return plan.join(plan.parts.map((p) => this.shards[p.shard]!.handle(p.request, NOW)));
  }
}

/** Keys over several slots, some sharing a hash tag (so some batches hit one shard). */
const arbKey = fc.oneof(
  fc.nat({ max: 40 }).map((n) => enc.encode(`k${n}`)),
  fc.tuple(fc.constantFrom('u1', 'u2'), fc.nat({ max: 5 })).map(([tag, n]) => enc.encode(`{${tag}}:${n}`)),
);
const arbValue = fc.uint8Array({ maxLength: 12 });
const arbShardCount = fc.constantFrom(1, 2, 3, 5, 8);

function populate(node: Node, entries: { key: Uint8Array; value: Uint8Array }[]): void {
  for (const { key, value } of entries) node.shardOfKey(key).handle({ op: 'set', key, value }, NOW);
}

describe('planRequest / join', () => {
  it('routes single-key requests to the key\'s shard unchanged', () => {
    fc.assert(fc.property(arbShardCount, arbKey, (shardCount, key) => {
      const slots = new SlotMap(shardCount, 1);
      const req: Request = { op: 'get', key };
      const plan = planRequest(req, slots);
      expect(plan.parts).toEqual([{ shard: slots.shardOf(slotOf(key)), request: req }]);
      const reply: Reply = { ok: true, found: false };
      expect(plan.join([reply])).toBe(reply);
    }));
  });

  it('MGET: one sub-request per shard, joined back in the client\'s key order', () => {
    fc.assert(fc.property(
      arbShardCount,
      fc.array(fc.record({ key: arbKey, value: arbValue }), { maxLength: 30 }),
      fc.array(arbKey, { minLength: 1, maxLength: 20 }),
      (shardCount, data, keys) => {
        const node = new Node(shardCount);
        populate(node, data);
        const plan = planRequest({ op: 'mget', keys }, node.slots);
        const shardsUsed = plan.parts.map((p) => p.shard);
        expect(new Set(shardsUsed).size, 'one part per shard').toBe(shardsUsed.length);
        let keysInParts = 0;
        for (const part of plan.parts) {
          expect(part.request.op).toBe('mget');
          const partKeys = (part.request as Extract<Request, { op: 'mget' }>).keys;
          for (const k of partKeys) expect(node.slots.shardOf(slotOf(k))).toBe(part.shard);
          keysInParts += partKeys.length;
        }
        expect(keysInParts).toBe(keys.length);
        const joined = plan.join(plan.parts.map((p) => node.shards[p.shard]!.handle(p.request, NOW)));
        const direct = keys.map((k) => {
          const r = node.shardOfKey(k).handle({ op: 'get', key: k }, NOW) as OkReply;
          return r.found ? { found: true, value: r.value, version: r.version } : { found: false };
        });
        expect(plain(joined)).toEqual(plain({ ok: true, items: direct }));
      },
    ), { numRuns: 300 });
  });

  it('MSET: every key gets its last value on its own shard; ifNoneExist refuses when any key exists', () => {
    fc.assert(fc.property(
      arbShardCount,
      fc.array(fc.record({ key: arbKey, value: arbValue }), { maxLength: 10 }),
      fc.array(fc.record({ key: arbKey, value: arbValue }), { minLength: 1, maxLength: 12 }),
      fc.boolean(),
      (shardCount, data, entries, ifNoneExist) => {
        const node = new Node(shardCount);
        populate(node, data);
        const existedBefore = entries.some(({ key }) => (node.shardOfKey(key).handle({ op: 'exists', key }, NOW) as OkReply).found);
        const req: Request = ifNoneExist ? { op: 'mset', entries, ifNoneExist: true } : { op: 'mset', entries };
        const plan = planRequest(req, node.slots);
        for (const part of plan.parts) {
          const r = part.request as Extract<Request, { op: 'mset' }>;
          expect(r.ifNoneExist === true).toBe(ifNoneExist);
          for (const e of r.entries) expect(node.slots.shardOf(slotOf(e.key))).toBe(part.shard);
        }
        const reply = plan.join(plan.parts.map((p) => node.shards[p.shard]!.handle(p.request, NOW))) as OkReply;
        expect(reply.ok).toBe(true);
        expect(reply.found).toBe(!(ifNoneExist && existedBefore));
        if (!ifNoneExist) {
          const last = new Map(entries.map((e) => [latin1(e.key), e.value]));
          for (const [k, v] of last) {
            const key = Uint8Array.from(k, (c) => c.charCodeAt(0));
            expect(plain((node.shardOfKey(key).handle({ op: 'get', key }, NOW) as OkReply).value)).toEqual(plain(v));
          }
        }
      },
    ), { numRuns: 300 });
  });

  it('a failed sub-request fails the whole (first error in part order)', () => {
    const slots = new SlotMap(8, 1);
    const keys = Array.from({ length: 40 }, (_, i) => enc.encode(`key${i}`));
    const plan = planRequest({ op: 'mget', keys }, slots);
    expect(plan.parts.length).toBeGreaterThan(2);
    const replies: Reply[] = plan.parts.map((p) => ({ ok: true, items: (p.request as Extract<Request, { op: 'mget' }>).keys.map(() => ({ found: false })) }));
    replies[1] = { ok: false, code: 'LIMIT_EXCEEDED', message: 'first' };
    replies[2] = { ok: false, code: 'INTERNAL', message: 'second' };
    expect(plan.join(replies)).toBe(replies[1]);
    const mset = planRequest({ op: 'mset', entries: keys.map((key) => ({ key, value: key })) }, slots);
    const msetReplies: Reply[] = mset.parts.map(() => ({ ok: true, found: true }));
    msetReplies[mset.parts.length - 1] = { ok: false, code: 'INTERNAL', message: 'x' };
    expect(mset.join(msetReplies)).toMatchObject({ ok: false, code: 'INTERNAL' });
  });

  it('COUNT and FLUSH go to every shard and sum', () => {
    fc.assert(fc.property(arbShardCount, fc.array(fc.record({ key: arbKey, value: arbValue }), { maxLength: 30 }), (shardCount, data) => {
      const node = new Node(shardCount);
      populate(node, data);
      const distinct = new Set(data.map((d) => latin1(d.key))).size;
      const plan = planRequest({ op: 'count' }, node.slots);
      expect(plan.parts.map((p) => p.shard)).toEqual([...Array(shardCount).keys()]);
      expect(node.run({ op: 'count' })).toEqual({ ok: true, integer: BigInt(distinct) });
      expect(node.run({ op: 'flush' })).toMatchObject({ ok: true });
      expect(node.run({ op: 'count' })).toEqual({ ok: true, integer: 0n });
    }), { numRuns: 100 });
  });
});

describe('scan cursors', () => {
  it('encode/decode round-trip; malformed cursors are refused', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 16384 }), fc.nat(), fc.uint8Array({ maxLength: 40 }), (shardCount, s, inner) => {
      const shard = s % shardCount;
      const cursor = encodeScanCursor(shard, inner);
      const back = decodeScanCursor(cursor, shardCount);
      expect(back).not.toBeNull();
      expect(back!.shard).toBe(shard);
      expect(plain(back!.inner)).toEqual(plain(inner));
      expect(decodeScanCursor(encodeScanCursor(shardCount, inner), shardCount)).toBeNull(); // no such shard
    }));
    expect(decodeScanCursor(new Uint8Array(0), 4)).toEqual({ shard: 0, inner: new Uint8Array(0) });
    expect(decodeScanCursor(Uint8Array.of(0), 4)).toBeNull();
    const bad = planRequest({ op: 'scan', prefix: new Uint8Array(0), cursor: Uint8Array.of(0xff, 0xff), limit: 10 }, new SlotMap(4, 1));
    expect(bad.parts).toEqual([]);
    expect(bad.join([])).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
  });

  it('advanceScan moves to the next shard when one is exhausted, and ends after the last', () => {
    expect(advanceScan(1, 3, Uint8Array.of(7))).toEqual({ cursor: encodeScanCursor(1, Uint8Array.of(7)), nextShard: null });
    expect(advanceScan(1, 3, new Uint8Array(0))).toEqual({ cursor: encodeScanCursor(2, new Uint8Array(0)), nextShard: 2 });
    expect(advanceScan(2, 3, new Uint8Array(0))).toEqual({ cursor: new Uint8Array(0), nextShard: null });
  });

  it('a node-level scan visits every key with the prefix exactly once, across all shards', () => {
    fc.assert(fc.property(
      arbShardCount,
      fc.array(fc.record({ key: arbKey, value: arbValue }), { maxLength: 40 }),
      fc.constantFrom('', 'k', 'k1', '{u1}', 'zz'),
      fc.integer({ min: 1, max: 7 }),
      (shardCount, data, prefixText, limit) => {
        const node = new Node(shardCount);
        populate(node, data);
        const prefix = enc.encode(prefixText);
        const expected = [...new Set(data.map((d) => latin1(d.key)))].filter((k) => k.startsWith(prefixText)).sort();
        const seen: string[] = [];
        let cursor = new Uint8Array(0) as Uint8Array;
        for (let round = 0; ; round++) {
          // Pages may be empty after limit * 10 empty buckets (a prefix that matches little): tables here stay small.
          expect(round).toBeLessThanOrEqual(expected.length + shardCount * 64 + 1);
          const plan = planRequest({ op: 'scan', prefix, cursor, limit }, node.slots);
          expect(plan.parts).toHaveLength(1);
          const part = plan.parts[0]!;
          const reply = plan.join([node.shards[part.shard]!.handle(part.request, NOW)]) as OkReply;
          const page = reply.scanItems!.map((it) => latin1(it.key));
          seen.push(...page);
          const next = advanceScan(part.shard, shardCount, reply.cursor!);
          if (next.nextShard !== null) expect(decodeScanCursor(next.cursor, shardCount)!.shard).toBe(next.nextShard);
          cursor = next.cursor;
          if (cursor.length === 0) break;
        }
        expect([...seen].sort()).toEqual(expected);
      },
    ), { numRuns: 200 });
  });
});
