// A node's machine: its threads and clock (which survive restarts) and the
// current SimNode process (which does not). It is the node's front door in
// the simulation: it accepts client streams, reads requests off them into the
// node's Dispatcher and writes replies back, like runtime-node's WebSocket
// front door does (minus the wire encoding: messages carry the Request and
// Reply objects themselves; the codecs have their own tests).
//
// TCP behaviour across crashes: a process crash resets its connections (the
// kernel sends RSTs) unless the whole machine went down (silence); while the
// host is down nothing answers; a restarted host answers traffic on a
// connection it does not know with an RST.
//
// In a cluster, a crashed host's disks may be damaged while it is down
// (disk-damage.ts); its replicas then repair from their peers at restart.

import type { Reply, Request } from '../core/protocol/ops.js';
import type { Random } from '../core/random.js';
import type { Network, StreamConnection } from './network.js';
import type { NodeClock } from './node-clock.js';
import { MemoryRaftStorage, type RaftStorage } from '../core/raft/raft-storage.js';
import { finishRepairIfDone } from '../core/replica/replica-repair.js';
import type { ShardReplica } from '../core/replica/shard-replica.js';
import { damageLedgerOf, DISK_DAMAGE_CHANCE, writeFaultsOf, type DiskDamageLedger } from './disk-damage.js';
import { LogStorage } from '../core/storage/log-storage.js';
import { SimBackgroundSyncer } from './sim-background-sync.js';
import { SimDisk } from './sim-disk.js';
import { groupsOfNode } from './cluster.js';
import {
  SimNode, emptyNodeStats, type NodeCluster, NO_SCHEDULING_FAULTS, type NodeSettings, type NodeStats, type NodeThreads, type SchedulingFaults, type WorkerFactory,
} from './sim-node.js';
import type { Simulation } from './simulation.js';
import { SimWatchHub, type WatchBugs } from './sim-watch-hub.js';
import type { CheckedChange, WatchChecker } from './watch-checker.js';
import type { Watch } from '../core/watch/watch-set.js';
import { bytesToBinaryString } from '../core/bytes.js';

export type ToNode =
  | { t: 'connect' }
  | { t: 'watch'; id: number; prefix: Uint8Array; after: string | null }
  | { t: 'request'; id: number; request: Request }
  | { t: 'ping'; id: number };

export type ToClient =
  | { t: 'accept' }
  | { t: 'reply'; id: number; reply: Reply }
  | { t: 'pong'; id: number }
  /** `process`: the serving node process's id, for the watch checker only (a real watcher cannot see it). */
  | { t: 'watch-ok'; id: number; resume: string; process: number }
  | { t: 'change'; id: number; change: CheckedChange; resume: string; process: number }
  | { t: 'watch-end'; id: number; code: string; message: string };

export type ClientStream = StreamConnection<ToNode, ToClient>;

/** Log segments roll over at this size in the simulator, so rollover and segment removal happen in every run. */
const SIM_SEGMENT_BYTES = 16 * 1024;

export class NodeHost {
  /** The running process, or null while the node is down. */
  current: SimNode | null = null;
  /** Processes started so far (1 after the first boot). */
  incarnations = 0;
  readonly stats: NodeStats = emptyNodeStats();
  /** Most laps any ring of an earlier process made. */
  private pastRingLaps = 0;
  /** The watch checker and planted bugs, when a watcher runs (watch-client.ts); null: watches are not served. */
  watchSetup: { checker: WatchChecker; bugs: WatchBugs } | null = null;
  /** The current process's watches, made at its first watch. */
  private watchHub: { node: SimNode; hub: SimWatchHub } | null = null;
  /** The watch open on each stream (one per stream: the watcher's). */
  private readonly streamWatches = new Map<ClientStream, Watch>();
  /** Streams accepted by the current process, and which process accepted each. */
  private readonly accepted = new Map<ClientStream, SimNode>();

