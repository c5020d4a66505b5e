// A node's membership in a static cluster, wired together: the topology
// (who hosts which group), the shared memory the workers and the IO thread
// share for it (peer rings, doorbells, group status, link states), the
// peer transport, the pump between them, the vote gate and the router.
// server.ts calls it in a few places: workerSetup() while the pool starts,
// router() to route requests, start() once the client doors listen (the
// node card names their ports), close() before the pool stops.

import { randomBytes, randomInt } from 'node:crypto';
import { resolve } from 'node:path';
import { DEFAULT_PEER_LIMITS, PEER_BATCH_HEADROOM_BYTES, type Limits } from '../../core/limits.js';
import type { ShardTransport } from '../../core/node/dispatcher.js';
import { errReply } from '../../core/protocol/ops.js';
import { DEFAULT_RAFT_TUNING } from '../../core/raft/raft.js';
import { SpscRing, ringBufferBytes } from '../../core/ring/spsc-ring.js';
import { PeerTransport } from '../peer/peer-transport.js';
import { ClusterAdmin } from './cluster-admin.js';
import { ClusterRouter, type NodeEndpoints } from './cluster-router.js';
import { ForwardingRouter } from './forwarding-router.js';
import { PeerForwarder } from './peer-forwarder.js';
import { isPeerForward } from '../../schema/peer-forward-codec.js';
import { isPeerPublish, PeerPublishLink } from '../pubsub/peer-publish.js';
import type { PubsubHub } from '../pubsub/pubsub-hub.js';
import { CLUSTER_NODES_MAX, ClusterTopology, type ClusterMember } from './cluster-topology.js';
import type { WorkerClusterSetup } from './cluster-worker.js';
import { GroupMembersTable } from './group-members.js';
import { GroupStatusTable } from './group-status.js';
import { loadMembership, storeMembership, type MembershipRecord } from './membership-record.js';
import { LeaderPreferences } from './leader-preferences.js';
import { decodeCard, encodeCard } from './node-card.js';
import { PeerPump, ringDoorbell, type WorkerPeerRings } from './peer-pump.js';
import { VoteGate } from './vote-gate.js';
import type { ClusterView } from '../io/resp-cluster-commands.js';

export interface ClusterOptions {
  nodeId: number;
  /** Every node of the cluster, this one included (the same list on every node). */
  members: readonly ClusterMember[];
  /** Where this node listens for peers (0 picks a free port). */
  peerPort: number;
  /** The host peers and clients reach this node at (redirects and CLUSTER replies name it). */
  advertiseHost: string;
  groups: number;
  replicas: number;
  secret: string | null;
  /** Raft state on disk (--data-dir): votes survive restarts, so the vote gate stays open. */
  durable?: boolean;
  /** The node ids the first placement was computed from, when `members` is no longer that list (nodes were added). */
  genesis?: readonly number[];
  /** A node that joined (--join): the membership record it read from the cluster, kept as its own at first start. */
  joined?: MembershipRecord;
  /** The data directory (--data-dir), where leader preferences are kept; absent with --in-memory. */
  dataDir?: string;
}

/**
 * Ms between Raft ticks on every worker. With DEFAULT_RAFT_TUNING (election
 * after 10-19 ticks, a heartbeat every tick) a dead leader is replaced in
 * about 0.5-1 s, well within the 3 s the cluster promises, while idle
 * heartbeats stay at 20 per second per group.
 */
export const RAFT_TICK_MS = 50;

/**
 * Bytes waiting for one peer before further batches to it are dropped: a few
 * max-sized appends (Raft resends what is dropped; memory stays bounded).
 */
export const PEER_SEND_QUEUE_BYTES_MAX = 64 * 1024 * 1024;

/**
 * Bytes of each peer ring: a power of two holding two records of the largest
 * append (its byte budget plus one max-sized entry, plus batch headers).
 * Snapshots pass in chunks no larger than an append (RaftConfig.snapshotChunkBytes).
 */
export function peerRingBytes(limits: Limits): number {
  const record = DEFAULT_RAFT_TUNING.appendBytesMax + limits.frameBytesMax + PEER_BATCH_HEADROOM_BYTES;
  let bytes = limits.ringBytes;
  while (bytes < 2 * record) bytes *= 2;
  return bytes;
}

