// One client watch served by a gateway from several nodes' watches: a
// prefix spans every group, and no node need hold them all (5 nodes with 3
// replicas each, or --replicas 1), so the watch is split by group over the
// nodes holding replicas (spread: each node takes its share), one node
// watch per chosen node asking for its groups (`groups` in the watch frame),
// and their changes merged into the client's stream. A key watch is the
// case of one group.
//
// Positions (core/watch/resume-token.ts): each group's part of a token
// stands alone and is good on any replica of the group. The merged watch
// keeps, per group, the position of the last change it handed the client
// (or the start), and hands the client the union with every change: so a
// client token resumes anywhere, split by group. A node watch that fails
// (its node went away) is replaced: its groups are placed again on other
// replicas and resumed from those positions, so the client sees a pause, no
// gap and no duplicate. COMPACTED from one replica (it began recording after
// the position) is tried on the group's other replicas first.
//
// Ordering: per group, the node's order (the log's); groups interleave in
// arrival order, as on a node.
//
// Flow: a node watch's changes are taken only while the client's session
// has room (pump() when it has room again); each node watch holds at most
// RELAY_QUEUED_CHANGES_MAX in the gateway before its socket stops, so a slow
// watcher costs the gateway bounded memory (that many per node watched).
//
// What must hold: a change is handed only while live, after the ok; each
// group's position moves only forward, to the change handed; a replaced
// node watch resumes each of its groups from the position last handed.

import type { ErrorName } from '../../core/errors.js';
import { ConnectionClosedError, PiccoloError, ProtocolError } from '../../client/errors.js';
import type { WatchChange } from '../../client/watch.js';
import { decodeResumeToken, encodeResumeToken, tokenForGroups, type ResumeToken, type TokenPosition } from '../../core/watch/resume-token.js';
import type { SessionWatchEvents, WatchHandle } from './watch-session.js';

/** Changes one node watch holds in the gateway before its socket stops (each holds its key and value). */
export const RELAY_QUEUED_CHANGES_MAX = 256;
/**
 * Failed opens of a group's node watch in a row (none live in between)
 * before the client's watch ends UNAVAILABLE: with the waits below, about 6 s
 * of trying every replica, longer than an election and a node's restart.
 */
export const RELAY_RETRIES_MAX = 5;
/** Wait before the second open of a group in a row, doubled each further one (the first goes to another replica at once). */
export const RELAY_RETRY_WAIT_MS = 200;

/** Where the groups' replicas are (the gateway's map: leader-map.ts). */
export interface WatchPlacement {
  readonly groupCount: number;
  /** Endpoints (`host:port`) of the nodes holding a replica of `group`. */
  replicasOf(group: number): readonly string[];
}

/** What a merged watch needs of the gateway. */
export interface MergeDeps {
  /** Replicas of `group` now: the map's, or every known node when the map does not say. */
  replicasOf(group: number): readonly string[];
  /** A node watch on `endpoint` of `groups` (null: a key watch, its own group), from now or after `after`; `onLive` at its ok. */
  openNode(endpoint: string, groups: readonly number[] | null, after: string | null, onLive: (resume: string) => void): AsyncIterator<WatchChange>;
  /** A node whose watch failed: avoided for a while by every watch. */
  suspect(endpoint: string): void;
  isSuspect(endpoint: string): boolean;
  /** Node watches open per endpoint, over every merged watch (to spread them). */
  readonly load: Map<string, number>;
}

/** What the client asked: the groups it covers, and where to start. */
export interface MergedSpec {
  readonly match: 'prefix' | 'key';
  readonly groups: readonly number[];
  /** Start after these positions; null: from now. */
  readonly after: ResumeToken | null;
}

class NodeWatch {
  iterator: AsyncIterator<WatchChange> | null = null;
  live = false;
  closed = false;
  /** Inside pull(): one reader of the node's stream at a time. */
  pulling = false;
  /** A change that came before the merged watch was live: handed once it is. */
  stash: WatchChange | null = null;