  constructor(
    /** Index among the nodes (what the slot ownership table names). */
    readonly index: number,
    /** Host id on the network. */
    readonly host: number,
    private readonly sim: Simulation,
    private readonly network: Network,
    readonly threads: NodeThreads,
    readonly clock: NodeClock,
    readonly settings: NodeSettings,
    private readonly rng: Random,
    private readonly workerFactory?: WorkerFactory,
    private readonly scheduling: Readonly<SchedulingFaults> = NO_SCHEDULING_FAULTS,
    /** In a cluster: everything but the storages, which this host owns. */
    private readonly cluster: Omit<NodeCluster, 'storages'> | null = null,
  ) {
    if (cluster) {
      for (const g of groupsOfNode(cluster.spec, cluster.nodeIndex)) {
        if (cluster.forgetVoteOnRestart || cluster.sendBeforeSync) {
          // These planted bugs are about the synced/unsynced boundary, which the in-memory model of storage
          // draws exactly at every crash (a process crash on a disk keeps the page cache, hiding them).
          const storage = new MemoryRaftStorage();
          storage.plantedBugForgetVote = cluster.forgetVoteOnRestart === true;
          this.memoryStorages.set(g, storage);
        } else {
          this.disks.set(g, new SimDisk(rng.fork()));
        }
      }
    } else {
      // A lone node: each shard is a group of one, its log on its own disk.
      for (let shard = 0; shard < settings.shards; shard++) this.disks.set(shard, new SimDisk(rng.fork()));
    }
    // Drawn last and only for clusters on disks, so other runs keep their schedules.
    if (cluster && this.disks.size > 0) this.damage = { ledger: damageLedgerOf(cluster.spec), rng: rng.fork() };
    const untilUs = cluster?.diskFaultsUntilUs ?? 0;
    if (untilUs > 0 && this.damage !== null) this.armWriteFaults(cluster!.nodeIndex, this.damage.ledger, rng.fork(), untilUs);
    // Forked last and only with background syncs: runs without them draw as before they came.
    this.syncRng = settings.backgroundSync ? rng.fork() : null;
  }

  /** Draws each background fsync's time (sim-background-sync.ts). */
  private readonly syncRng: Random | null;
  /** The current process's background syncers, by group: told which worker to wake once it runs. */
  private syncers = new Map<number, SimBackgroundSyncer>();

  /**
   * Misdirected writes and slow fsyncs on this host's disks while it runs
   * (disk-damage.ts); a misdirection only where the ledger lets a replica
   * of the group be damaged, and then recorded there. Like every fault,
   * they end at quiesce (`untilUs`): after it the cluster must settle.
   */
  private armWriteFaults(nodeIndex: number, ledger: DiskDamageLedger, rng: Random, untilUs: number): void {
    for (const [group, disk] of this.disks) {
      disk.faults = writeFaultsOf(rng);
      disk.misdirectGate = (fault) => {
        if (this.sim.nowUs >= untilUs || !ledger.mayMisdirect(group)) return false;
        ledger.misdirected(group, nodeIndex, fault);
        this.stats.misdirectedWrites++;
        return true;
      };
    }
    this.fsyncLatencyUs = (replicas) => {
      // After quiesce slow fsyncs cost no time (the faults end there): their extra time is never charged, so not taken.
      if (this.sim.nowUs >= untilUs) return 0;
      let ms = 0;
      for (let i = 0; i < replicas.length; i++) ms += this.disks.get(replicas[i]!.group)?.takeFsyncLatencyMs() ?? 0;
      return ms * 1000;
    };
  }

  /** Slow fsyncs' extra time, for the workers to wait (set with the write faults). */
  private fsyncLatencyUs: ((replicas: readonly ShardReplica[]) => number) | undefined = undefined;

  /** Latent damage to this host's disks while it is down (cluster runs on disks only). */
  private readonly damage: { ledger: DiskDamageLedger; rng: Random } | null = null;

  /**
   * Each hosted group's Raft state on its own simulated disk, through the
   * real storage engine (core/storage): it outlives the process, and a crash
   * keeps what was synced (plus, at a power loss, torn or lost unsynced
   * writes, which recovery must cut off).
   */
  private readonly disks = new Map<number, SimDisk>();
  private readonly memoryStorages = new Map<number, MemoryRaftStorage>();
  /** The storages the current process opened (recovered) at boot. */
  private storages = new Map<number, RaftStorage>();

