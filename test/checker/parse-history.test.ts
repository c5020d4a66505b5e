import { describe, expect, it } from 'vitest';
import { formatHistoryEvent, historyFromEvents, parseHistory, type HistoryEvent } from '../../core/checker/index.js';

const line = (o: Record<string, unknown>) => JSON.stringify(o);
const inv = (process: number, f: string, key: string, value: unknown, time: number) => line({ process, type: 'invoke', f, key, value, time });
const done = (process: number, type: string, f: string, key: string, value: unknown, time: number) => line({ process, type, f, key, value, time });

function expectMalformed(lines: string[], lineNumber: number, message: string | RegExp): void {
  const r = parseHistory(lines.join('\n'));
  expect(r.ok, JSON.stringify(r)).toBe(false);
  if (r.ok) return;
  expect(r.line).toBe(lineNumber);
  expect(r.message).toMatch(message);
}

describe('parseHistory', () => {
  it('pairs invokes with completions, in invoke order, and keeps line numbers', () => {
    const r = parseHistory([
      inv(0, 'write', 'a', '1', 10),
      inv(1, 'read', 'a', null, 11),
      '',
      done(1, 'ok', 'read', 'a', '1', 12),
      done(0, 'ok', 'write', 'a', '1', 15),
      inv(2, 'incr', 'n', '5', 16),
      done(2, 'ok', 'incr', 'n', '5', 17),
      inv(3, 'cas', 'a', ['1', '2'], 18),
      done(3, 'fail', 'cas', 'a', ['1', '2'], 19),
      inv(4, 'delete', 'a', null, 20),
    ].join('\r\n') + '\n\n');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.ops).toEqual([
      { process: 0, f: 'write', key: 'a', type: 'ok', value: '1', invokeTime: 10, returnTime: 15, invokeIndex: 0, returnIndex: 3 },
      { process: 1, f: 'read', key: 'a', type: 'ok', value: '1', invokeTime: 11, returnTime: 12, invokeIndex: 1, returnIndex: 2 },
      { process: 2, f: 'incr', key: 'n', type: 'ok', value: '5', delta: '5', invokeTime: 16, returnTime: 17, invokeIndex: 4, returnIndex: 5 },
      { process: 3, f: 'cas', key: 'a', type: 'fail', value: ['1', '2'], invokeTime: 18, returnTime: 19, invokeIndex: 6, returnIndex: 7 },
      // Never completed: info.
      { process: 4, f: 'delete', key: 'a', type: 'info', value: null, invokeTime: 20, returnTime: null, invokeIndex: 8, returnIndex: null },
    ]);
    expect(r.lineOfEvent).toEqual([1, 2, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('accepts an empty file', () => {
    expect(parseHistory('')).toEqual({ ok: true, ops: [], lineOfEvent: [] });
    expect(parseHistory('\n  \n')).toMatchObject({ ok: true, ops: [] });
  });

  it('rejects lines that are not events, with the 1-based line', () => {
    const ok = inv(0, 'write', 'a', '1', 1);
    expectMalformed([ok, '{"process":0,'], 2, /not valid JSON/);
    expectMalformed(['', '[1,2]'], 2, /JSON object/);
    expectMalformed([line({ type: 'invoke', f: 'read', key: 'a', value: null, time: 1 })], 1, /process/);
    expectMalformed([line({ process: -1, type: 'invoke', f: 'read', key: 'a', value: null, time: 1 })], 1, /process/);
    expectMalformed([line({ process: 0, type: 'begin', f: 'read', key: 'a', value: null, time: 1 })], 1, /"type"/);
    expectMalformed([line({ process: 0, type: 'invoke', f: 'append', key: 'a', value: null, time: 1 })], 1, /"f"/);
    expectMalformed([line({ process: 0, type: 'invoke', f: 'read', key: 7, value: null, time: 1 })], 1, /"key"/);
    expectMalformed([line({ process: 0, type: 'invoke', f: 'read', key: 'a', value: null, time: 1.5 })], 1, /"time"/);
    expectMalformed([line({ process: 0, type: 'invoke', f: 'read', key: 'a', time: 1 })], 1, /"value" is missing/);
  });

  it('rejects values that do not fit the function', () => {
    expectMalformed([inv(0, 'read', 'a', 'x', 1)], 1, /read invoke/);
    expectMalformed([inv(0, 'write', 'a', null, 1)], 1, /write/);
    expectMalformed([inv(0, 'write', 'a', 5, 1)], 1, /write/);
    expectMalformed([inv(0, 'cas', 'a', ['x'], 1)], 1, /cas/);
    expectMalformed([inv(0, 'cas', 'a', 'x', 1)], 1, /cas/);
    expectMalformed([inv(0, 'delete', 'a', 'x', 1)], 1, /delete/);
    expectMalformed([inv(0, 'incr', 'a', '01', 1)], 1, /incr invoke/);
    expectMalformed([inv(0, 'incr', 'a', '9223372036854775808', 1)], 1, /incr invoke/);
    expectMalformed([inv(0, 'incr', 'a', '1', 1), done(0, 'ok', 'incr', 'a', 'x', 2)], 2, /incr ok/);
    expectMalformed([inv(0, 'read', 'a', null, 1), done(0, 'ok', 'read', 'a', 3, 2)], 2, /read/);
  });

  it('rejects histories no recorder could write', () => {
    const w = inv(0, 'write', 'a', '1', 1);
    expectMalformed([done(0, 'ok', 'write', 'a', '1', 1)], 1, /never invoked/);
    expectMalformed([w, '', inv(0, 'read', 'a', null, 2)], 3, /still open/);
    expectMalformed([w, done(0, 'ok', 'write', 'a', '1', 0)], 2, /earlier/);
    expectMalformed([w, done(0, 'ok', 'read', 'a', '1', 2)], 2, /does not match/);
    expectMalformed([w, done(0, 'ok', 'write', 'b', '1', 2)], 2, /does not match/);
    expectMalformed([w, done(0, 'ok', 'write', 'a', '2', 2)], 2, /repeat/);
  });

  it('round-trips events through formatHistoryEvent, and checks in-memory events the same way', () => {
    const events: HistoryEvent[] = [
      { process: 0, type: 'invoke', f: 'cas', key: 'k', value: [null, 'v'], time: 1 },
      { process: 0, type: 'info', f: 'cas', key: 'k', value: [null, 'v'], time: 2 },
    ];
    const fromText = parseHistory(events.map(formatHistoryEvent).join('\n'));
    const fromMemory = historyFromEvents(events);
    expect(fromText.ok && fromMemory.ok && fromText.ops).toEqual(fromMemory.ok && fromMemory.ops);
    expect(historyFromEvents([events[0], { ...events[1], time: 'late' }])).toMatchObject({ ok: false, index: 1 });
  });
});
