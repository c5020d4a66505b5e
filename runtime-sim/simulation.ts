// Virtual time and the event loop: the only source of time in a simulated
// run. Time is an integer count of µs from 0; it jumps from event to event.
//
// Simulated threads stand in for the real runtime's threads (a node's IO
// thread and workers, each client). A thread runs one event at a time: an
// event that comes due while its thread is busy (`consume`) or frozen
// (`freeze`: a GC pause, a stopped VM) is deferred until the thread is free
// again, keeping the order of deferred events. That is what makes pauses and
// CPU costs shift interleavings the way they do on a real machine.
//
// Every event that runs is added to the trace hash.

import { assert, AssertionError } from '../core/assert.js';
import { EventQueue, SimEvent, type EventAction, type EventActionWith } from './event-queue.js';
import { Kind } from './event-kinds.js';
import { Fnv64 } from '../core/fnv64.js';

/** Thread ids share a trace word with the event kind (see run). */
const THREADS_MAX = 1 << 21;

/** Thread 0: the environment (fault injector, phases). Never busy, never frozen. */
export const ENVIRONMENT_THREAD = 0;

/** Run events kept for reuse at most: a bound on the pool well above what runs keep pending (a peak of 323 in cluster seeds 1..5, and with 32 client hosts). */
const SPARE_EVENTS_MAX = 4096;

const noAction: EventAction = () => {};

export class Simulation {
  nowUs = 0;
  readonly trace = new Fnv64();
  /** Events run (not counting deferrals). */
  eventsRun = 0;
  eventsDeferred = 0;
  private seq = 0;
  private readonly queue = new EventQueue();
  /** Per thread: virtual time before which it cannot run anything. */
  private readonly readyAtUs: number[] = [0];
  private readonly threadNames: string[] = ['environment'];
  private stopped = false;

  /** Registers a simulated thread; returns its id. */
  addThread(name: string): number {
    assert(this.readyAtUs.length < THREADS_MAX, 'too many simulated threads');
    this.readyAtUs.push(0);
    this.threadNames.push(name);
    return this.readyAtUs.length - 1;
  }

  threadName(thread: number): string {
    return this.threadNames[thread] ?? `thread ${thread}`;
  }

  /** Freezes a thread until `untilUs` (no-op if it is already held longer). */
  freeze(thread: number, untilUs: number): void {
    assert(thread !== ENVIRONMENT_THREAD, 'the environment never freezes');
    if (untilUs > this.readyAtUs[thread]!) this.readyAtUs[thread] = untilUs;
  }

  /** The current event keeps its thread busy for `costUs` more. */
  consume(thread: number, costUs: number): void {
    this.freeze(thread, this.nowUs + costUs);
  }

  /** Schedules `action` on `thread` at virtual time `timeUs` (not in the past). */
  at(timeUs: number, thread: number, kind: number, payload: number, action: EventAction): void {
    this.atWith(timeUs, thread, kind, payload, action, undefined);
  }

  /** As `at`, with `action` called on `arg`: a shared action and a value instead of a closure per event. */
  atWith<A>(timeUs: number, thread: number, kind: number, payload: number, action: EventActionWith<A>, arg: A): void {
    // Not assert(): its message would be formatted on every call, and this is the hottest path.
    if (!(timeUs >= this.nowUs && Number.isSafeInteger(timeUs))) throw new AssertionError(`event at ${timeUs} is in the past (now ${this.nowUs})`);
    const reused = this.spareCount > 0 ? this.spare[--this.spareCount]! : null;
    if (reused === null) {
      this.queue.push(new SimEvent(timeUs, this.seq++, thread, kind, payload, action as EventActionWith<unknown>, arg));
      return;
    }
    reused.timeUs = timeUs;
    reused.seq = this.seq++;
    reused.thread = thread;
    reused.kind = kind;
    reused.payload = payload;
    reused.action = action as EventActionWith<unknown>;
    reused.arg = arg;
    this.queue.push(reused);
  }

  /**
   * Events already run, kept for reuse (the first spareCount): a run makes about 20 events per client
   * operation, and each object it does not allocate is one the young-generation collector need not visit.
   * A stack by count, since popping an array shrinks its store and pushing grows it again.
   */
  private readonly spare: SimEvent[] = [];
  private spareCount = 0;

  private recycle(event: SimEvent): void {
    // Drop the closure and argument now: either may hold a whole message or request alive until the object is reused.
    event.action = noAction;
    event.arg = undefined;
    if (this.spareCount < SPARE_EVENTS_MAX) this.spare[this.spareCount++] = event;
  }

  after(delayUs: number, thread: number, kind: number, payload: number, action: EventAction): void {
    this.atWith(this.nowUs + delayUs, thread, kind, payload, action, undefined);
  }

  afterWith<A>(delayUs: number, thread: number, kind: number, payload: number, action: EventActionWith<A>, arg: A): void {
    this.atWith(this.nowUs + delayUs, thread, kind, payload, action, arg);
  }

  /** Ends `run` after the current event. */
  stop(): void {
    this.stopped = true;
  }

  get pendingEvents(): number {
    return this.queue.size;
  }

  /**
   * Runs events in order until `stop()` is called, the queue is empty, or the
   * next event is later than `untilUs` (then the clock stops at `untilUs`).
   * Returns why it stopped.
   */
  run(untilUs: number, eventsMax = Number.POSITIVE_INFINITY): 'stopped' | 'idle' | 'time-limit' | 'event-limit' {
    this.stopped = false;
    const queue = this.queue;
    const trace = this.trace;
    for (;;) {
      if (this.stopped) return 'stopped';
      if (this.eventsRun >= eventsMax) return 'event-limit';
      const next = queue.peek();
      if (next === undefined) return 'idle';
      if (next.timeUs > untilUs) {
        this.nowUs = untilUs;
        return 'time-limit';
      }
      queue.pop();
      this.nowUs = next.timeUs;
      const readyAt = this.readyAtUs[next.thread]!;
      if (readyAt > next.timeUs) {
        this.eventsDeferred++;
        // The popped event goes back in, later: the same object (no allocation), as a new one would be ordered.
        next.timeUs = readyAt;
        next.seq = this.seq++;
        queue.push(next);
        trace.addU32(Kind.DEFERRED + next.kind);
        continue;
      }
      this.eventsRun++;
      trace.addInt(next.timeUs);
      // Kinds are below 2^11 and threads far below 2^21: one word for both.
      trace.addU32(next.kind | (next.thread << 11));
      trace.addU32(next.payload);
      next.action(next.arg);
      // Nothing keeps an event once it ran (the queue let go of it; `at` returns nothing): its object is free.
      this.recycle(next);
    }
  }
}
