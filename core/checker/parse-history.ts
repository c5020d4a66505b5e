// Parses the history file format: one JSON event per line, blank lines
// ignored. Errors name the 1-based line so a recorder bug is easy to find.

import type { HistoryEvent, Operation } from './history.js';
import { pairEvents, validateEvent } from './pair-events.js';

export type ParseResult =
  /** `lineOfEvent[i]` is the 1-based line of event i (the positions in `Operation.invokeIndex`/`returnIndex`). */
  | { ok: true; ops: Operation[]; lineOfEvent: number[] }
  | { ok: false; line: number; message: string };

export function parseHistory(text: string): ParseResult {
  const events: HistoryEvent[] = [];
  const lineOfEvent: number[] = [];
  let lineNumber = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    lineNumber++;
    let line = text.slice(start, end);
    start = end + 1;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.trim() === '') continue;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (err) {
      return { ok: false, line: lineNumber, message: `not valid JSON: ${(err as Error).message}` };
    }
    const r = validateEvent(raw);
    if (!r.ok) return { ok: false, line: lineNumber, message: r.message };
    events.push(r.event);
    lineOfEvent.push(lineNumber);
  }
  const paired = pairEvents(events);
  if (!paired.ok) return { ok: false, line: lineOfEvent[paired.index]!, message: paired.message };
  return { ok: true, ops: paired.ops, lineOfEvent };
}