  constructor(readonly endpoint: string, readonly groups: readonly number[]) {}
}

export class MergedWatch implements WatchHandle {
  state: 'pending' | 'live' | 'ended' = 'pending';
  /** The session has no room: take no change until pump(). */
  private paused = false;
  private readonly nodes = new Set<NodeWatch>();
  /** Groups waiting to be placed again (a node watch failed). */
  private replacing = 0;
  /** Per group, the position of the last change handed to the client (or the start). */
  private readonly positions = new Map<number, TokenPosition>();
  /** Per group, node watches that failed in a row (none live since). */
  private readonly failures = new Map<number, number>();
  /** Per group, replicas that answered COMPACTED since it was last live. */
  private readonly compactedOn = new Map<number, Set<string>>();

  constructor(private readonly spec: MergedSpec, private readonly deps: MergeDeps, readonly events: SessionWatchEvents) {
    if (spec.after !== null) {
      for (const g of spec.groups) {
        const at = spec.after.positions.get(g);
        if (at === undefined) {
          this.end('BAD_REQUEST', `the resume token does not cover group ${g}: give the token of a watch of the same key or prefix`);
          return;
        }
        this.positions.set(g, at);
      }
    }
    this.place(spec.groups);
  }

  /** A method, not a field test: the state changes across the awaits of pull(). */
  get ended(): boolean {
    return this.state === 'ended';
  }

  /** The session has room again. */
  pump(): void {
    this.paused = false;
    for (const node of this.nodes) void this.pull(node);
  }

