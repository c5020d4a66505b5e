// Protocol-aware repair in a replica group of three on simulated disks
// (core/storage/repair-marker.ts, core/raft/repair-gate.ts): a replica whose
// log or snapshot is damaged in the middle (acknowledged data) clears it,
// takes no part in elections until a leader has brought it back, and then
// serves the right values. The scenario is the one that loses data without
// the gate: the damaged replica and the one that never had the write are
// the only ones up, and between them they could elect a leader lacking it.

import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../../core/limits.js';
import { Random } from '../../../core/random.js';
import { DEFAULT_RAFT_TUNING } from '../../../core/raft/raft.js';
import type { Message, ReplicaId } from '../../../core/raft/raft-types.js';
import { finishRepairIfDone, gateIfRepairing } from '../../../core/replica/replica-repair.js';
import { ShardReplica } from '../../../core/replica/shard-replica.js';
import { parseSegmentName } from '../../../core/storage/log-format.js';
import { LogStorage } from '../../../core/storage/log-storage.js';
import { REPAIR_FILE } from '../../../core/storage/repair-marker.js';
import { parseSnapshotName } from '../../../core/storage/snapshot-file.js';
import { StorageError } from '../../../core/storage/storage-errors.js';
import { SimDisk } from '../../../runtime-sim/sim-disk.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const IDS: ReplicaId[] = [1, 2, 3];
/** Ticks an election needs at most (timeouts are 10-19 ticks, plus a pre-vote round). */
const ELECTION_TICKS_MAX = 80;

interface GroupOptions { seed: number; snapshotEveryEntries: number; gate: boolean }

class DiskGroup {
  readonly random: Random;
  readonly disks = new Map<ReplicaId, SimDisk>();
  readonly storages = new Map<ReplicaId, LogStorage>();
  readonly replicas = new Map<ReplicaId, ShardReplica | null>();
  private inFlight: Message[] = [];
  /** Pairs that cannot talk ("a-b" both ways). */
  readonly cut = new Set<string>();
  /** Votes a replica granted while its repair gate was up: must stay 0. */
  votesGrantedWhileRepairing = 0;
  repairsFinished: ReplicaId[] = [];
  private tickCount = 0;

  constructor(readonly options: GroupOptions) {
    this.random = Random.fromSeed(options.seed);
    for (const id of IDS) {
      this.disks.set(id, new SimDisk(this.random.fork()));
      this.start(id);
    }
  }

  start(id: ReplicaId): void {
    const storage = LogStorage.open(this.disks.get(id)!, { identity: { nodeId: id, groupId: 0 }, segmentBytesTarget: 1024, repairFromPeers: true });
    const replica = new ShardReplica({
      group: 0, raft: { id, ...DEFAULT_RAFT_TUNING, random: this.random.fork() }, limits: DEFAULT_LIMITS,
      membership: { voters: IDS, learners: [] }, snapshotEveryEntries: this.options.snapshotEveryEntries, snapshotKeepEntries: 3,
    }, storage);
    if (this.options.gate) gateIfRepairing(replica, storage);
    this.storages.set(id, storage);
    this.replicas.set(id, replica);
  }

  /** kill -9: the page cache survives, the process does not. */
  crash(id: ReplicaId): void {
    this.disks.get(id)!.processCrash();
    this.replicas.set(id, null);
    this.inFlight = this.inFlight.filter((m) => m.to !== id);
  }

  private process(id: ReplicaId): void {
    const r = this.replicas.get(id);
    if (!r) return;
    r.process(1_000_000 + this.tickCount * 10);
    for (const m of r.outbox) {
      if (m.type === 'voteResponse' && m.granted && r.raw.raft.repair !== null) this.votesGrantedWhileRepairing++;
      this.inFlight.push(m);
    }
    r.outbox = [];
    if (finishRepairIfDone(r, this.storages.get(id)!)) this.repairsFinished.push(id);
  }

  settle(): void {
    for (let n = 0; n < 10_000 && this.inFlight.length > 0; n++) {
      const m = this.inFlight.shift()!;
      const r = this.replicas.get(m.to);
      if (!r || this.cut.has(`${m.from}-${m.to}`) || this.cut.has(`${m.to}-${m.from}`)) continue;
      r.step(m);
      this.process(m.to);
    }
  }

  tick(n = 1): void {
    for (let i = 0; i < n; i++) {
      this.tickCount++;
      for (const id of IDS) {
        const r = this.replicas.get(id);
        if (!r) continue;
        r.tick();
        this.process(id);
      }
      this.settle();
    }
  }

