// A lone node's shard: a ShardReplica whose group has one voter
// (core/shard/group-replica.ts). It leads at once, commits what it persisted
// in the same process() call with one sync for every proposal since the last
// call, answers reads in pipeline order, restarts from what was synced, and
// snapshots by log growth against the state's size.

import { describe, expect, it } from 'vitest';
import { makeLimits } from '../../../core/limits.js';
import type { OkReply, Reply } from '../../../core/protocol/ops.js';
import { Random } from '../../../core/random.js';
import { MemoryRaftStorage } from '../../../core/raft/raft-storage.js';
import type { Entry, Snapshot } from '../../../core/raft/raft-types.js';
import { DEFAULT_RAFT_TUNING } from '../../../core/raft/raft.js';
import { ENTRY_LOG_OVERHEAD_BYTES, ShardReplica, type ReplicaOutcome } from '../../../core/replica/shard-replica.js';
import { LONE_REPLICA_ID, loneGroups, startGroupReplica } from '../../../core/shard/group-replica.js';

const LIMITS = makeLimits();
const NOW = 1_000_000;
const enc = new TextEncoder();
const dec = new TextDecoder();

/** Counts what the replica asks of its storage. */
class CountingStorage extends MemoryRaftStorage {
  syncs = 0;
  entryBytes = 0;
  readonly snapshots: { bytes: number; entryBytesBefore: number }[] = [];

  override sync(): void {
    this.syncs++;
    super.sync();
  }

  override appendEntries(entries: readonly Entry[]): void {
    for (const e of entries) this.entryBytes += e.data.length + ENTRY_LOG_OVERHEAD_BYTES;
    super.appendEntries(entries);
  }

  override saveSnapshot(snapshot: Snapshot): void {
    this.snapshots.push({ bytes: snapshot.data.length, entryBytesBefore: this.entryBytes });
    super.saveSnapshot(snapshot);
  }
}

function lone(storage: MemoryRaftStorage, seed = 1): ShardReplica {
  return startGroupReplica(loneGroups([0])[0]!, LONE_REPLICA_ID, LIMITS, storage, Random.fromSeed(seed), NOW);
}

/** Collects outcomes by tag. */
function sink(): { got: Map<number, ReplicaOutcome>; onOutcome: (o: ReplicaOutcome, tag: number) => void } {
  const got = new Map<number, ReplicaOutcome>();
  return { got, onOutcome: (o, tag) => { got.set(tag, o); } };
}

/** The reply, which must be a success. */
function ok(reply: Reply | null | undefined): OkReply {
  expect(reply?.ok, JSON.stringify(reply)).toBe(true);
  return reply as OkReply;
}

const valueOf = (o: ReplicaOutcome | undefined): string | null => {
  expect(o?.kind).toBe('reply');
  const reply = ok((o as { reply: Reply }).reply);
  return reply.found ? dec.decode(reply.value) : null;
};

