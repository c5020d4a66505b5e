// A simulated node's watches: the IO side of runtime-node/watch/watch-hub.ts
// on the simulator's threads. The same pure core (ChangeFeed, WatchSet) takes
// the workers' change records off the reply rings (ShardChannel.onChange);
// the first watch switches recording on in every worker, as the control word
// does in runtime-node. Each worker's outbox is a TappedOutbox: it tells the
// watch checker's reference (watch-checker.ts) what the shards reported
// before encoding it, so the checker judges everything after the shard.
//
// A planted bug for the mutation suite lives here too: an outbox that drops
// every Nth change it is handed (the reference still sees it).

import { ChangeFeed } from '../core/watch/change-feed.js';
import { ChangeOutbox, type ChangeRecord } from '../core/watch/change-record.js';
import type { ChangeKind } from '../core/watch/change.js';
import { decodeResumeToken } from '../core/watch/resume-token.js';
import { DEFAULT_WATCH_LIMITS } from '../core/watch/watch-limits.js';
import { WatchSet, type Watch, type WatchEvents } from '../core/watch/watch-set.js';
import type { ProcessReference } from './watch-checker.js';

/** Mutation suite: bugs planted in the change path. */
export interface WatchBugs {
  /** The worker's outbox loses every Nth change (N >= 2). */
  dropEveryNthChange?: number;
}

/** The worker's outbox, telling the reference each change and begin first. */
export class TappedOutbox extends ChangeOutbox {
  private handed = 0;

  constructor(private readonly reference: ProcessReference, private readonly dropEveryNth: number) {
    super();
  }

  override begin(group: number, appliedIndex: number, logId: number): void {
    this.reference.begin(group, appliedIndex, logId);
    super.begin(group, appliedIndex, logId);
  }

  override identify(group: number, logId: number): void {
    this.reference.identify(group, logId);
    super.identify(group, logId);
  }

  override record(group: number, version: number, kind: ChangeKind, key: Uint8Array, value: Uint8Array | null): void {
    this.reference.record(group, version, kind, key, value);
    if (this.dropEveryNth > 0 && ++this.handed % this.dropEveryNth === 0) return; // planted bug
    super.record(group, version, kind, key, value);
  }
}

/** What the hub needs of its node: start recording in every worker, with the outboxes it is given. */
export interface SimChangeSource {
  recordChanges(outbox: () => ChangeOutbox, onRecord: (record: ChangeRecord) => void): void;
}

export class SimWatchHub {
  private readonly watches: WatchSet;
  private recording = false;

  constructor(
    private readonly source: SimChangeSource,
    /** Every group the node holds (a watch of a prefix covers them all). */
    private readonly groups: readonly number[],
    /** The process's logId for groups whose log has none (core/watch/watch-set.ts). */
    readonly localLogId: number,
    private readonly reference: ProcessReference,
    private readonly bugs: WatchBugs,
  ) {
    this.watches = new WatchSet(new ChangeFeed(DEFAULT_WATCH_LIMITS), localLogId);
  }

  /** Open a prefix watch from now (`after` null) or after a token; a token that does not decode ends it BAD_REQUEST at once. */
  open(prefix: Uint8Array, after: string | null, events: WatchEvents): Watch | null {
    const token = after === null ? null : decodeResumeToken(after);
    if (after !== null && token === null) {
      events.onEnd('BAD_REQUEST', 'after is not a resume token this node gave');
      return null;
    }
    if (!this.recording) {
      this.recording = true;
      const drop = this.bugs.dropEveryNthChange ?? 0;
      this.source.recordChanges(() => new TappedOutbox(this.reference, drop), this.onRecord);
    }
    return this.watches.open({ match: 'prefix', bytes: prefix, groups: this.groups, after: token }, events);
  }

  close(watch: Watch): void {
    this.watches.close(watch);
  }

  private readonly onRecord = (record: ChangeRecord): void => {
    this.watches.handleRecord(record);
  };
}
