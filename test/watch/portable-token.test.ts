// Resume tokens (core/watch/resume-token.ts) and their portability across
// the replicas of a group (core/replica/log-id.ts): the codec round-trips;
// three real ShardReplicas (Raft + shard) of one group, each with its own
// change outbox, ring, feed and watch set as a node has, agree on the logId
// and report the same changes at the same positions, so a token from one
// resumes on another, even one that has not applied the token's entry yet;
// a new log (an in-memory group started again) has another logId and
// answers COMPACTED; a follower that installs a snapshot does not claim the
// changes it skipped (its live watch ends COMPACTED, an older token too).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ErrorName } from '../../core/errors.js';
import { DEFAULT_LIMITS } from '../../core/limits.js';
import { Random } from '../../core/random.js';
import { DEFAULT_RAFT_TUNING } from '../../core/raft/raft.js';
import { MemoryRaftStorage } from '../../core/raft/raft-storage.js';
import type { Message, ReplicaId } from '../../core/raft/raft-types.js';
import { LOG_ID_NONE } from '../../core/replica/log-id.js';
import { ShardReplica } from '../../core/replica/shard-replica.js';
import { SpscRing } from '../../core/ring/spsc-ring.js';
import { Shard } from '../../core/shard/shard.js';
import { SEQ_END, type Change } from '../../core/watch/change.js';
import { ChangeFeed } from '../../core/watch/change-feed.js';
import { ChangeOutbox } from '../../core/watch/change-record.js';
import { decodeResumeToken, encodeResumeToken, tokenForGroups, type ResumeToken } from '../../core/watch/resume-token.js';
import { DEFAULT_WATCH_LIMITS } from '../../core/watch/watch-limits.js';
import { WatchSet } from '../../core/watch/watch-set.js';
import { b, latin1 } from '../core/bytes-helpers.js';
import { carryChanges } from './watch-pipeline.js';

describe('resume tokens', () => {
  it('round-trip any positions; refuse what they did not write; split by group', () => {
    fc.assert(fc.property(
      fc.uniqueArray(fc.tuple(
        fc.integer({ min: 0, max: 16_383 }), fc.integer({ min: 1, max: 2 ** 52 - 1 }),
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.integer({ min: 0, max: SEQ_END }),
      ), { selector: (t) => t[0], maxLength: 20 }),
      (groups) => {
        const token: ResumeToken = { positions: new Map(groups.map(([g, logId, index, seq]) => [g, { logId, index, seq }])) };
        const text = encodeResumeToken(token);
        expect(decodeResumeToken(text)).toEqual(token);
        expect(decodeResumeToken(text.slice(0, -2))).toBeNull();
        expect(decodeResumeToken(`${text}00`)).toBeNull();
        const some = groups.filter((_, i) => i % 2 === 0).map(([g]) => g);
        expect([...tokenForGroups(token, some).positions.keys()]).toEqual(some);
      },
    ));
    for (const bad of ['', 'zz', '0', '02', 'AB', '0201']) expect(decodeResumeToken(bad)).toBeNull();
    // Version 1 named a node's per-run history: recognised, to answer COMPACTED.
    expect(decodeResumeToken('01070000000100000000')).toBe('old');
  });
});

/** A tick's length in virtual ms (the election timeout is 10-19 ticks). */
const TICK_MS = 10;
/** Ticks a step of the harness may take to settle: far above an election and a few round trips. */
const SETTLE_TICKS_MAX = 300;

interface WatchLog {
  ready: string | null;
  changes: { change: Change; resume: string }[];
  ended: { code: ErrorName; message: string } | null;
}

/** One replica's node-side watch path: outbox -> ring -> feed and watch set, begun as a worker begins (core/shard/shard-worker.ts). */
class ReplicaWatches {
  readonly outbox = new ChangeOutbox();
  readonly ring = SpscRing.allocate(1 << 16, false);
  readonly watches: WatchSet;
  private reporting: Shard | null = null;