export class ClusterNode implements ClusterView {
  readonly topology: ClusterTopology;
  readonly status: GroupStatusTable;
  readonly gate: VoteGate;
  private readonly linksUp: Int32Array;
  private readonly rings: WorkerPeerRings[] = [];
  private readonly endpoints = new Map<number, NodeEndpoints>();
  /** Each peer's incarnation as its last card said: a new one means it restarted with its memory gone. */
  private readonly incarnations = new Map<number, string>();
  /** This process's incarnation (node-card.ts). */
  private readonly incarnation = randomBytes(8).toString('hex');
  private transport: PeerTransport | null = null;
  private pump: PeerPump | null = null;
  private routerInstance: ClusterRouter | null = null;
  /** Client requests (HTTP, WebSocket) to and from other nodes' leaders (peer-forwarder.ts). */
  readonly forwarder: PeerForwarder;
  /** Where each group's leadership belongs (placement, or an operator's transfer-leader). */
  readonly preferences: LeaderPreferences;
  /** The operator's commands (POST /v1/cluster/<action>). */
  readonly admin: ClusterAdmin;
  /** Each hosted group's voters and learners, as its worker publishes them. */
  readonly members: GroupMembersTable;
  /** Groups this node hosts a replica of: placed here, or moved here since (the pump admits their peer traffic). */
  readonly hosted: Set<number>;
  /** This node's copy of the membership record (membership-record.ts). */
  private membership: MembershipRecord;
  private readonly dataDir: string | null;
  /** Each member's index in `linksUp`, given in the order nodes became known (workers index the first ones the same way). */
  private readonly linkSlots = new Map<number, number>();
  /** Every other node's peer address; the transport reads it when a link is first needed, so added nodes are reached. */
  private readonly peers = new Map<number, { host: string; port: number }>();
  /** PUBLISH to and from the other nodes (runtime-node/pubsub/peer-publish.ts), once attachPubsub gave the hub. */
  private publishLink: PeerPublishLink | null = null;

  constructor(readonly options: ClusterOptions, private readonly limits: Limits, private readonly log: (line: string) => void) {
    this.topology = new ClusterTopology(options.nodeId, [...options.members], options.groups, options.replicas, options.genesis);
    this.status = GroupStatusTable.allocate(options.groups);
    this.members = GroupMembersTable.allocate(options.groups);
    this.dataDir = options.dataDir === undefined ? null : resolve(options.dataDir);
    // Host and route by the membership as it was last announced, not by the --peers list alone.
    this.membership = loadMembership(this.dataDir, options.groups);
    if (options.joined !== undefined && this.membership.nodes === undefined) {
      this.membership = options.joined;
      storeMembership(this.dataDir, this.membership);
    }
    this.linksUp = new Int32Array(new SharedArrayBuffer(4 * CLUSTER_NODES_MAX));
    for (const m of options.members) this.addPeer(m);
    this.applyMembership();
    this.hosted = new Set(this.topology.groupsOf(options.nodeId));
    this.preferences = new LeaderPreferences(this.dataDir, (group) => this.topology.preferredLeader(group), options.groups);
    this.admin = this.createAdmin();
    this.gate = new VoteGate(this.topology, this.status, (group, state) => {
      log(state === 'open' ? `piccolo: group ${group}: this replica may vote`
        : `piccolo: group ${group}: the group has a history this node may have forgotten; no votes until it has caught up with a leader`);
    }, options.durable === true);
    this.forwarder = new PeerForwarder({
      selfId: options.nodeId, limits,
      send: (to, bytes) => this.transport?.send(to, bytes) ?? false,
      linkUp: (to) => this.transport !== null && this.linkUp(to),
      serve: (group, request, onReply) => {
        if (this.routerInstance) this.routerInstance.submitLocal(group, request, onReply);
        else onReply(errReply('SHUTTING_DOWN', 'this node is not serving yet'));
      },
    });
  }

  private createAdmin(): ClusterAdmin {
    const { options } = this;
    return new ClusterAdmin({
      selfId: options.nodeId,
      groups: options.groups,
      replicas: options.replicas,
      durable: this.dataDir !== null,
      replicasOf: (group) => this.topology.placement[group]!,
      nodes: () => this.topology.members.map((m) => ({ id: m.id, http: this.endpoints.get(m.id)?.http ?? null })),
      genesis: () => this.topology.genesisIds,
      members: () => this.topology.members,
      prefer: (group, node) => {
        this.preferences.set(group, node);
        this.pump?.control({ kind: 'preferLeader', group, node });
      },
      leadsHere: (group) => this.hosted.has(group) && this.status.read(group).role === 'leader',
      hostGroup: (group) => {
        if (this.hosted.has(group)) return;
        this.hosted.add(group);
        this.pump?.control({ kind: 'hostGroup', group, node: options.nodeId });
      },
      confChange: (group, kind, node) => this.pump?.control({ kind, group, node }),
      membership: () => this.membership,
      adoptMembership: (record) => {
        if (record.version <= this.membership.version) return;
        storeMembership(this.dataDir, record);
        this.membership = record;
        this.applyMembership();
      },
      log: this.log,
    });
  }

