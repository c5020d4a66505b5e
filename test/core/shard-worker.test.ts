// core/shard/shard-worker.ts: requests in through one ring, replies out
// through another, with backpressure when the reply ring is full. Driven
// single-threaded the way the runtime drives it; every reply must arrive
// (in any order: the IO side orders them by tag) equal to what the shard gives
// applying the requests directly, in ring order.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeLimits } from '../../core/limits.js';
import { validateRequest } from '../../core/protocol/validate.js';
import type { Reply, Request } from '../../core/protocol/ops.js';
import { ByteWriter } from '../../core/ring/byte-writer.js';
import { decodeReplyRecord, encodeRequestRecord } from '../../core/ring/ring-codec.js';
import { SpscRing } from '../../core/ring/spsc-ring.js';
import { LocalShard } from './local-shard.js';
import { ShardWorker } from '../../core/shard/shard-worker.js';
import { plain } from './bytes-helpers.js';
import { VolatileRaftStorage } from '../../core/raft/raft-storage.js';
import { Random } from '../../core/random.js';
import { LONE_REPLICA_ID, startGroupReplica } from '../../core/shard/group-replica.js';

const LIMITS = makeLimits({ keyBytesMax: 16, valueBytesMax: 300, frameBytesMax: 4000 });
const NOW = 1_000_000;
const OWNED = [2, 5];

interface Harness {
  requests: SpscRing;
  replies: SpscRing;
  worker: ShardWorker;
  /** IO side's views. */
  io: { requests: SpscRing; replies: SpscRing };
}

function harness(requestCapacity: number, replyCapacity: number): Harness {
  const requests = SpscRing.allocate(requestCapacity);
  const replies = SpscRing.allocate(replyCapacity);
  return {
    requests, replies,
    worker: new ShardWorker(OWNED, requests, replies, LIMITS),
    io: { requests: new SpscRing(requests.memory), replies: new SpscRing(replies.memory) },
  };
}

/** IO side: read the visible replies (at most `max`). */
function readReplies(h: Harness, into: { tag: number; reply: Reply }[], max = Infinity): void {
  for (let n = 0; n < max; n++) {
    const at = h.io.replies.peek();
    if (at < 0) break;
    into.push(decodeReplyRecord(h.io.replies.data, at, at + h.io.replies.lastLength));
    h.io.replies.release();
  }
  h.io.replies.flushHead();
}

const key = fc.constantFrom('a', 'b', 'c', 'd').map((s) => new TextEncoder().encode(s));
/** Small and large values; 4 large ones still fit one record of a 1 KiB ring (508 bytes). */
const value = fc.oneof(fc.uint8Array({ maxLength: 8 }), fc.uint8Array({ minLength: 60, maxLength: 100 }));
const arbRequest: fc.Arbitrary<Request> = fc.oneof(
  key.map((k): Request => ({ op: 'get', key: k })),
  fc.record({ k: key, v: value }).map(({ k, v }): Request => ({ op: 'set', key: k, value: v })),
  key.map((k): Request => ({ op: 'incr', key: k, delta: 1n })),
  key.map((k): Request => ({ op: 'del', key: k })),
  fc.array(key, { minLength: 1, maxLength: 4 }).map((keys): Request => ({ op: 'mget', keys })),
  fc.constant<Request>({ op: 'count' }),
);

/**
 * What a worker's group of one should answer: the same shard fed directly.
 * Its log starts with the leader's no-op at index 1 (a new term's first
 * entry), so the reference takes one too and versions line up.
 */
function referenceShard(index: number): LocalShard {
  const reference = new LocalShard(index, LIMITS);
  reference.shard.apply({ index: 1, term: 1, timestampMs: 0, command: { op: 'noop' } });
  return reference;
}

