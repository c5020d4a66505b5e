// Measures how long the storage engine takes to recover a group's data
// directory (open + load: read, checksum and decode the snapshot and the log
// after it), five times over a fresh copy each (open rewrites the state
// slot and cuts tails). With --replica, what a worker does at start instead
// (runtime-node/worker/group-storage.ts): open the storage, then start the
// group's replica over it, which restores the snapshot into the store and
// applies the entries after it (timed apart). Not a test; run after
// `npm run build`:
//   node dist/test/storage/measure-recovery.js <group dir> [--replica] [--rounds N] [nodeId] [groupId]
// (node --cpu-prof in front profiles it).

import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_LIMITS } from '../../core/limits.js';
import { Random } from '../../core/random.js';
import { LONE_DURABLE_COMPACTION, loneGroups, LONE_REPLICA_ID, startGroupReplica } from '../../core/shard/group-replica.js';
import { LogStorage } from '../../core/storage/log-storage.js';
import { FileRaftStorage } from '../../runtime-node/storage/file-raft-storage.js';
import { NodeFileSystem } from '../../runtime-node/storage/node-file-system.js';

const ROUNDS_DEFAULT = 5;

const args = process.argv.slice(2);
const flag = (name: string): boolean => {
  const at = args.indexOf(name);
  if (at >= 0) args.splice(at, 1);
  return at >= 0;
};
const option = (name: string): string | undefined => {
  const at = args.indexOf(name);
  return at < 0 ? undefined : args.splice(at, 2)[1];
};
const asReplica = flag('--replica');
const rounds = Number(option('--rounds') ?? ROUNDS_DEFAULT);
const source = args[0];
if (source === undefined) throw new Error('usage: measure-recovery.js <group dir> [--replica] [--rounds N] [nodeId] [groupId]');
const identity = { nodeId: Number(args[1] ?? 1), groupId: Number(args[2] ?? 0) };

function storageOnly(copy: string): string {
  const start = performance.now();
  const storage = LogStorage.open(new NodeFileSystem(copy), { identity });
  const state = storage.load();
  const ms = performance.now() - start;
  storage.close();
  return `open + load ${ms.toFixed(0)} ms (${state.entries.length} entries after a snapshot of ${state.snapshot?.data.length ?? 0} bytes)`;
}

function replica(copy: string): string {
  const cpuAtStart = process.cpuUsage();
  const start = performance.now();
  const storage = FileRaftStorage.open({ dir: copy, identity, syncMode: { kind: 'always' } });
  const opened = performance.now();
  const [members] = loneGroups([identity.groupId]);
  const r = startGroupReplica(members!, LONE_REPLICA_ID, DEFAULT_LIMITS, storage, Random.fromSeed(1), Date.now(), LONE_DURABLE_COMPACTION);
  const end = performance.now();
  const cpu = process.cpuUsage(cpuAtStart);
  const keys = r.shard.size;
  storage.close();
  return `storage open ${(opened - start).toFixed(0)} ms, replica (load, restore, replay) ${(end - opened).toFixed(0)} ms, `
    + `total ${(end - start).toFixed(0)} ms, CPU ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms (all threads): ${keys} keys`;
}

const base = mkdtempSync(join(tmpdir(), 'piccolo-recovery-'));
try {
  for (let round = 1; round <= rounds; round++) {
    const copy = join(base, `copy-${round}`);
    cpSync(source, copy, { recursive: true });
    console.log(`round ${round}: ${asReplica ? replica(copy) : storageOnly(copy)}`);
    rmSync(copy, { recursive: true, force: true });
  }
} finally {
  rmSync(base, { recursive: true, force: true });
}