  /** Starts a fresh process (empty memory; what the storages kept). */
  boot(): void {
    this.incarnations++;
    this.openStorages(this.cluster?.nodeIndex ?? this.index);
    const cluster = this.cluster === null ? null
      : { ...this.cluster, storages: this.storages, observe: this.observeRepairs(this.cluster), fsyncLatencyUs: this.fsyncLatencyUs };
    this.current = new SimNode(this.sim, this.threads, this.clock, this.settings, this.rng.fork(), this.stats, this.workerFactory, this.scheduling,
      cluster, this.cluster ? new Map() : this.storages).start();
    const node = this.current;
    for (const [group, syncer] of this.syncers) syncer.onFinished = () => node.backgroundSyncFinished(group);
  }

  /** The cluster's observe, after ending the repairs Raft has finished (their storages drop the REPAIR marker). */
  private observeRepairs(cluster: Omit<NodeCluster, 'storages'>): NodeCluster['observe'] {
    if (this.damage === null) return cluster.observe;
    const ledger = this.damage.ledger;
    return (node: number, replicas: readonly ShardReplica[]): void => {
      // Runs after every step: an indexed loop over the worker's own array (no copy, no iterator).
      for (let i = 0; i < replicas.length; i++) {
        const replica = replicas[i]!;
        const storage = this.storages.get(replica.group);
        if (storage instanceof LogStorage && finishRepairIfDone(replica, storage)) {
          ledger.cleared(replica.group, cluster.nodeIndex);
          this.stats.repairs++;
        }
      }
      cluster.observe(node, replicas);
    };
  }

  /** Recovery at start: every group's storage is opened from what its disk kept. */
  private openStorages(nodeIndex: number): void {
    this.storages = new Map<number, RaftStorage>(this.memoryStorages);
    this.syncers = new Map();
    const incarnation = this.incarnations;
    const alive = (): boolean => this.incarnations === incarnation && this.current !== null;
    for (const [group, disk] of this.disks) {
      const syncer = this.syncRng === null ? undefined : new SimBackgroundSyncer(this.sim, this.syncRng.fork(), alive);
      if (syncer) this.syncers.set(group, syncer);
      // A group with other replicas repairs damaged acknowledged data from them; a group of one refuses it.
      const repairFromPeers = this.cluster !== null && this.cluster.spec.placement[group]!.length > 1;
      const storage = LogStorage.open(disk, {
        identity: { nodeId: nodeIndex + 1, groupId: group }, segmentBytesTarget: SIM_SEGMENT_BYTES, repairFromPeers,
        plantedBugSkipChecksums: this.cluster?.recoverWithoutChecksums === true, backgroundSyncer: syncer,
      });
      this.damage?.ledger.restarted(group, nodeIndex);
      this.stats.recoveredTails += storage.findings.length;
      // Damage that recovery cut off or removed with the unsynced tail leaves nothing to repair.
      if (storage.repair === null) this.damage?.ledger.cleared(group, nodeIndex);
      this.storages.set(group, storage);
    }
  }

  /** A peer batch datagram arrived for this host. */
  receivePeer(bytes: Uint8Array): void {
    this.current?.receivePeer(bytes);
  }

  /** `receivePeer` as a datagram's arrival action, made once (Network.sendDatagram). */
  readonly receivePeerAction = (bytes: Uint8Array): void => this.receivePeer(bytes);

  /**
   * The process dies. `machineDown`: the whole host is gone, so no RSTs go
   * out and clients find out by timing out.
   */
  crash(machineDown: boolean): void {
    if (this.current === null) return;
    this.pastRingLaps = Math.max(this.pastRingLaps, this.current.ringLaps);
    this.current.crash();
    this.current = null;
    // A process crash keeps the page cache (every write so far); a machine going down keeps what was synced
    // and tears or loses the rest.
    for (const disk of this.disks.values()) {
      if (machineDown) disk.crash();
      else disk.processCrash();
    }
    this.damageDisks();
    for (const storage of this.memoryStorages.values()) storage.crash();
    const streams = [...this.accepted.keys()];
    this.accepted.clear();
    this.streamWatches.clear();
    this.watchHub = null;
    if (!machineDown) for (const stream of streams) stream.reset('node');
  }

