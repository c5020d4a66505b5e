// The drop-in check: a replicated shard group of one (core/replica) runs on
// the storage engine over a simulated disk instead of MemoryRaftStorage.
// Writes are acknowledged only after their Ready was synced; the disk loses
// power at random moments (unsynced writes lost or torn) and every restart
// must still hold every acknowledged write, through snapshots and segment
// rollovers.

import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../core/limits.js';
import { Random } from '../../core/random.js';
import { DEFAULT_RAFT_TUNING, ShardReplica } from '../../core/replica/shard-replica.js';
import { LogStorage } from '../../core/storage/log-storage.js';
import { SimDisk } from '../../runtime-sim/sim-disk.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** Ticks a lone replica may need to elect itself (an election timeout is under 2 x electionTicks). */
const ELECTION_TICKS_MAX = 100;

function startReplica(disk: SimDisk, random: Random): ShardReplica {
  const storage = LogStorage.open(disk, { identity: { nodeId: 1, groupId: 0 }, segmentBytesTarget: 2048 });
  const replica = new ShardReplica({
    group: 0, raft: { id: 1, ...DEFAULT_RAFT_TUNING, random: random.fork() }, limits: DEFAULT_LIMITS,
    membership: { voters: [1], learners: [] }, snapshotEveryEntries: 15, snapshotKeepEntries: 3,
  }, storage);
  for (let t = 0; t < ELECTION_TICKS_MAX && !replica.isLeader(); t++) {
    replica.tick();
    replica.process(0);
  }
  expect(replica.isLeader()).toBe(true);
  return replica;
}

function readAll(replica: ShardReplica, keys: readonly string[]): Map<string, string | null> {
  const values = new Map<string, string | null>();
  for (const key of keys) {
    replica.read({ op: 'get', key: encoder.encode(key) }, (outcome) => {
      if (outcome.kind !== 'reply' || !outcome.reply.ok) throw new Error(`read of ${key}: ${JSON.stringify(outcome)}`);
      values.set(key, outcome.reply.found && outcome.reply.value ? decoder.decode(outcome.reply.value) : null);
    });
  }
  replica.process(0);
  expect(values.size).toBe(keys.length);
  return values;
}

describe('a replica group of one on the simulated disk', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    it(`keeps every acknowledged write across power losses (seed ${seed})`, () => {
      const random = Random.fromSeed(seed);
      const disk = new SimDisk(random.fork());
      const keys = Array.from({ length: 8 }, (_, i) => `k${i}`);
      /** The last acknowledged value of each key. */
      const acknowledged = new Map<string, string>();
      let replica = startReplica(disk, random);
      let restarts = 0;
      for (let step = 0; step < 400; step++) {
        const key = random.pick(keys);
        const value = `v${step}`;
        replica.propose({ op: 'set', key: encoder.encode(key), value: encoder.encode(value) }, step, (outcome) => {
          if (outcome.kind === 'reply' && outcome.reply.ok) acknowledged.set(key, value);
        });
        // Process (persist, then apply and answer) only some of the time, so a crash finds proposals in flight.
        if (random.chance(0.7)) replica.process(step);
        if (random.chance(0.05)) {
          disk.crash();
          restarts++;
          replica = startReplica(disk, random);
          const values = readAll(replica, keys);
          for (const [k, v] of acknowledged) expect(values.get(k), `key ${k} after restart ${restarts}`).toBe(v);
        }
      }
      expect(restarts).toBeGreaterThan(5);
      expect(acknowledged.size).toBe(keys.length);
    });
  }
});
