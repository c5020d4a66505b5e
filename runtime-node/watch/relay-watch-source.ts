// A gateway's watches: each client watch is relayed to a watch on one node
// (the typed client's watchChanges, client/watch.ts, over a WebSocket of its
// own), whose changes and resume tokens are passed through as they are. The
// node must hold a replica of every group the watch covers (with the default
// --replicas 3 on three nodes, every node does); a node that refuses, or a
// token it cannot serve, ends the watch with the node's own error.
//
// Tokens belong to one node's history (core/watch/resume-token.ts): the
// relay's stream resumes on its node after a dropped socket, and a client's
// watch with a token goes to the node whose history id the token names,
// when the relay has seen it (it notes each node's id from its answers). Flow: the relay takes the next
// change only while the client's session has room; meanwhile at most
// RELAY_QUEUED_CHANGES_MAX wait in the gateway, then the node socket stops
// and resumes once they are taken, so a slow watcher costs the gateway
// bounded memory and the node nothing.

import type { ErrorName } from '../../core/errors.js';
import type { WatchLimits } from '../../core/watch/watch-limits.js';
import type { ResolvedOptions } from '../../client/options.js';
import { PiccoloError } from '../../client/errors.js';
import { openSocket } from '../../client/web-socket.js';
import { watchChanges, type WatchChange } from '../../client/watch.js';
import type { SessionWatchEvents, WatchHandle, WatchSource } from './watch-session.js';

/** Changes a relayed watch holds in the gateway before the node's socket stops (each holds its key and value). */
export const RELAY_QUEUED_CHANGES_MAX = 256;

class RelayedWatch implements WatchHandle {
  state: 'pending' | 'live' | 'ended' = 'pending';
  /** The session has no room: take no change until pump(). */
  paused = false;
  /** Inside pull(): one reader of the node's stream at a time. */
  pulling = false;
  iterator: AsyncIterator<WatchChange> | null = null;

  constructor(readonly events: SessionWatchEvents) {}

  /** A method, not a field test: the state changes across the awaits of pull(). */
  get ended(): boolean {
    return this.state === 'ended';
  }

  end(code: ErrorName, message: string): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    void this.iterator?.return?.();
    this.events.onEnd(code, message);
  }
}

export class RelayWatchSource implements WatchSource {
  private opened = 0;

  constructor(
    readonly limits: WatchLimits,
    /** The nodes' HTTP/WebSocket endpoints (`host:port`) as the gateway's map knows them now. */
    private readonly endpoints: () => readonly string[],
    /** How to reach the nodes: their password, timeouts (the gateway's own client options). */
    private readonly client: ResolvedOptions,
    private readonly nodeTls: boolean,
  ) {}

  /** The node decides (it knows what it holds). */
  refusal(): string | null {
    return null;
  }

  open(match: 'prefix' | 'key', bytes: Uint8Array, after: string | null, events: SessionWatchEvents): WatchHandle {
    const watch = new RelayedWatch(events);
    const endpoints = this.endpoints();
    if (endpoints.length === 0) {
      watch.end('UNAVAILABLE', 'the gateway knows no node to watch on yet: retry shortly');
      return watch;
    }
    // Watches are spread over the nodes; a token resumes on any replica of its groups (core/watch/resume-token.ts).
    const endpoint = endpoints[this.opened++ % endpoints.length]!;
    const url = `${this.nodeTls ? 'wss' : 'ws'}://${endpoint}/v1/ws`;
    const changes = watchChanges(() => openSocket(undefined, url, this.client), bytes, {
      after, exactKey: match === 'key', queuedChangesMax: RELAY_QUEUED_CHANGES_MAX,
      onLive: (resume) => {
        if (watch.state !== 'pending') return; // live again after a reconnect: the client saw the first answer only
        watch.state = 'live';
        events.onReady(watch, resume);
      },
    });
    watch.iterator = changes[Symbol.asyncIterator]();
    void this.pull(watch);
    return watch;
  }

  close(watch: WatchHandle): void {
    const relayed = watch as RelayedWatch;
    if (relayed.state === 'ended') return;
    relayed.state = 'ended';
    void relayed.iterator?.return?.();
  }

  pump(watch: WatchHandle): void {
    const relayed = watch as RelayedWatch;
    relayed.paused = false;
    void this.pull(relayed);
  }

  /** Pass the node's changes on while the session has room. */
  private async pull(watch: RelayedWatch): Promise<void> {
    if (watch.pulling) return;
    watch.pulling = true;
    try {
      while (!watch.ended && !watch.paused) {
        const next = await watch.iterator!.next();
        if (watch.ended) return;
        if (next.done === true) return watch.end('UNAVAILABLE', 'the node ended the watch');
        if (!watch.events.onChange(watch, next.value, next.value.resume)) watch.paused = true;
      }
    } catch (error) {
      const code = error instanceof PiccoloError && error.number > 0 ? error.code as ErrorName : 'UNAVAILABLE';
      watch.end(code, `${code === 'UNAVAILABLE' ? 'the node watched on is unreachable: ' : ''}${(error as Error).message}`);
    } finally {
      watch.pulling = false;
    }
  }
}
