// A gateway's watches: each client watch is served by merging node watches
// (merged-watch.ts): a prefix's groups are placed on nodes holding replicas
// of them (the gateway's map, leader-map.ts, knows where they are), one
// node watch per chosen node over the typed client's watchChanges
// (client/watch.ts, a WebSocket of its own, asking for its groups), their
// changes passed on with the union of the groups' positions as the token.
// A key watch is one group's. Tokens are portable across a group's replicas
// (core/watch/resume-token.ts), so a resume may go to any of them, and a
// node watch whose node goes away is resumed on another replica.
//
// Nodes whose watch failed are avoided by every watch for RELAY_SUSPECT_MS
// while another replica is there; node watches are spread by how many each
// node serves already.

import type { ErrorName } from '../../core/errors.js';
import { slotOf } from '../../core/routing/slot-hash.js';
import type { SlotMap } from '../../core/routing/slot-map.js';
import type { WatchLimits } from '../../core/watch/watch-limits.js';
import { decodeResumeToken } from '../../core/watch/resume-token.js';
import type { ResolvedOptions } from '../../client/options.js';
import { openSocket } from '../../client/web-socket.js';
import { watchChanges, type WatchChange } from '../../client/watch.js';
import { MergedWatch, RELAY_QUEUED_CHANGES_MAX, type MergeDeps, type WatchPlacement } from './merged-watch.js';
import type { SessionWatchEvents, WatchHandle, WatchSource } from './watch-session.js';

export { RELAY_QUEUED_CHANGES_MAX } from './merged-watch.js';

/** How long a node whose watch failed is avoided while another replica is there: a restart, or a partition's usual length. */
export const RELAY_SUSPECT_MS = 5_000;

/** The gateway's map as the relay needs it: placement, and the slot map for a key's group. */
export interface RelayMap extends WatchPlacement {
  readonly slotMap: SlotMap;
}

export class RelayWatchSource implements WatchSource {
  /** Node endpoints whose watch failed, with when to trust them again (performance.now() ms). */
  private readonly suspects = new Map<string, number>();
  private readonly deps: Omit<MergeDeps, 'replicasOf' | 'openNode'>;

  constructor(
    readonly limits: WatchLimits,
    /** The nodes' HTTP/WebSocket endpoints (`host:port`) as the gateway's map knows them now. */
    private readonly endpoints: () => readonly string[],
    /** How to reach the nodes: their password, timeouts (the gateway's own client options). */
    private readonly client: ResolvedOptions,
    private readonly nodeTls: boolean,
    /** The gateway's map now (null before the first: then nothing can be placed). */
    private readonly map: () => RelayMap | null = () => null,
  ) {
    this.deps = {
      load: new Map(),
      suspect: (endpoint) => { this.suspects.set(endpoint, performance.now() + RELAY_SUSPECT_MS); },
      isSuspect: (endpoint) => {
        const until = this.suspects.get(endpoint);
        if (until === undefined) return false;
        if (until > performance.now()) return true;
        this.suspects.delete(endpoint);
        return false;
      },
    };
  }

  /** The nodes decide (they know what they hold); the groups are checked in open(). */
  refusal(): string | null {
    return null;
  }

  open(match: 'prefix' | 'key', bytes: Uint8Array, after: string | null, events: SessionWatchEvents, only: readonly number[] | null = null): WatchHandle {
    const ended = (code: ErrorName, message: string): WatchHandle => {
      events.onEnd(code, message);
      return { state: 'ended' };
    };
    const map = this.map();
    if (map === null || this.endpoints().length === 0) return ended('UNAVAILABLE', 'the gateway knows no node to watch on yet: retry shortly');
    const token = after === null ? null : decodeResumeToken(after);
    if (token === null && after !== null) return ended('BAD_REQUEST', 'after is not a resume token a watch gave');
    if (token === 'old') return ended('COMPACTED', 'the resume token is of an older format, which named one run of one node: re-read, then watch again');
    const unknown = only?.filter((g) => g >= map.groupCount) ?? [];
    if (unknown.length > 0) return ended('BAD_REQUEST', `no group ${unknown.join(', ')}: the cluster has groups 0 to ${map.groupCount - 1}`);
    const groups = match === 'key' ? [map.slotMap.shardOf(slotOf(bytes))] : only ?? Array.from({ length: map.groupCount }, (_, g) => g);
    return new MergedWatch({ match, groups, after: token }, {
      ...this.deps,
      replicasOf: (group) => {
        const replicas = this.map()?.replicasOf(group) ?? [];
        return replicas.length > 0 ? replicas : this.endpoints(); // a map without placement: any node may hold it
      },
      openNode: (endpoint, nodeGroups, nodeAfter, onLive) => this.openNode(endpoint, match, bytes, nodeGroups, nodeAfter, onLive),
    }, events);
  }

  close(watch: WatchHandle): void {
    if (watch instanceof MergedWatch) watch.close();
  }

  pump(watch: WatchHandle): void {
    if (watch instanceof MergedWatch) watch.pump();
  }

  /** One node watch: no reconnects of its own (the merged watch places its groups again), at most RELAY_QUEUED_CHANGES_MAX held. */
  private openNode(endpoint: string, match: 'prefix' | 'key', bytes: Uint8Array, groups: readonly number[] | null, after: string | null,
    onLive: (resume: string) => void): AsyncIterator<WatchChange> {
    const url = `${this.nodeTls ? 'wss' : 'ws'}://${endpoint}/v1/ws`;
    const changes = watchChanges(() => openSocket(undefined, url, this.client), bytes, {
      after, exactKey: match === 'key', queuedChangesMax: RELAY_QUEUED_CHANGES_MAX, reconnect: false, onLive,
      ...(groups !== null ? { groups } : {}),
    });
    return changes[Symbol.asyncIterator]();
  }
}
