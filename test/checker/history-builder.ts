// A small DSL for writing histories in tests: events are appended in call
// order (which is real-time order), times tick by one per event.

import { formatHistoryEvent, historyFromEvents, type EventValue, type HistoryEvent, type OpFunction, type Operation } from '../../core/checker/index.js';

export class HistoryBuilder {
  readonly events: HistoryEvent[] = [];
  private readonly open = new Map<number, HistoryEvent>();
  private time = 0;

  invoke(process: number, f: OpFunction, key: string, value: EventValue = null): this {
    const e: HistoryEvent = { process, type: 'invoke', f, key, value, time: this.time++ };
    this.events.push(e);
    this.open.set(process, e);
    return this;
  }

  /** Completes `process`'s open op; `value` defaults to the invoke's (what write/cas/delete need). */
  ok(process: number, value?: EventValue): this {
    return this.complete(process, 'ok', value);
  }

  fail(process: number): this {
    return this.complete(process, 'fail');
  }

  info(process: number): this {
    return this.complete(process, 'info');
  }

  private complete(process: number, type: 'ok' | 'fail' | 'info', value?: EventValue): this {
    const inv = this.open.get(process);
    if (inv === undefined) throw new Error(`process ${process} has nothing open`);
    this.open.delete(process);
    const repeat = inv.f === 'write' || inv.f === 'cas' || inv.f === 'delete';
    const v = value !== undefined ? value : repeat ? inv.value : null;
    this.events.push({ process, type, f: inv.f, key: inv.key, value: v, time: this.time++ });
    return this;
  }

  // Whole operations, one after another on `process`.
  write(process: number, key: string, value: string): this { return this.invoke(process, 'write', key, value).ok(process); }
  read(process: number, key: string, seen: string | null): this { return this.invoke(process, 'read', key).ok(process, seen); }
  cas(process: number, key: string, expected: string | null, next: string | null): this {
    return this.invoke(process, 'cas', key, [expected, next]).ok(process);
  }
  del(process: number, key: string): this { return this.invoke(process, 'delete', key).ok(process); }
  incr(process: number, key: string, delta: string, result: string): this { return this.invoke(process, 'incr', key, delta).ok(process, result); }

  ops(): Operation[] {
    const r = historyFromEvents(this.events);
    if (!r.ok) throw new Error(`bad test history at event ${r.index}: ${r.message}`);
    return r.ops;
  }

  jsonl(): string {
    return this.events.map(formatHistoryEvent).join('\n') + '\n';
  }
}

export const history = (): HistoryBuilder => new HistoryBuilder();
