// Turns a stream of events into operations: validates each event's fields,
// pairs every invoke with the next completion of the same process, and
// rejects histories no correct recorder could have written.

import { unreachable } from '../assert.js';
import { isCanonicalDecimalInt64 } from './decimal-int64.js';
import {
  EVENT_TYPES, OP_FUNCTIONS,
  type EventType, type EventValue, type HistoryEvent, type OpFunction, type Operation, type RegisterValue,
} from './history.js';

export type PairResult =
  | { ok: true; ops: Operation[] }
  /** `index` is the 0-based position of the offending event. */
  | { ok: false; index: number; message: string };

export type EventResult = { ok: true; event: HistoryEvent } | { ok: false; message: string };

/** Checks that an untrusted value (a parsed JSON line) is a well-formed event. */
export function validateEvent(raw: unknown): EventResult {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return bad('event must be a JSON object');
  const r = raw as Record<string, unknown>;
  const { process, type, f, key, time } = r;
  if (!Number.isSafeInteger(process) || (process as number) < 0) return bad('"process" must be a non-negative integer');
  if (typeof type !== 'string' || !(EVENT_TYPES as readonly string[]).includes(type)) {
    return bad(`"type" must be one of ${EVENT_TYPES.join(', ')}`);
  }
  if (typeof f !== 'string' || !(OP_FUNCTIONS as readonly string[]).includes(f)) {
    return bad(`"f" must be one of ${OP_FUNCTIONS.join(', ')}`);
  }
  if (typeof key !== 'string') return bad('"key" must be a string');
  if (!Number.isSafeInteger(time)) return bad('"time" must be an integer');
  if (!Object.prototype.hasOwnProperty.call(r, 'value')) return bad('"value" is missing');
  const value = r.value;
  const problem = valueProblem(f as OpFunction, type as EventType, value);
  if (problem !== null) return bad(problem);
  const event: HistoryEvent = {
    process: process as number, type: type as EventType, f: f as OpFunction, key, time: time as number,
    value: Array.isArray(value) ? [value[0] as RegisterValue, value[1] as RegisterValue] : value as RegisterValue,
  };
  return { ok: true, event };
}

function isRegisterValue(v: unknown): v is RegisterValue {
  return v === null || typeof v === 'string';
}

/** What is wrong with `value` for this function and event type, or null. */
function valueProblem(f: OpFunction, type: EventType, value: unknown): string | null {
  switch (f) {
    case 'read':
      if (type === 'invoke') return value === null ? null : 'read invoke "value" must be null';
      return isRegisterValue(value) ? null : 'read "value" must be a string or null';
    case 'write':
      return typeof value === 'string' ? null : 'write "value" must be a string';
    case 'cas':
      return Array.isArray(value) && value.length === 2 && isRegisterValue(value[0]) && isRegisterValue(value[1])
        ? null : 'cas "value" must be [expected, new] (strings or null)';
    case 'delete':
      return value === null ? null : 'delete "value" must be null';
    case 'incr':
      if (type === 'invoke' || type === 'ok') {
        return typeof value === 'string' && isCanonicalDecimalInt64(value)
          ? null : `incr ${type} "value" must be a canonical signed 64-bit decimal string`;
      }
      return isRegisterValue(value) ? null : 'incr "value" must be a string or null';
    default:
      return unreachable(f, 'op function');
  }
}

function bad(message: string): { ok: false; message: string } {
  return { ok: false, message };
}

function sameValue(a: EventValue, b: EventValue): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a[0] === b[0] && a[1] === b[1];
  return a === b;
}

interface OpenInvoke { event: HistoryEvent; index: number }

/**
 * Pairs validated events into operations, in invoke order. Events must be in
 * real-time order (the order they happened); `time` must not decrease.
 */
export function pairEvents(events: readonly HistoryEvent[]): PairResult {
  const open = new Map<number, OpenInvoke>();
  // Slot per invoke so the result stays in invoke order however completions interleave.
  const slots: (Operation | OpenInvoke)[] = [];
  const slotOfProcess = new Map<number, number>();
  let lastTime = -Infinity;
  for (let index = 0; index < events.length; index++) {
    const e = events[index]!;
    if (e.time < lastTime) return { ok: false, index, message: `"time" ${e.time} is earlier than the previous event's ${lastTime}` };
    lastTime = e.time;
    const pending = open.get(e.process);
    if (e.type === 'invoke') {
      if (pending !== undefined) {
        return { ok: false, index, message: `process ${e.process} invoked a second operation while its ${pending.event.f} on key ${JSON.stringify(pending.event.key)} is still open (invoked at time ${pending.event.time})` };
      }
      const inv = { event: e, index };
      open.set(e.process, inv);
      slotOfProcess.set(e.process, slots.length);
      slots.push(inv);
      continue;
    }
    if (pending === undefined) return { ok: false, index, message: `process ${e.process} completed an operation it never invoked` };
    const inv = pending.event;
    if (e.f !== inv.f || e.key !== inv.key) {
      return { ok: false, index, message: `completion ${e.f} on key ${JSON.stringify(e.key)} does not match the open ${inv.f} on key ${JSON.stringify(inv.key)}` };
    }
    if ((inv.f === 'write' || inv.f === 'cas' || inv.f === 'delete') && !sameValue(e.value, inv.value)) {
      return { ok: false, index, message: `${inv.f} completion "value" must repeat the invoke's` };
    }
    open.delete(e.process);
    slots[slotOfProcess.get(e.process)!] = makeOperation(pending, e.type, e, index);
  }
  const ops = slots.map((s) => ('event' in s ? makeOperation(s, 'info', null, null) : s));
  return { ok: true, ops };
}

function makeOperation(inv: OpenInvoke, type: Exclude<EventType, 'invoke'>, completion: HistoryEvent | null, returnIndex: number | null): Operation {
  const e = inv.event;
  const op: Operation = {
    process: e.process, f: e.f, key: e.key, type, value: e.value,
    invokeTime: e.time, returnTime: completion === null ? null : completion.time,
    invokeIndex: inv.index, returnIndex,
  };
  switch (e.f) {
    case 'read':
      op.value = type === 'ok' && completion !== null ? completion.value : null;
      break;
    case 'incr':
      op.delta = e.value as string;
      op.value = type === 'ok' && completion !== null ? completion.value : null;
      break;
    case 'write': case 'cas': case 'delete':
      break;
    default:
      unreachable(e.f, 'op function');
  }
  return op;
}

/** Validates and pairs in-memory events (what the simulator's recorder hands over). */
export function historyFromEvents(events: readonly unknown[]): PairResult {
  const valid: HistoryEvent[] = [];
  for (let index = 0; index < events.length; index++) {
    const r = validateEvent(events[index]);
    if (!r.ok) return { ok: false, index, message: r.message };
    valid.push(r.event);
  }
  return pairEvents(valid);
}
