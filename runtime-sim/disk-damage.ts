// Latent disk damage in cluster runs: while a node is down (a crash fault),
// each of its groups' disks may be damaged, as a drive does to data at rest:
// a flipped bit, an unreadable sector, or a range overwritten by a write
// meant for another offset (runtime-sim/sim-disk.ts). The restarted replica
// must find it and repair from its peers (core/storage/repair-marker.ts,
// core/raft/repair-gate.ts), never serve it.
//
// Placement: a damaged replica takes no part in elections until repaired,
// so a group must keep a majority of whole replicas to stay live, and the
// repair needs a good copy. So damage goes only to groups of three or more
// replicas, and to at most one replica of a group at a time: the ledger
// (one per run, shared by its node hosts) holds a group's damaged replica
// from the damage until its repair is over (or until its restart found
// nothing to repair: the damage fell where recovery cuts or removes).

import type { Random } from '../core/random.js';
import type { ClusterSpec } from './cluster.js';
import type { SimDisk, SimDiskFault } from './sim-disk.js';

/** Chance that a crashed node's disk for a group is damaged while the node is down (when the group may take it). */
export const DISK_DAMAGE_CHANCE = 0.25;
/** Groups smaller than this get no damage: with fewer, a repairing replica leaves no majority of whole ones. */
export const DISK_DAMAGE_REPLICAS_MIN = 3;

export class DiskDamageLedger {
  /** Group -> the node whose replica is damaged or repairing. */
  private readonly damaged = new Map<number, number>();
  /** Damage done so far (for the report). */
  readonly faults: { node: number; group: number; fault: SimDiskFault }[] = [];

  constructor(private readonly spec: ClusterSpec) {}

  /** Whether `node`'s replica of `group` may be damaged now. */
  mayDamage(group: number, node: number): boolean {
    const holder = this.damaged.get(group);
    return this.spec.placement[group]!.length >= DISK_DAMAGE_REPLICAS_MIN && (holder === undefined || holder === node);
  }

  /** Damages `disk` (one of three kinds, drawn from `rng`) and records it; false when the disk holds nothing. */
  damage(group: number, node: number, disk: SimDisk, rng: Random): boolean {
    const kind = rng.int(0, 2);
    const fault = kind === 0 ? disk.flipRandomBit() : kind === 1 ? disk.makeRandomSectorUnreadable() : disk.misdirectRandomRange();
    if (fault === null) return false;
    this.damaged.set(group, node);
    this.faults.push({ node, group, fault });
    return true;
  }

  /** `node`'s replica of `group` is whole again (repaired, or its restart found nothing to repair). */
  cleared(group: number, node: number): void {
    if (this.damaged.get(group) === node) this.damaged.delete(group);
  }
}

/** One ledger per run: every node host of a cluster run shares its ClusterSpec object. */
const ledgers = new WeakMap<ClusterSpec, DiskDamageLedger>();

export function damageLedgerOf(spec: ClusterSpec): DiskDamageLedger {
  let ledger = ledgers.get(spec);
  if (ledger === undefined) ledgers.set(spec, ledger = new DiskDamageLedger(spec));
  return ledger;
}