  constructor(localLogId: number) {
    this.watches = new WatchSet(new ChangeFeed(DEFAULT_WATCH_LIMITS), localLogId);
  }

  attach(shard: Shard): void {
    if (this.reporting === shard) return;
    shard.changes = this.outbox;
    this.reporting = shard;
    this.outbox.begin(shard.index, shard.appliedIndex, shard.logId);
  }

  carry(): void {
    carryChanges(this.outbox, this.ring, this.watches);
  }

  open(after: string | null): WatchLog {
    const log: WatchLog = { ready: null, changes: [], ended: null };
    const token = after === null ? null : decodeResumeToken(after);
    this.watches.open({ match: 'prefix', bytes: b(''), groups: [0], after: token }, {
      onReady: (_, resume) => { log.ready = resume; },
      onChange: (_, change, resume) => { log.changes.push({ change, resume }); return true; },
      onEnd: (code, message) => { log.ended = { code, message }; },
    });
    return log;
  }
}

/** Three replicas of group 0 over storage kept in memory, a network that delivers everything but what is cut, and a watch path per replica. */
class Group {
  readonly ids: ReplicaId[] = [1, 2, 3];
  readonly replicas = new Map<ReplicaId, ShardReplica>();
  readonly nodes = new Map<ReplicaId, ReplicaWatches>();
  private inFlight: Message[] = [];
  private readonly cut = new Set<ReplicaId>();
  private tick = 0;

  constructor(seed: number, snapshotEveryEntries = 1_000_000) {
    const random = Random.fromSeed(seed);
    for (const id of this.ids) {
      this.replicas.set(id, new ShardReplica({
        group: 0,
        raft: { id, ...DEFAULT_RAFT_TUNING, random: random.fork() },
        limits: DEFAULT_LIMITS,
        membership: { voters: this.ids, learners: [] },
        snapshotEveryEntries,
        snapshotKeepEntries: 2,
      }, new MemoryRaftStorage()));
      this.nodes.set(id, new ReplicaWatches(1000 + id));
    }
  }

  private nowMs(): number {
    return 1_000_000 + this.tick * TICK_MS;
  }

  private process(id: ReplicaId): void {
    const r = this.replicas.get(id)!;
    const node = this.nodes.get(id)!;
    node.attach(r.shard);
    r.process(this.nowMs());
    node.attach(r.shard); // a snapshot installed in this process() replaced the shard
    node.carry();
    this.inFlight.push(...r.outbox);
    r.outbox = [];
  }

  /** Every replica starts reporting (before anything is applied, when called first). */
  attachAll(): void {
    for (const id of this.ids) {
      this.nodes.get(id)!.attach(this.replicas.get(id)!.shard);
      this.nodes.get(id)!.carry();
    }
  }

  /** Isolate a replica (its messages in and out are dropped) or bring it back. */
  isolate(id: ReplicaId, isolated: boolean): void {
    if (isolated) this.cut.add(id);
    else this.cut.delete(id);
  }

  /** Run until `done` holds (ticks, delivering every message), failing past SETTLE_TICKS_MAX. */
  runUntil(done: () => boolean): void {
    for (let i = 0; i < SETTLE_TICKS_MAX; i++) {
      for (let round = 0; round < 50 && this.inFlight.length > 0; round++) {
        const messages = this.inFlight;
        this.inFlight = [];
        for (const m of messages) {
          if (this.cut.has(m.from) || this.cut.has(m.to)) continue;
          this.replicas.get(m.to)!.step(m);
          this.process(m.to);
        }
      }
      if (done()) return;
      this.tick++;
      for (const id of this.ids) {
        this.replicas.get(id)!.tick();
        this.process(id);
      }
    }
    throw new Error('the group did not settle');
  }