  leader(): ShardReplica | null {
    return IDS.map((id) => this.replicas.get(id)).find((r) => r?.isLeader()) ?? null;
  }

  awaitLeader(): ShardReplica {
    for (let t = 0; t < ELECTION_TICKS_MAX && !this.leader(); t++) this.tick();
    const lead = this.leader();
    expect(lead, 'a leader within the election bound').not.toBeNull();
    return lead!;
  }

  /** An acknowledged write through the leader (true), or false when none came within a few ticks. */
  write(key: string, value: string): boolean {
    const lead = this.awaitLeader();
    let acked = false;
    lead.propose({ op: 'set', key: encoder.encode(key), value: encoder.encode(value) }, 1_000_000 + this.tickCount * 10, (o) => {
      acked = o.kind === 'reply' && o.reply.ok;
    });
    this.process(lead.id);
    this.settle();
    for (let t = 0; t < 20 && !acked; t++) this.tick();
    return acked;
  }

  read(key: string): string | null {
    let value: string | null | undefined;
    for (let attempt = 0; attempt < 5 && value === undefined; attempt++) {
      const lead = this.awaitLeader();
      lead.read({ op: 'get', key: encoder.encode(key) }, (o) => {
        if (o.kind === 'reply' && o.reply.ok) value = o.reply.found && o.reply.value ? decoder.decode(o.reply.value) : null;
      });
      this.process(lead.id);
      this.settle();
      for (let t = 0; t < 20 && value === undefined; t++) this.tick();
    }
    expect(value, `a read of ${key} is answered`).not.toBeUndefined();
    return value!;
  }
}

/** Flips a bit in the middle of the oldest segment (or the snapshot): a record that was synced, with syncs after it. */
function damage(disk: SimDisk, what: 'log' | 'snapshot'): string {
  const names = disk.list().filter((n) => (what === 'log' ? parseSegmentName(n) !== null : parseSnapshotName(n) !== null)).sort();
  expect(names.length, `the disk holds a ${what} file to damage`).toBeGreaterThan(0);
  const name = names[0]!;
  const bytes = disk.bytesOf(name).slice();
  const offset = Math.floor(bytes.length / 2);
  bytes[offset]! ^= 0x10;
  disk.setBytes(name, bytes);
  return name;
}

interface Scenario { acknowledged: Map<string, string>; lostKey: string }

/**
 * Replica 3 is cut off while 1 and 2 take writes (among them `lostKey`);
 * then 2 is killed and damaged, 1 is killed, and 2 and 3 are the only ones up.
 */
function runUpToDamage(group: DiskGroup, what: 'log' | 'snapshot'): Scenario {
  const acknowledged = new Map<string, string>();
  const put = (k: string, v: string): void => { expect(group.write(k, v), `write ${k}`).toBe(true); acknowledged.set(k, v); };
  for (let i = 0; i < 12; i++) put(`early${i}`, `e${i}`);
  // Leader 1 (or whoever leads) and the others: make 3 the one cut off, whoever leads.
  let lead = group.awaitLeader();
  if (lead.id === 3) {
    group.crash(3);
    group.start(3);
    lead = group.awaitLeader();
  }
  const follower = IDS.find((id) => id !== lead.id && id !== 3)!;
  group.cut.add(`${lead.id}-3`);
  group.cut.add(`${follower}-3`);
  for (let i = 0; i < 20; i++) put(`k${i}`, `v${i}`);
  put('lost', 'must-survive');
  for (let i = 0; i < 10; i++) put(`late${i}`, `l${i}`);
  group.crash(follower);
  damage(group.disks.get(follower)!, what);
  group.crash(lead.id);
  group.cut.clear();
  group.start(follower);
  return { acknowledged, lostKey: 'lost' };
}