  /** The membership record's nodes join the address book, its replicas become the routing view. */
  private applyMembership(): void {
    for (const node of this.membership.nodes ?? []) this.addPeer(node);
    for (const [group, nodes] of Object.entries(this.membership.replicas)) this.topology.setReplicas(Number(group), nodes);
  }

  /** A node this one can link to (from --peers, or added since): its address, a link-state slot, a link opened if this end dials. */
  private addPeer(member: ClusterMember): void {
    if (this.linkSlots.has(member.id)) return;
    if (this.linkSlots.size >= CLUSTER_NODES_MAX) {
      this.log(`piccolo: node ${member.id} not added: a cluster has at most ${CLUSTER_NODES_MAX} nodes`);
      return;
    }
    this.linkSlots.set(member.id, this.linkSlots.size);
    this.topology.addMember(member);
    if (member.id === this.options.nodeId) return;
    this.peers.set(member.id, { host: member.host, port: member.peerPort });
    if (this.transport !== null) {
      this.log(`piccolo: node ${member.id} joined the cluster at ${member.host}:${member.peerPort}`);
      this.transport.connect(member.id);
    }
  }

  /** Workers for `requested`: no more than groups (a worker hosts whole groups). */
  workerCount(requested: number): number {
    return Math.max(1, Math.min(requested, this.options.groups));
  }

  /** The cluster part of worker `index`'s setup (its groups are those of `groupIndexes` this node hosts). */
  workerSetup(index: number, groupIndexes: readonly number[]): WorkerClusterSetup {
    const ringBytes = peerRingBytes(this.limits);
    const peerInRing = new SharedArrayBuffer(ringBufferBytes(ringBytes));
    const peerOutRing = new SharedArrayBuffer(ringBufferBytes(ringBytes));
    const doorbell = new SharedArrayBuffer(4);
    this.rings[index] = {
      peerIn: new SpscRing(peerInRing), peerOut: new SpscRing(peerOutRing), doorbell: new Int32Array(doorbell), recordsPending: [],
    };
    return {
      nodeId: this.options.nodeId,
      groups: groupIndexes.filter((g) => this.hosted.has(g)),
      placement: this.topology.genesis.map((nodes) => [...nodes]),
      preferred: this.preferences.all(this.options.groups),
      memberIds: [...this.linkSlots.keys()],
      peerInRing,
      peerOutRing,
      doorbell,
      status: this.status.memory as SharedArrayBuffer,
      members: this.members.memory,
      linksUp: this.linksUp.buffer as SharedArrayBuffer,
      tickMs: RAFT_TICK_MS,
      seed: randomInt(2 ** 31),
    };
  }

  /** The doorbell of worker `index` (the pool rings it when it publishes requests). */
  doorbellOf(index: number): Int32Array {
    return this.rings[index]!.doorbell;
  }

  /** Wrap the workers' transport so requests for groups led elsewhere are redirected. */
  router(workers: ShardTransport): ClusterRouter {
    this.routerInstance = new ClusterRouter(workers, this.topology, this.status, (id) => this.endpoints.get(id), (id) => this.linkUp(id),
      (group) => this.preferences.preferredLeader(group));
    return this.routerInstance;
  }

  /** For HTTP and WebSocket: requests for groups led elsewhere are forwarded to their leader (call router() first). */
  forwardingRouter(): ForwardingRouter {
    return new ForwardingRouter(this.routerInstance!, this.forwarder, this.options.nodeId);
  }

  leaderOf(group: number): number {
    return this.routerInstance?.leaderOf(group) ?? 0;
  }

  termMax(): number {
    let max = 0;
    for (const group of this.hosted) max = Math.max(max, this.status.read(group).term);
    return max;
  }

  endpointsOf(nodeId: number): NodeEndpoints | undefined {
    return this.endpoints.get(nodeId);
  }

  linkUp(nodeId: number): boolean {
    const index = this.linkSlots.get(nodeId);
    return index !== undefined && Atomics.load(this.linksUp, index) === 1;
  }

  /** Carry this node's PUBLISHes to every other node and deliver theirs to `hub`'s subscribers. */
  attachPubsub(hub: PubsubHub): void {
    this.publishLink = new PeerPublishLink(hub, (bytes) => {
      let sent = 0;
      for (const peer of this.peers.keys()) if (peer !== this.options.nodeId && this.linkUp(peer) && this.transport?.send(peer, bytes)) sent++;
      return sent;
    });
  }

