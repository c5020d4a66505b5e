// The shapes of a recorded history: the events a recorder writes (one JSON
// line each, or handed over in memory by the simulator) and the operations
// the checker pairs them into.

export const OP_FUNCTIONS = ['read', 'write', 'cas', 'delete', 'incr'] as const;
export type OpFunction = (typeof OP_FUNCTIONS)[number];

export const EVENT_TYPES = ['invoke', 'ok', 'fail', 'info'] as const;
export type EventType = (typeof EVENT_TYPES)[number];
export type CompletionType = Exclude<EventType, 'invoke'>;

/** A register value: a string, or null for "absent". */
export type RegisterValue = string | null;

/** `cas` carries `[expected, new]`; everything else a single value. */
export type EventValue = RegisterValue | readonly [RegisterValue, RegisterValue];

/**
 * One line of a history file, or one event a recorder hands over in memory.
 * `value` by function and type:
 * - read: invoke null; completion = the value seen (ignored unless ok)
 * - write: the value written (completion repeats the invoke's)
 * - cas: `[expected, new]` (completion repeats the invoke's)
 * - delete: null
 * - incr: invoke = the delta as canonical decimal; ok = the new value as
 *   canonical decimal; fail/info = ignored (string or null)
 */
export interface HistoryEvent {
  process: number;
  type: EventType;
  f: OpFunction;
  key: string;
  value: EventValue;
  /** Integer clock reading, non-decreasing along the history. Informational: real-time order is the event order. */
  time: number;
}

/**
 * An invoke paired with its completion. An invoke never completed counts as
 * `info` with `returnTime`/`returnIndex` null.
 */
export interface Operation {
  process: number;
  f: OpFunction;
  key: string;
  type: CompletionType;
  /**
   * read: the value seen; write: the value written; cas: `[expected, new]`;
   * delete: null; incr: the new value when ok, else null.
   */
  value: EventValue;
  /** incr only: the delta, canonical decimal. */
  delta?: string;
  invokeTime: number;
  returnTime: number | null;
  /** Position of the invoke event in the history (0-based). Real-time order is by position, not by time. */
  invokeIndex: number;
  /** Position of the completion event, or null if the invoke was never completed. */
  returnIndex: number | null;
}

/** The JSON form of an operation in a report (positions are internal and left out). */
export interface OperationJson {
  process: number;
  f: OpFunction;
  key: string;
  value: EventValue;
  delta?: string;
  invokeTime: number;
  returnTime: number | null;
  type: CompletionType;
}

export function operationToJson(op: Operation): OperationJson {
  const json: OperationJson = {
    process: op.process, f: op.f, key: op.key, value: op.value,
    invokeTime: op.invokeTime, returnTime: op.returnTime, type: op.type,
  };
  if (op.delta !== undefined) json.delta = op.delta;
  return json;
}

/** One history file line for an event (what a recorder appends). */
export function formatHistoryEvent(event: HistoryEvent): string {
  return JSON.stringify({
    process: event.process, type: event.type, f: event.f, key: event.key, value: event.value, time: event.time,
  });
}
