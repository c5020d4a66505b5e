// Disk faults in cluster runs. Latent damage: while a node is down (a crash fault),
// each of its groups' disks may be damaged, as a drive does to data at rest:
// a flipped bit, an unreadable sector, or a range overwritten by a write
// meant for another offset (runtime-sim/sim-disk.ts). The restarted replica
// must find it and repair from its peers (core/storage/repair-marker.ts,
// core/raft/repair-gate.ts), never serve it.
//
// On the write path of a running node (cluster runs with the crash fault,
// so `--faults all`): a write may land at another offset of its file (a
// misdirected write: the record it meant to write is missing, another is
// overwritten; checksums seeded with the offset catch both at the next
// recovery, and the replica repairs from its peers), and an fsync may be
// slow (the worker blocks for a seed-chosen time, and its replies and Raft
// messages wait for it: runtime-sim/sim-node.ts).
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
import { CRASH_ONLY_FAULTS, type SimDisk, type SimDiskFault, type SimDiskFaults } from './sim-disk.js';

/** Chance that a crashed node's disk for a group is damaged while the node is down (when the group may take it). */
export const DISK_DAMAGE_CHANCE = 0.25;
/** Groups smaller than this get no damage: with fewer, a repairing replica leaves no majority of whole ones. */
export const DISK_DAMAGE_REPLICAS_MIN = 3;

/**
 * A cluster disk's write-path faults. A misdirected write is rare (a few
 * per run over all disks) and at most one per disk: one storage copy can
 * only be asked to detect a single such fault (sim-disk.ts). Slow fsyncs
 * are common enough to stall a leader now and then; how slow is drawn per
 * disk by `writeFaultsOf`.
 */
export const WRITE_MISDIRECT_CHANCE = 0.002;
export const WRITE_MISDIRECTS_PER_DISK_MAX = 1;
export const FSYNC_SLOW_CHANCE = 0.02;
/** A slow fsync takes up to this much extra (a drive's internal garbage collection, a stalled controller). */
export const FSYNC_SLOW_MS_MAX = 30;

/** The faults of one cluster disk, drawn from `rng`: crash damage plus the write-path faults above. */
export function writeFaultsOf(rng: Random): SimDiskFaults {
  return {
    ...CRASH_ONLY_FAULTS,
    misdirectedWriteChance: WRITE_MISDIRECT_CHANCE,
    misdirectedWritesMax: WRITE_MISDIRECTS_PER_DISK_MAX,
    fsyncSlowChance: FSYNC_SLOW_CHANCE,
    fsyncSlowMs: rng.int(1, FSYNC_SLOW_MS_MAX),
  };
}

export class DiskDamageLedger {
  /** Group -> the node whose replica is damaged or repairing. */
  private readonly damaged = new Map<number, number>();
  /**
   * Groups whose damaged replica took a misdirected write while running,
   * not yet through a restart: it gets no latent damage on top (two faults
   * in one copy can hide each other).
   */
  private readonly writeFaulted = new Set<number>();
  /** Damage done so far (for the report). */
  readonly faults: { node: number; group: number; fault: SimDiskFault }[] = [];

  constructor(private readonly spec: ClusterSpec) {}

  /** Whether `node`'s replica of `group` may be damaged now. */
  mayDamage(group: number, node: number): boolean {
    const holder = this.damaged.get(group);
    if (holder === node && this.writeFaulted.has(group)) return false;
    return this.spec.placement[group]!.length >= DISK_DAMAGE_REPLICAS_MIN && (holder === undefined || holder === node);
  }

  /** Whether a write of a running replica of `group` may be misdirected now: no replica of the group is damaged. */
  mayMisdirect(group: number): boolean {
    return this.spec.placement[group]!.length >= DISK_DAMAGE_REPLICAS_MIN && !this.damaged.has(group);
  }

  /** A write of `node`'s replica of `group` was misdirected (`fault`): that replica holds the group's damage. */
  misdirected(group: number, node: number, fault: SimDiskFault): void {
    this.damaged.set(group, node);
    this.writeFaulted.add(group);
    this.faults.push({ node, group, fault });
  }

  /** `node` restarted: its recovery has seen its write faults (it repairs, or found nothing to repair). */
  restarted(group: number, node: number): void {
    if (this.damaged.get(group) === node) this.writeFaulted.delete(group);
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
    if (this.damaged.get(group) !== node) return;
    this.damaged.delete(group);
    this.writeFaulted.delete(group);
  }
}

/** One ledger per run: every node host of a cluster run shares its ClusterSpec object. */
const ledgers = new WeakMap<ClusterSpec, DiskDamageLedger>();

export function damageLedgerOf(spec: ClusterSpec): DiskDamageLedger {
  let ledger = ledgers.get(spec);
  if (ledger === undefined) ledgers.set(spec, ledger = new DiskDamageLedger(spec));
  return ledger;
}