  /** Open the peer port and start moving peer batches. `own`: this node's client endpoints, as the card advertises them. */
  async start(own: NodeEndpoints, workers: ShardTransport): Promise<void> {
    const { options, topology } = this;
    this.endpoints.set(options.nodeId, own);
    const self = topology.member(options.nodeId)!;
    const hosted = this.hosted;
    const peers = this.peers;
    const setLink = (peer: number, up: boolean): void => {
      const index = this.linkSlots.get(peer);
      if (index !== undefined) Atomics.store(this.linksUp, index, up ? 1 : 0);
    };
    const transport = new PeerTransport({
      nodeId: options.nodeId, host: self.host, port: options.peerPort, peers, secret: options.secret, thresholds: this.limits.collections,
      frameBytesMax: DEFAULT_PEER_LIMITS.batchBytesMax, sendQueueBytesMax: PEER_SEND_QUEUE_BYTES_MAX,
      log: this.log,
      // A PeerPublish has a data section too: it is told apart first.
      onBatch: (from, bytes) => (isPeerPublish(bytes) ? this.publishLink?.receive(bytes)
        : isPeerForward(bytes) ? this.forwarder.receive(from, bytes) : this.pump?.receive(from, bytes)),
      onLinkUp: (peer) => setLink(peer, true),
      onLinkDown: (peer) => { setLink(peer, false); this.forwarder.linkDown(peer); },
      card: () => encodeCard({ nodeId: options.nodeId, resp: own.resp, http: own.http, terms: this.ownTerms(hosted), incarnation: this.incarnation }),
      onCard: (from, bytes) => {
        const card = decodeCard(bytes);
        if (typeof card === 'string' || card.nodeId !== from) return false;
        this.endpoints.set(from, { resp: card.resp, http: card.http });
        this.gate.onCard(from, card.terms);
        const known = this.incarnations.get(from);
        this.incarnations.set(from, card.incarnation);
        if (known !== undefined && known !== card.incarnation) {
          this.log(`piccolo: node ${from} restarted; its replicas catch up from their leaders`);
          this.pump?.peerRestarted(from);
        }
        return true;
      },
    });
    this.pump = new PeerPump(options.nodeId, this.rings, workers.slotMap, hosted, this.gate, (to, bytes) => transport.send(to, bytes));
    this.pump.start();
    this.transport = transport;
    await transport.start();
  }

  private ownTerms(hosted: ReadonlySet<number>): Record<string, number> {
    const terms: Record<string, number> = {};
    for (const group of hosted) terms[String(group)] = this.status.read(group).term;
    return terms;
  }

  /** This node's view of the cluster, for GET /healthz (with the password): peers, and each group's replicas and leader. */
  healthReport(): Record<string, unknown> {
    const { topology } = this;
    const self = this.options.nodeId;
    return {
      nodeId: self,
      peerPort: this.peerPort,
      forwarding: { ...this.forwarder.stats, inFlight: this.forwarder.inFlight },
      replicasPerGroup: this.options.replicas,
      genesis: topology.genesisIds,
      membership: this.membership,
      nodes: topology.members.map((m) => ({
        id: m.id, peer: `${m.host}:${m.peerPort}`, linkUp: m.id === self || this.linkUp(m.id), ...(this.endpoints.get(m.id) ?? {}),
      })),
      groups: topology.placement.map((replicas, group) => {
        const [first, last] = topology.slotRange(group);
        const s = this.hosted.has(group) ? this.status.read(group) : null;
        const members = s ? this.members.read(group) : null;
        const leader = this.leaderOf(group);
        return {
          group, slots: [first, last], replicas, leader, leaderHttp: this.endpoints.get(leader)?.http ?? null,
          preferredLeader: this.preferences.preferredLeader(group),
          ...(s ? { role: s.role, term: s.term, commit: s.commit, applied: s.applied, voteGate: this.gate.stateOf(group) ?? 'open' } : {}),
          ...(members ? { voters: members.voters, learners: members.learners } : {}),
          ...(s && s.snapshotsTooLarge > 0 ? { snapshotsTooLarge: s.snapshotsTooLarge } : {}),
        };
      }),
    };
  }

  get peerPort(): number {
    return this.transport?.port ?? 0;
  }

  /** Stop the peer links and the pump (before the workers stop). */
  async close(): Promise<void> {
    this.pump?.stop();
    this.forwarder.close();
    await this.transport?.close();
    for (const ring of this.rings) if (ring) ringDoorbell(ring.doorbell);
  }
}