describe('a group of one', () => {
  it('leads at once and commits a batch of proposals with one sync, in one process() call', () => {
    const storage = new CountingStorage();
    const replica = lone(storage);
    expect(replica.leadsAlone()).toBe(true);
    const syncsAtStart = storage.syncs;
    const { got, onOutcome } = sink();
    for (let i = 0; i < 100; i++) replica.propose({ op: 'set', key: enc.encode(`k${i}`), value: enc.encode(`v${i}`) }, NOW, onOutcome, i);
    expect(got.size).toBe(0);
    replica.process(NOW);
    expect(got.size).toBe(100);
    // One sync for the 100 entries; the Ready that only commits them is not synced.
    expect(storage.syncs - syncsAtStart).toBe(1);
    // Versions are log indexes: the start's no-op took index 1.
    expect(ok((got.get(0) as { reply: Reply }).reply).version).toBe(2);
  });

  it('reads in pipeline order: a read sees the writes before it and none after it', () => {
    const replica = lone(new MemoryRaftStorage());
    const key = enc.encode('x');
    const { got, onOutcome } = sink();
    expect(replica.readNow({ op: 'get', key }, NOW)).toMatchObject({ ok: true, found: false });
    replica.propose({ op: 'set', key, value: enc.encode('1') }, NOW, onOutcome, 1);
    // A write is pending: the read cannot be answered from the shard as it is.
    expect(replica.readNow({ op: 'get', key }, NOW)).toBeNull();
    replica.read({ op: 'get', key }, onOutcome, 2);
    replica.propose({ op: 'set', key, value: enc.encode('2') }, NOW, onOutcome, 3);
    replica.read({ op: 'get', key }, onOutcome, 4);
    replica.process(NOW);
    expect(valueOf(got.get(2))).toBe('1');
    expect(valueOf(got.get(4))).toBe('2');
    expect(dec.decode(ok(replica.readNow({ op: 'get', key }, NOW)).value)).toBe('2');
  });

  it('restarts from what was synced, leading again, with every acknowledged write', () => {
    const storage = new MemoryRaftStorage();
    const first = lone(storage);
    const { got, onOutcome } = sink();
    for (let i = 0; i < 10; i++) first.propose({ op: 'set', key: enc.encode(`k${i}`), value: enc.encode(`v${i}`) }, NOW, onOutcome, i);
    first.process(NOW);
    expect([...got.values()].every((o) => o.kind === 'reply' && o.reply.ok)).toBe(true);
    // Proposed but never processed: not synced, never acknowledged.
    first.propose({ op: 'set', key: enc.encode('lost'), value: enc.encode('x') }, NOW, onOutcome, 99);
    storage.crash();
    const second = lone(storage, 2);
    expect(second.leadsAlone()).toBe(true);
    for (let i = 0; i < 10; i++) expect(dec.decode(ok(second.readNow({ op: 'get', key: enc.encode(`k${i}`) }, NOW)).value)).toBe(`v${i}`);
    expect(second.readNow({ op: 'get', key: enc.encode('lost') }, NOW)).toMatchObject({ found: false });
  });

  it('snapshots when the log since the last snapshot outgrows the state (and a floor), so copying stays proportional to writes', () => {
    const storage = new CountingStorage();
    const floorBytes = 16 * 1024;
    const replica = new ShardReplica({
      group: 0, raft: { id: 1, ...DEFAULT_RAFT_TUNING, random: Random.fromSeed(3) }, limits: LIMITS,
      membership: { voters: [1], learners: [] }, snapshotEveryEntries: Number.POSITIVE_INFINITY, snapshotKeepEntries: 0,
      snapshotLogBytesMin: floorBytes,
    }, storage);
    replica.campaignAlone(NOW);
    const value = new Uint8Array(200);
    const { onOutcome } = sink();
    // 2,000 distinct keys (the state grows), then 2,000 overwrites of one key (the state stays put), in batches of 50.
    for (let i = 0; i < 4000; i++) {
      const key = enc.encode(i < 2000 ? `key:${i}` : 'hot');
      replica.propose({ op: 'set', key, value }, NOW, onOutcome, i);
      if (i % 50 === 49) replica.process(NOW);
    }
    const snaps = storage.snapshots;
    expect(snaps.length).toBeGreaterThan(2);
    let previous = 0;
    for (const s of snaps) {
      const logBytes = s.entryBytesBefore - previous;
      // Never before the floor, and never before the log since the last one is about the state's size.
      expect(logBytes).toBeGreaterThanOrEqual(floorBytes);
      expect(logBytes * 1.5).toBeGreaterThanOrEqual(s.bytes);
      previous = s.entryBytesBefore;
    }
    // Amortized: the bytes copied into snapshots are bounded by the log written (plus one floor's worth).
    const copied = snaps.reduce((n, s) => n + s.bytes, 0);
    expect(copied).toBeLessThanOrEqual(1.5 * storage.entryBytes + floorBytes);
  });
});