  leader(): ShardReplica | null {
    for (const id of this.ids) if (!this.cut.has(id) && this.replicas.get(id)!.isLeader()) return this.replicas.get(id)!;
    return null;
  }

  /** Write through the leader and wait for every connected replica to apply it. */
  set(key: string, value: string): void {
    this.runUntil(() => this.leader() !== null);
    const leader = this.leader()!;
    let done = false;
    leader.propose({ op: 'set', key: b(key), value: b(value) }, this.nowMs(), () => { done = true; });
    this.process(leader.id);
    this.runUntil(() => done && this.ids.every((id) => this.cut.has(id) || this.replicas.get(id)!.shard.appliedIndex >= leader.shard.appliedIndex));
  }
}

const keysOf = (log: WatchLog): string[] => log.changes.map((c) => `${latin1(c.change.key)}@${c.change.version}.${c.change.seq}`);

describe('portable positions: three replicas of one group', () => {
  it('agree on the logId drawn with the first entry, and a token from one resumes on another exactly after its position', () => {
    const g = new Group(1);
    g.set('a', '1');
    const logIds = g.ids.map((id) => g.replicas.get(id)!.shard.logId);
    expect(logIds[0]).not.toBe(LOG_ID_NONE);
    expect(new Set(logIds).size).toBe(1);
    const onOne = g.nodes.get(1)!.open(null);
    const onTwo = g.nodes.get(2)!.open(null);
    expect(onOne.ready).not.toBeNull();
    for (let i = 0; i < 6; i++) g.set(`k${i}`, `${i}`);
    // Every replica reports the same changes at the same positions, so the same tokens.
    expect(keysOf(onTwo)).toEqual(keysOf(onOne));
    expect(onTwo.changes.map((c) => c.resume)).toEqual(onOne.changes.map((c) => c.resume));
    // A token from replica 1 resumes on replica 3, which has seen no watch yet but recorded since.
    const resumed = g.nodes.get(3)!.open(onOne.changes[2]!.resume);
    expect(resumed.ended).toBeNull();
    expect(resumed.ready).toBe(onOne.changes[2]!.resume);
    expect(keysOf(resumed)).toEqual(keysOf(onOne).slice(3));
  });

  it('a watch of a log with no entry yet starts at once; its token (before the first entry) resumes on any replica; later ones name the logId', () => {
    const g = new Group(7);
    g.attachAll();
    const early = g.nodes.get(1)!.open(null);
    expect(early.ready).not.toBeNull();
    const start = decodeResumeToken(early.ready!);
    expect(start !== null && start !== 'old' ? start.positions.get(0) : null).toEqual({ logId: LOG_ID_NONE, index: 0, seq: SEQ_END });
    g.set('a', '1');
    g.set('b', '2');
    expect(keysOf(early).map((k) => k.split('@')[0])).toEqual(['a', 'b']);
    const named = decodeResumeToken(early.changes[0]!.resume);
    expect(named !== null && named !== 'old' ? named.positions.get(0)!.logId : null).toBe(g.replicas.get(1)!.shard.logId);
    const elsewhere = g.nodes.get(2)!.open(early.ready);
    expect(elsewhere.ended).toBeNull();
    expect(keysOf(elsewhere)).toEqual(keysOf(early));
  });

  it('a token ahead of a lagging replica: live at once, then exactly the later changes once it catches up (no duplicate)', () => {
    const g = new Group(2);
    g.set('a', '1');
    const lagging = g.replicas.get(3)!.isLeader() ? 2 : 3;
    const onOther = g.nodes.get(lagging === 3 ? 2 : 3)!; // a live replica that is not the lagging one
    const first = onOther.open(null);
    g.isolate(lagging, true);
    for (let i = 0; i < 4; i++) g.set(`k${i}`, `${i}`);
    const token = first.changes[1]!.resume; // k1: replica `lagging` has not applied it
    const resumed = g.nodes.get(lagging)!.open(token);
    expect(resumed.ended).toBeNull();
    expect(resumed.ready).toBe(token);
    expect(resumed.changes).toEqual([]);
    g.isolate(lagging, false);
    g.set('z', '9');
    expect(keysOf(resumed)).toEqual(keysOf(first).slice(2));
  });

  it('the logId lives in the snapshot (format 4); a format-3 snapshot restores with none (LOG_ID_NONE)', () => {
    const g = new Group(6);
    g.set('a', '1');
    const shard = g.replicas.get(1)!.shard;
    const bytes = shard.snapshot();
    expect(Shard.restore(0, DEFAULT_LIMITS, bytes).logId).toBe(shard.logId);
    // Format 3: the same header without the logId's 8 bytes (after magic, format, index, term, timestamp).
    const LOG_ID_AT = 4 + 1 + 8 + 8 + 8;
    const old = new Uint8Array(bytes.length - 8);
    old.set(bytes.subarray(0, LOG_ID_AT));
    old.set(bytes.subarray(LOG_ID_AT + 8), LOG_ID_AT);
    old[4] = 3;
    const restored = Shard.restore(0, DEFAULT_LIMITS, old);
    expect(restored.logId).toBe(LOG_ID_NONE);
    expect(restored.digest()).toBe(shard.digest());
  });

  it('a new log (the group started again in memory) has another logId: an old token is COMPACTED, never read as "nothing new"', () => {
    const before = new Group(3);
    before.set('a', '1');
    const w = before.nodes.get(1)!.open(null);
    before.set('b', '2');
    const token = w.changes[0]!.resume;
    const after = new Group(4);
    for (let i = 0; i < 4; i++) after.set(`k${i}`, `${i}`); // past the old token's index
    expect(after.replicas.get(1)!.shard.logId).not.toBe(before.replicas.get(1)!.shard.logId);
    const resumed = after.nodes.get(1)!.open(token);
    expect(resumed.ended).toMatchObject({ code: 'COMPACTED', message: expect.stringContaining('another log') });
  });

  it('a follower that installs a snapshot does not claim the skipped changes: its watch ends COMPACTED, and so does an older token', () => {
    const g = new Group(5, 4);
    g.set('a', '1');
    const follower = g.replicas.get(3)!.isLeader() ? 2 : 3;
    const node = g.nodes.get(follower)!;
    const live = node.open(null);
    const other = g.nodes.get(follower === 3 ? 2 : 3)!.open(null);
    g.isolate(follower, true);
    for (let i = 0; i < 20; i++) g.set(`k${i}`, `${i}`); // the leader snapshots and drops the entries the follower needs
    const oldShard = g.replicas.get(follower)!.shard;
    g.isolate(follower, false);
    // Back: the leader makes a snapshot for it on demand (core/raft/raft.ts, snapshotWanted) and it installs it, before z.
    g.runUntil(() => g.replicas.get(follower)!.shard.appliedIndex >= g.leader()!.shard.appliedIndex);
    g.set('z', '9');
    const shard = g.replicas.get(follower)!.shard;
    expect(shard).not.toBe(oldShard); // it installed a snapshot
    expect(shard.logId).toBe(g.replicas.get(1)!.shard.logId); // carried in the snapshot
    expect(live.ended).toMatchObject({ code: 'COMPACTED' });
    expect(live.changes).toEqual([]); // nothing of the skipped entries pretended
    // A token from before the snapshot's index: not held here (elsewhere it is).
    expect(node.open(other.changes[3]!.resume).ended).toMatchObject({ code: 'COMPACTED' });
    // A token from after the snapshot's index (z's): held (the history begins at the snapshot, before z), and
    // resumed exactly after it.
    g.set('y', '8');
    const zToken = other.changes.at(-2)!.resume;
    const resumed = node.open(zToken);
    expect(resumed.ended).toBeNull();
    expect(keysOf(resumed)).toEqual(keysOf(other).slice(-1));
  });
});