  /** While down, each group's disk may be damaged, where the ledger allows (disk-damage.ts). */
  private damageDisks(): void {
    if (this.damage === null || this.cluster === null) return;
    const { ledger, rng } = this.damage;
    for (const [group, disk] of this.disks) {
      // Drawn for every group, so whether one may be damaged does not shift the draws of the others.
      const roll = rng.chance(DISK_DAMAGE_CHANCE);
      if (roll && ledger.mayDamage(group, this.cluster.nodeIndex) && ledger.damage(group, this.cluster.nodeIndex, disk, rng)) this.stats.diskDamages++;
    }
  }

  /** Most times any ring of this host went round (see SimNode.ringLaps). */
  get ringLaps(): number {
    return Math.max(this.pastRingLaps, this.current?.ringLaps ?? 0);
  }

  /** Every stream the current process has open (for the connection-reset fault). */
  openStreams(): ClientStream[] {
    return [...this.accepted.keys()].filter((s) => s.open);
  }

  /** A client opened a stream to this host: its messages come here. */
  attach(stream: ClientStream): void {
    stream.onNodeReceive = (message) => this.receive(stream, message);
    stream.onNodeReset = () => {
      this.accepted.delete(stream);
      this.closeWatch(stream);
    };
  }

  private receive(stream: ClientStream, message: ToNode): void {
    const node = this.current;
    if (node === null) return; // host down: nothing answers
    if (message.t === 'connect') {
      this.accepted.set(stream, node);
      stream.sendToClient({ t: 'accept' });
      return;
    }
    if (this.accepted.get(stream) !== node) {
      // A connection this process never accepted (it predates a restart): RST.
      stream.reset('node');
      return;
    }
    switch (message.t) {
      case 'ping':
        stream.sendToClient({ t: 'pong', id: message.id });
        return;
      case 'watch':
        this.openWatch(node, stream, message.id, message.prefix, message.after);
        return;
      case 'request': {
        const id = message.id;
        node.execute(message.request, (reply) => {
          if (node.alive) stream.sendToClient({ t: 'reply', id, reply });
        });
        return;
      }
    }
  }

  /** The watcher's watch: the node's hub (made at the first) opens it; its events go back on the stream while this process lives. */
  private openWatch(node: SimNode, stream: ClientStream, id: number, prefix: Uint8Array, after: string | null): void {
    const setup = this.watchSetup;
    if (setup === null) throw new Error('a watch reached a node that serves none (no watch checker set up)');
    if (this.watchHub?.node !== node) {
      // An id per process: the watch checker's name for its reference, and its logId for groups whose log has none.
      const processId = node.rng.nextU32() || 1;
      const reference = setup.checker.referenceFor(processId, () => this.sim.nowUs);
      this.watchHub = { node, hub: new SimWatchHub(node, node.groups, processId, reference, setup.bugs) };
    }
    this.closeWatch(stream);
    const send = (message: ToClient): void => {
      if (node.alive && stream.open) stream.sendToClient(message);
    };
    const process = this.watchHub.hub.localLogId;
    const watch = this.watchHub.hub.open(prefix, after, {
      onReady: (_watch, resume) => send({ t: 'watch-ok', id, resume, process }),
      onChange: (_watch, c, resume) => {
        const change: CheckedChange = {
          group: c.group, index: c.version, seq: c.seq, key: bytesToBinaryString(c.key), kind: c.kind,
          value: c.value === null ? null : bytesToBinaryString(c.value),
        };
        send({ t: 'change', id, change, resume, process });
        return true; // a simulated stream has no send buffer to fill
      },
      onEnd: (code, message) => {
        this.streamWatches.delete(stream);
        send({ t: 'watch-end', id, code, message });
      },
    });
    if (watch !== null && watch.state !== 'ended') this.streamWatches.set(stream, watch);
  }

  private closeWatch(stream: ClientStream): void {
    const watch = this.streamWatches.get(stream);
    if (watch === undefined) return;
    this.streamWatches.delete(stream);
    this.watchHub?.hub.close(watch);
  }

  /** A request datagram (lossy client mode); the reply goes back as a datagram, which may be duplicated. */
  receiveDatagram(clientHost: number, clientThread: number, request: Request, onReply: (reply: Reply) => void): void {
    const node = this.current;
    if (node === null) return;
    node.execute(request, (reply) => {
      if (!node.alive) return;
      this.network.sendDatagram(this.host, clientHost, clientThread, onReply, reply, true);
    });
  }
}