  /** The client is done (unwatch, or its connection closed): no more events. */
  close(): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    for (const node of [...this.nodes]) this.drop(node);
  }

  end(code: ErrorName, message: string): void {
    if (this.state === 'ended') return;
    this.close();
    this.events.onEnd(code, message);
  }

  /** Open node watches covering `groups`, each on a replica not avoided, spread by load. */
  private place(groups: readonly number[]): void {
    const byNode = new Map<string, number[]>();
    for (const g of groups) {
      const replicas = this.deps.replicasOf(g);
      const compacted = this.compactedOn.get(g);
      const fresh = replicas.filter((e) => !compacted?.has(e));
      if (fresh.length === 0) {
        return this.end(replicas.length === 0 ? 'UNAVAILABLE' : 'COMPACTED', replicas.length === 0
          ? `the gateway knows no node holding group ${g}: retry shortly`
          : `no replica of group ${g} holds the changes after the token (each keeps a bounded history, from when it began recording): re-read, then watch again`);
      }
      const healthy = fresh.filter((e) => !this.deps.isSuspect(e));
      const pool = healthy.length > 0 ? healthy : fresh;
      const load = (e: string): number => (this.deps.load.get(e) ?? 0) + (byNode.get(e)?.length ?? 0);
      let best = pool[0]!;
      for (const e of pool) if (load(e) < load(best)) best = e;
      let list = byNode.get(best);
      if (list === undefined) byNode.set(best, list = []);
      list.push(g);
    }
    for (const [endpoint, share] of byNode) this.openNode(endpoint, share);
  }

  private openNode(endpoint: string, groups: readonly number[]): void {
    const node = new NodeWatch(endpoint, groups);
    this.nodes.add(node);
    this.deps.load.set(endpoint, (this.deps.load.get(endpoint) ?? 0) + 1);
    // Resume where the client is (a live watch, or a resumed one); from now while starting fresh.
    const after = groups.every((g) => this.positions.has(g)) ? encodeResumeToken(tokenForGroups({ positions: this.positions }, groups)) : null;
    node.iterator = this.deps.openNode(endpoint, this.spec.match === 'key' ? null : groups, after, (resume) => this.onNodeLive(node, resume));
    void this.pull(node);
  }

  private onNodeLive(node: NodeWatch, resume: string): void {
    if (node.closed || node.live) return; // live again after its socket paused for room: nothing new
    node.live = true;
    for (const g of node.groups) {
      this.failures.delete(g);
      this.compactedOn.delete(g);
    }
    if (!node.groups.every((g) => this.positions.has(g))) {
      const token = decodeResumeToken(resume);
      if (token === null || token === 'old') return this.failed(node, new ProtocolError('the node answered with a token the gateway cannot read'));
      for (const g of node.groups) {
        const at = token.positions.get(g);
        if (at === undefined) return this.failed(node, new ProtocolError(`the node's watch does not cover group ${g}`));
        this.positions.set(g, at);
      }
    }
    if (this.state !== 'pending' || this.replacing > 0) return;
    for (const other of this.nodes) if (!other.live) return;
    this.state = 'live';
    this.events.onReady(this, this.token());
    for (const other of this.nodes) void this.pull(other);
  }

  /** Pass a node's changes on while the session has room. */
  private async pull(node: NodeWatch): Promise<void> {
    if (node.pulling || node.closed) return;
    node.pulling = true;
    try {
      while (!this.ended && !node.closed && !this.paused) {
        if (node.stash !== null) {
          if (this.state !== 'live') break;
          const change = node.stash;
          node.stash = null;
          this.deliver(node, change);
          continue;
        }
        const next = await node.iterator!.next();
        if (this.ended || node.closed) return;
        if (next.done === true) throw new ConnectionClosedError('the node ended the watch');
        if (this.state === 'live') this.deliver(node, next.value);
        else {
          node.stash = next.value;
          break;
        }
      }
    } catch (error) {
      this.failed(node, error);
    } finally {
      node.pulling = false;
    }
  }

  private deliver(node: NodeWatch, change: WatchChange): void {
    const token = decodeResumeToken(change.resume);
    if (token === null || token === 'old') return this.failed(node, new ProtocolError('the node sent a change with a token the gateway cannot read'));
    for (const g of node.groups) {
      const at = token.positions.get(g);
      if (at !== undefined) this.positions.set(g, at);
    }
    if (!this.events.onChange(this, change, this.token())) this.paused = true;
  }

  /** A node watch failed: end the client's watch, or place its groups again (at once on another replica; waiting when retried). */
  private failed(node: NodeWatch, error: unknown): void {
    if (this.ended || node.closed) return;
    this.drop(node);
    const code = error instanceof PiccoloError && error.number > 0 ? error.code as ErrorName : 'UNAVAILABLE';
    const message = (error as Error).message;
    if (code === 'COMPACTED') {
      for (const g of node.groups) {
        let set = this.compactedOn.get(g);
        if (set === undefined) this.compactedOn.set(g, set = new Set());
        set.add(node.endpoint);
      }
    } else if (code === 'UNAVAILABLE') {
      this.deps.suspect(node.endpoint);
      for (const g of node.groups) {
        const n = (this.failures.get(g) ?? 0) + 1;
        this.failures.set(g, n);
        if (n > RELAY_RETRIES_MAX) {
          return this.end('UNAVAILABLE', `no replica of group ${g} could be watched after ${RELAY_RETRIES_MAX} tries (the last, on ${node.endpoint}: ${message}); retry shortly`);
        }
      }
    } else {
      return this.end(code, message);
    }
    const tries = Math.max(...node.groups.map((g) => this.failures.get(g) ?? 0));
    if (tries <= 1) return this.place(node.groups); // the first failure: another replica at once
    const waitMs = RELAY_RETRY_WAIT_MS * 2 ** (tries - 2);
    this.replacing++;
    setTimeout(() => {
      this.replacing--;
      if (!this.ended) this.place(node.groups);
    }, waitMs);
  }

  private drop(node: NodeWatch): void {
    node.closed = true;
    this.nodes.delete(node);
    const left = (this.deps.load.get(node.endpoint) ?? 1) - 1;
    if (left > 0) this.deps.load.set(node.endpoint, left);
    else this.deps.load.delete(node.endpoint);
    void node.iterator?.return?.();
  }

  private token(): string {
    return encodeResumeToken({ positions: this.positions });
  }
}