describe('ShardWorker', () => {
  it('answers every request as if applied in ring order, through small rings with backpressure', () => {
    fc.assert(fc.property(
      fc.array(fc.record({ shard: fc.constantFrom(...OWNED), request: arbRequest }), { minLength: 1, maxLength: 120, size: 'max' }),
      fc.constantFrom(1024, 8192),
      fc.constantFrom(1024, 4096),
      fc.integer({ min: 1, max: 40 }),
      fc.integer({ min: 1, max: 60 }),
      (work, requestCapacity, replyCapacity, batch, readsPerRound) => {
        const h = harness(requestCapacity, replyCapacity);
        const reference = new Map(OWNED.map((s) => [s, referenceShard(s)]));
        const expected = work.map(({ shard, request }, tag) => ({ tag, reply: reference.get(shard)!.handle(request, NOW) }));
        const got: { tag: number; reply: Reply }[] = [];
        const w = new ByteWriter();
        let submitted = 0;
        for (let round = 0; got.length < work.length; round++) {
          expect(round, `stalled with ${got.length}/${work.length} replies`).toBeLessThan(10 * work.length + 10);
          // IO: submit what fits.
          while (submitted < work.length) {
            w.reset();
            encodeRequestRecord(w, submitted, work[submitted]!.shard, work[submitted]!.request);
            if (!h.io.requests.tryWrite(w.bytes())) break;
            submitted++;
          }
          h.io.requests.publish();
          // Worker: drain until it would sleep (nothing applied) or block.
          for (;;) {
            const r = h.worker.drain(NOW, batch);
            if (r.applied === 0 || r.blockedOnReplies) break;
          }
          // IO: read some replies, freeing reply space (a slow reader keeps the reply ring full).
          readReplies(h, got, readsPerRound);
        }
        // Replies may leave out of ring order (a write waits for its Ready, a read behind nothing does not);
        // the IO side orders them by tag. Each must equal what the shard gives applying the requests in order.
        got.sort((a, b) => a.tag - b.tag);
        expect(got.map((g) => g.tag)).toEqual(expected.map((e) => e.tag));
        expect(got.map((g) => plain(g.reply))).toEqual(expected.map((e) => plain(e.reply)));
      },
    ), { numRuns: 150 });
  });

  it('publishes a reply that waited for space even when no new request follows', () => {
    // Regression (found by the property above, seed 87759443): drain() wrote the pending reply but published only when it
    // applied a request, so the last reply before an idle period stayed
    // invisible and its client waited forever.
    const h = harness(4096, 256);
    const w = new ByteWriter();
    // A "not found" reply record is 7 bytes -> 16 in the ring: 16 fill a 256-byte ring.
    for (let tag = 0; tag < 17; tag++) {
      w.reset();
      encodeRequestRecord(w, tag, 2, { op: 'get', key: Uint8Array.of(0x6b) });
      expect(h.io.requests.tryWrite(w.bytes())).toBe(true);
    }
    h.io.requests.publish();
    const first = h.worker.drain(NOW, 100);
    expect(first).toMatchObject({ applied: 17, blockedOnReplies: true, notifyRequests: false });
    const got: { tag: number; reply: Reply }[] = [];
    readReplies(h, got);
    expect(got).toHaveLength(16);
    const second = h.worker.drain(NOW, 100);
    expect(second.blockedOnReplies).toBe(false);
    readReplies(h, got);
    expect(got.map((g) => g.tag)).toEqual([...Array(17).keys()]);
  });

  it('reports when the other side must be notified', () => {
    const h = harness(4096, 4096);
    const w = new ByteWriter();
    encodeRequestRecord(w, 1, 5, { op: 'set', key: Uint8Array.of(1), value: Uint8Array.of(2) });
    h.io.requests.tryWrite(w.bytes());
    h.io.requests.publish();
    expect(h.io.replies.prepareToSleep()).not.toBeNull(); // the IO side sleeps on replies
    const r = h.worker.drain(NOW, 10);
    expect(r).toEqual({ applied: 1, notifyReplies: true, notifyRequests: false, blockedOnReplies: false, snapshotting: false });
    h.io.replies.wokeUp();
    expect(h.worker.keyCount).toBe(1);
    expect(h.worker.drain(NOW, 10)).toEqual({ applied: 0, notifyReplies: false, notifyRequests: false, blockedOnReplies: false, snapshotting: false });
  });

  it('a group of one answers a batch of writes and reads within the drain that took them, with one sync for the writes', () => {
    const requests = SpscRing.allocate(1 << 16);
    const replies = SpscRing.allocate(1 << 16);
    let syncs = 0;
    const storage = new (class extends VolatileRaftStorage {
      override sync(): void { syncs++; }
    })();
    const replica = startGroupReplica({ group: 5, voters: [LONE_REPLICA_ID] }, LONE_REPLICA_ID, LIMITS, storage, Random.fromSeed(5), NOW);
    const worker = new ShardWorker([5], requests, replies, LIMITS, new Map([[5, replica]]));
    const io = { requests: new SpscRing(requests.memory), replies: new SpscRing(replies.memory) };
    const w = new ByteWriter();
    const batch: Request[] = [
      { op: 'set', key: Uint8Array.of(1), value: Uint8Array.of(10) },
      { op: 'get', key: Uint8Array.of(1) }, // behind a write of the same batch: answered right after it is applied
      { op: 'set', key: Uint8Array.of(1), value: Uint8Array.of(11) },
      { op: 'incr', key: Uint8Array.of(2), delta: 5n },
      { op: 'get', key: Uint8Array.of(1) },
    ];
    batch.forEach((request, i) => {
      w.reset();
      encodeRequestRecord(w, i + 1, 5, request);
      io.requests.tryWrite(w.bytes());
    });
    io.requests.publish();
    syncs = 0;
    const drained = worker.drain(NOW, 100);
    expect(drained.applied).toBe(batch.length);
    expect(worker.repliesWaiting).toBe(0);
    expect(syncs).toBe(1); // the writes arriving together share one sync
    const got: { tag: number; reply: Reply }[] = [];
    readReplies({ requests, replies, worker, io }, got);
    // Every reply is on the ring when the drain returns: nothing waits for a later turn.
    expect(got.map((r) => r.tag).sort()).toEqual([1, 2, 3, 4, 5]);
    const byTag = new Map(got.map((r) => [r.tag, plain(r.reply)]));
    expect(byTag.get(2)).toMatchObject({ ok: true, value: plain(Uint8Array.of(10)) });
    expect(byTag.get(4)).toMatchObject({ ok: true, integer: '5n' });
    expect(byTag.get(5)).toMatchObject({ ok: true, value: plain(Uint8Array.of(11)) });
    // Nothing left: the next turn finds no work.
    expect(worker.drain(NOW, 100).applied).toBe(0);
  });

  it('answers LIMIT_EXCEEDED (and keeps serving) when a valid reply would not fit a ring record', () => {
    // Regression: an MGET whose values total within frameBytesMax can still
    // encode to more than a ring record (13 bytes of framing per item), and
    // the reply ring's reserve() asserted, killing the worker. The ring here is
    // the smallest checkLimits allows for these limits.
    const limits = makeLimits({ keyBytesMax: 16, valueBytesMax: 1000, frameBytesMax: 2000, connectionQueueBytesMax: 4000, ringBytes: 8192 });
    const requests = SpscRing.allocate(limits.ringBytes);
    const replies = SpscRing.allocate(limits.ringBytes);
    const worker = new ShardWorker([0], requests, replies, limits);
    const keys = Array.from({ length: 200 }, (_, i) => new TextEncoder().encode(`k${i}`));
    const w = new ByteWriter();
    const send = (tag: number, request: Request): Reply => {
      expect(validateRequest(request, limits)).toBeNull();
      w.reset();
      encodeRequestRecord(w, tag, 0, request);
      expect(requests.tryWrite(w.bytes())).toBe(true);
      requests.publish();
      expect(worker.drain(NOW, 10).applied).toBe(1);
      const at = replies.peek();
      const record = decodeReplyRecord(replies.data, at, at + replies.lastLength);
      replies.release();
      replies.flushHead();
      expect(record.tag).toBe(tag);
      return record.reply;
    };
    keys.forEach((key, i) => send(i + 1, { op: 'set', key, value: new Uint8Array(10) })); // 2000 value bytes in all
    expect(send(500, { op: 'mget', keys })).toMatchObject({ ok: false, code: 'LIMIT_EXCEEDED' });
    expect(send(501, { op: 'mget', keys: keys.slice(0, 100) })).toMatchObject({ ok: true });
  });

  it('refuses a request for a shard it does not own', () => {
    const h = harness(4096, 4096);
    const w = new ByteWriter();
    encodeRequestRecord(w, 1, 3, { op: 'count' });
    h.io.requests.tryWrite(w.bytes());
    h.io.requests.publish();
    expect(() => h.worker.drain(NOW, 10)).toThrow(/does not own/);
  });
});
