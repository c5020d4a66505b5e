// The RESP door's blocked clients (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH,
// BLMPOP): which waiter waits on which keys, in arrival order, until when.
// Pure: the runtime (runtime-node/io/resp-blocking.ts) tells it what
// happened (a write reply on a key, a retry's outcome, the time) and runs
// the retries and timeouts it hands back.
//
// The shard never blocks: a blocking command runs as its non-blocking form
// and answers nil when every list is empty. The door then parks it here and
// runs it again when one of its keys may have changed:
// - at once, when this IO thread sees a successful write on the key (any
//   data command's write reply: LPUSH, LMOVE, a blocking pop that served
//   someone and may have left more);
// - when a probe finds the key non-empty: every BLOCKING_REPOLL_MS each
//   waited key is read (LLEN, no log entry), because writes made through
//   another door or node are not seen here;
// - never after its deadline: it is answered with a nil array instead.
// Waiters of a key are retried in arrival order, and a waiter keeps its
// place while its retry is in flight, so two waiters are served first come
// first served, as in Redis.

/** How often every waited key is probed, for writes this IO thread does not see (other doors, cluster peers): a blocked client wakes within this of such a write. */
export const BLOCKING_REPOLL_MS = 100;

/**
 * Blocked commands a node holds at once: each keeps its arguments and a
 * place per key, and every repoll costs a read per waited key. Well
 * above one per client for ordinary use; past it a blocking command that
 * would wait is answered with an error instead.
 */
export const BLOCKING_WAITERS_MAX = 10_000;

export const BLOCKING_WAITERS_FULL_MESSAGE = `too many blocked clients (the limit is ${BLOCKING_WAITERS_MAX})`;

export interface Waiter<Owner> {
  readonly id: number;
  /** The keys it waits on, as latin1 text. */
  readonly keys: readonly string[];
  /** Absolute time in ms when it is answered nil; Infinity for a 0 timeout (forever). */
  readonly deadlineMs: number;
  readonly owner: Owner;
  /** Its command is being run again; its reply decides. */
  retrying: boolean;
  /** A key changed while it was retrying: retry again if that retry finds nothing. */
  rewake: boolean;
}

export class BlockingWaiters<Owner> {
  /** Every waiter by id; a Map iterates in insertion order, which is arrival order. */
  private readonly waiters = new Map<number, Waiter<Owner>>();
  private readonly byKey = new Map<string, Waiter<Owner>[]>();
  private nextId = 1;
  private lastPollMs: number;

  constructor(nowMs: number) {
    this.lastPollMs = nowMs;
  }

  get size(): number {
    return this.waiters.size;
  }

  /** Park a command whose first run found nothing; null when BLOCKING_WAITERS_MAX are parked already. */
  add(keys: readonly string[], deadlineMs: number, owner: Owner): Waiter<Owner> | null {
    if (this.waiters.size >= BLOCKING_WAITERS_MAX) return null;
    const waiter: Waiter<Owner> = { id: this.nextId++, keys: [...new Set(keys)], deadlineMs, owner, retrying: false, rewake: false };
    this.waiters.set(waiter.id, waiter);
    for (const key of waiter.keys) {
      const queue = this.byKey.get(key);
      if (queue === undefined) this.byKey.set(key, [waiter]);
      else queue.push(waiter);
    }
    return waiter;
  }

  /** Forget a waiter (served, timed out, or its client went away). */
  remove(waiter: Waiter<Owner>): void {
    if (!this.waiters.delete(waiter.id)) return;
    for (const key of waiter.keys) {
      const queue = this.byKey.get(key)!;
      const at = queue.indexOf(waiter);
      queue.splice(at, 1);
      if (queue.length === 0) this.byKey.delete(key);
    }
  }

  /** Forget every waiter of `owner` (its connection closed); returns them. */
  removeOwner(owner: Owner): Waiter<Owner>[] {
    const gone = [...this.waiters.values()].filter((waiter) => waiter.owner === owner);
    for (const waiter of gone) this.remove(waiter);
    return gone;
  }

  /** Forget every waiter (the door is closing). */
  clear(): void {
    this.waiters.clear();
    this.byKey.clear();
  }

  /** A write on `key` succeeded: its waiters to run again now, in arrival order (those already retrying will retry once more). */
  onKeyWritten(key: string): Waiter<Owner>[] {
    const queue = this.byKey.get(key);
    if (queue === undefined) return [];
    const due: Waiter<Owner>[] = [];
    for (const waiter of queue) {
      if (waiter.retrying) waiter.rewake = true;
      else due.push(this.startRetry(waiter));
    }
    return due;
  }

  /**
   * A retry found nothing: true when it must run again at once (a key
   * changed meanwhile), false when it stays parked. A waiter past its
   * deadline is not retried again: `expired` answers it.
   */
  onRetryEmpty(waiter: Waiter<Owner>, nowMs: number): boolean {
    waiter.retrying = false;
    if (!this.waiters.has(waiter.id) || nowMs >= waiter.deadlineMs) return false;
    if (!waiter.rewake) return false;
    this.startRetry(waiter);
    return true;
  }

  /** Waiters past their deadline and not retrying: removed; the caller answers them nil. */
  expired(nowMs: number): Waiter<Owner>[] {
    const out: Waiter<Owner>[] = [];
    for (const waiter of this.waiters.values()) if (!waiter.retrying && nowMs >= waiter.deadlineMs) out.push(waiter);
    for (const waiter of out) this.remove(waiter);
    return out;
  }

  /**
   * When BLOCKING_REPOLL_MS have passed: every key someone waits on, for
   * the caller to probe with a read (LLEN: no log entry) and wake with
   * onKeyWritten when it holds something.
   */
  repollKeys(nowMs: number): string[] {
    if (nowMs < this.lastPollMs + BLOCKING_REPOLL_MS) return [];
    this.lastPollMs = nowMs;
    return [...this.byKey.keys()];
  }

  /** When the caller should next call expired() and repollKeys(): the earliest deadline or repoll; Infinity when nobody waits. */
  nextDueMs(): number {
    if (this.waiters.size === 0) return Infinity;
    let due = this.lastPollMs + BLOCKING_REPOLL_MS;
    for (const waiter of this.waiters.values()) if (waiter.deadlineMs < due) due = waiter.deadlineMs;
    return due;
  }

  private startRetry(waiter: Waiter<Owner>): Waiter<Owner> {
    waiter.retrying = true;
    waiter.rewake = false;
    return waiter;
  }
}
