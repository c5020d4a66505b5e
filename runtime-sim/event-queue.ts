// The simulator's pending events: a binary min-heap ordered by (time,
// insertion sequence). The sequence breaks ties between events due at the
// same virtual time in the order they were scheduled, so the run order, and
// with it the whole simulation, depends on nothing but the seed.

export type EventAction = () => void;

/** An action that takes the value it was scheduled with (Simulation.atWith): a timer's token or a datagram's record, so that scheduling one makes no closure. */
export type EventActionWith<A> = (arg: A) => void;

/** Fields are set only by Simulation: it defers an event (later timeUs) and reuses run events' objects, while they are out of the queue. */
export class SimEvent {
  constructor(
    /** Virtual time in µs. */
    public timeUs: number,
    public seq: number,
    /** The simulated thread it runs on (see Simulation.addThread). */
    public thread: number,
    /** What it is, for the trace (see event-kinds.ts). */
    public kind: number,
    /** A number that tells this event from its siblings in the trace (a message or op id). */
    public payload: number,
    public action: EventActionWith<unknown>,
    /** What `action` is called with. */
    public arg: unknown,
  ) {}
}

function before(a: SimEvent, b: SimEvent): boolean {
  return a.timeUs < b.timeUs || (a.timeUs === b.timeUs && a.seq < b.seq);
}

export class EventQueue {
  private readonly heap: SimEvent[] = [];

  get size(): number {
    return this.heap.length;
  }

  push(event: SimEvent): void {
    const heap = this.heap;
    let i = heap.length;
    heap.push(event);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (!before(event, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = event;
  }

  /** The earliest event, or undefined when empty. */
  peek(): SimEvent | undefined {
    return this.heap[0];
  }

  pop(): SimEvent | undefined {
    const heap = this.heap;
    const top = heap[0];
    if (top === undefined) return undefined;
    const last = heap.pop()!;
    const n = heap.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= n) break;
        const right = left + 1;
        const child = right < n && before(heap[right]!, heap[left]!) ? right : left;
        if (!before(heap[child]!, last)) break;
        heap[i] = heap[child]!;
        i = child;
      }
      heap[i] = last;
    }
    return top;
  }
}