describe('a replica repairs damaged storage from its peers', () => {
  for (const what of ['log', 'snapshot'] as const) {
    for (const seed of [1, 2, 3]) {
      it(`damage in the ${what} (seed ${seed}): no votes while repairing, no data lost, the marker goes once repaired`, () => {
        const group = new DiskGroup({ seed, snapshotEveryEntries: what === 'snapshot' ? 8 : 10_000, gate: true });
        const { acknowledged } = runUpToDamage(group, what);
        const damagedId = IDS.find((id) => group.storages.get(id)!.repair !== null);
        expect(damagedId, 'the damaged replica opened in repair').not.toBeUndefined();
        expect(group.disks.get(damagedId!)!.list()).toContain(REPAIR_FILE);
        const leaderId = IDS.find((id) => id !== damagedId && id !== 3)!;
        // Only the damaged replica and the one that never had the writes are up: no leader may emerge.
        group.tick(4 * ELECTION_TICKS_MAX);
        expect(group.leader(), 'no leader without a replica that holds the lost writes').toBeNull();
        expect(group.votesGrantedWhileRepairing).toBe(0);
        // The old leader comes back: the group elects, the damaged replica catches up and leaves repair.
        group.start(leaderId);
        group.awaitLeader();
        group.tick(2 * ELECTION_TICKS_MAX);
        expect(group.repairsFinished).toEqual([damagedId]);
        expect(group.disks.get(damagedId!)!.list()).not.toContain(REPAIR_FILE);
        for (const [k, v] of acknowledged) expect(group.read(k), k).toBe(v);
        // The repaired replica holds the same state as the leader.
        group.tick(ELECTION_TICKS_MAX);
        const lead = group.leader()!;
        const repaired = group.replicas.get(damagedId!)!;
        expect(repaired.shard.appliedIndex).toBe(lead.shard.appliedIndex);
        expect(repaired.shard.digest()).toBe(lead.shard.digest());
        expect(group.votesGrantedWhileRepairing).toBe(0);
      });
    }
  }

  it('a follower damaged and restarted under a leader that stayed up is caught up (the leader drops its stale match)', () => {
    const group = new DiskGroup({ seed: 11, snapshotEveryEntries: 10_000, gate: true });
    for (let i = 0; i < 30; i++) expect(group.write(`k${i}`, `v${i}`)).toBe(true);
    const lead = group.awaitLeader();
    const follower = IDS.find((id) => id !== lead.id)!;
    group.crash(follower);
    damage(group.disks.get(follower)!, 'log');
    group.start(follower);
    expect(group.storages.get(follower)!.repair).not.toBeNull();
    group.tick(ELECTION_TICKS_MAX);
    expect(group.repairsFinished).toEqual([follower]);
    expect(group.replicas.get(follower)!.shard.digest()).toBe(group.leader()!.shard.digest());
  });

  it('a restart in the middle of the repair stays in repair (the marker is durable)', () => {
    const group = new DiskGroup({ seed: 7, snapshotEveryEntries: 10_000, gate: true });
    runUpToDamage(group, 'log');
    const damagedId = IDS.find((id) => group.storages.get(id)!.repair !== null)!;
    const term = group.storages.get(damagedId)!.repair!.hardState.term;
    group.tick(ELECTION_TICKS_MAX);
    group.crash(damagedId);
    group.start(damagedId);
    const again = group.storages.get(damagedId)!;
    expect(again.repair).not.toBeNull();
    expect(again.load().hardState.term).toBeGreaterThanOrEqual(term);
    expect(group.replicas.get(damagedId)!.raw.raft.repair).not.toBeNull();
  });

  it('without the gate the same damage loses an acknowledged write (the test can fail)', () => {
    let lost = 0;
    for (const seed of [1, 2, 3, 4, 5]) {
      const group = new DiskGroup({ seed, snapshotEveryEntries: 10_000, gate: false });
      const { lostKey } = runUpToDamage(group, 'log');
      group.tick(4 * ELECTION_TICKS_MAX);
      if (group.leader() !== null && group.read(lostKey) !== 'must-survive') lost++;
    }
    expect(lost).toBeGreaterThan(0);
  });

  it('a lone replica (no peers to repair from) refuses the same damage, naming file and offset', () => {
    const disk = new SimDisk(Random.fromSeed(3));
    const open = (): LogStorage => LogStorage.open(disk, { identity: { nodeId: 1, groupId: 0 }, segmentBytesTarget: 1024 });
    const storage = open();
    let index = 1;
    for (let sync = 0; sync < 40; sync++) {
      storage.appendEntries([{ index, term: 1, kind: 'normal', data: encoder.encode(`entry-${index}`) }]);
      storage.saveHardState({ term: 1, vote: 1, commit: index++ });
      storage.sync();
    }
    disk.processCrash();
    const name = damage(disk, 'log');
    const refusal = (() => { try { open(); return null; } catch (e) { return e; } })();
    expect(refusal).toBeInstanceOf(StorageError);
    expect((refusal as StorageError).kind).toBe('corrupt');
    expect((refusal as StorageError).file).toBe(name);
    expect((refusal as StorageError).message).toMatch(/at offset \d+/);
  });
});
