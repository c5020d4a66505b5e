// Wiring a replica to its storage's repair (core/storage/repair-marker.ts,
// core/raft/repair-gate.ts), the same for the node runtime and the
// simulator: a storage that lost acknowledged state puts its replica's Raft
// behind the repair gate at start; once Raft lifts the gate (it caught up
// from a leader), the storage is told, so the REPAIR marker goes and a later
// restart votes normally.

import { RepairGate } from '../raft/repair-gate.js';
import type { RepairState } from '../storage/repair-marker.js';
import type { ShardReplica } from './shard-replica.js';

/** A storage that can report lost state (LogStorage, FileRaftStorage). */
export interface RepairingStorage {
  readonly repair: RepairState | null;
  repaired(): void;
}

/** At start, before the replica steps anything: a storage under repair gates its Raft. */
export function gateIfRepairing(replica: ShardReplica, storage: RepairingStorage): void {
  if (storage.repair !== null) replica.raw.raft.repair = new RepairGate(storage.repair.hardState);
}

/** After a turn: true exactly once, when Raft lifted the gate and the storage was told (log it). */
export function finishRepairIfDone(replica: ShardReplica, storage: RepairingStorage): boolean {
  if (storage.repair === null || replica.raw.raft.repair !== null) return false;
  storage.repaired();
  return true;
}
