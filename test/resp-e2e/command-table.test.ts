// COMMAND's table must describe exactly the commands translate() serves, with
// the arities it enforces, or clients that read it would be misled.
import { describe, expect, it } from 'vitest';
import { makeLimits } from '../../core/limits.js';
import { COMMAND_NAMES, translate } from '../../core/resp/commands.js';
import { COMMAND_TABLE } from '../../runtime-node/io/resp-command-table.js';
import { ScanCursors, SCAN_CURSORS_MAX, SCAN_CURSOR_BYTES_MAX } from '../../runtime-node/io/resp-scan-cursors.js';

const ctx = { nowMs: 1_700_000_000_000, limits: makeLimits() };
const isArityError = (name: string, argCount: number): boolean => {
  const args = [Buffer.from(name), ...Array.from({ length: argCount - 1 }, () => Buffer.from('1'))];
  const plan = translate(args, ctx);
  return plan.kind === 'reply' && plan.reply.type === 'error' && plan.reply.text.startsWith('ERR wrong number of arguments');
};

describe('COMMAND table', () => {
  it('names exactly the commands translate() knows', () => {
    expect(Object.keys(COMMAND_TABLE).sort()).toEqual([...COMMAND_NAMES].sort());
  });

  it.each(Object.entries(COMMAND_TABLE))('%s: its arity is the one translate() enforces', (name, info) => {
    if (info.arity > 0) {
      expect(isArityError(name, info.arity)).toBe(false);
      expect(isArityError(name, info.arity + 1)).toBe(true);
      if (info.arity > 1) expect(isArityError(name, info.arity - 1)).toBe(true);
    } else {
      expect(isArityError(name, -info.arity)).toBe(false);
      if (-info.arity > 1) expect(isArityError(name, -info.arity - 1)).toBe(true);
    }
  });
});

describe('ScanCursors', () => {
  it('hands out growing handles and looks them up', () => {
    const cursors = new ScanCursors();
    const a = cursors.store(Uint8Array.from([1, 2]));
    const b = cursors.store(Uint8Array.from([3]));
    expect(b).toBeGreaterThan(a);
    expect(cursors.lookup(a)).toEqual(Uint8Array.from([1, 2]));
    expect(cursors.lookup(b)).toEqual(Uint8Array.from([3]));
    expect(cursors.lookup(b + 1)).toBeUndefined();
  });

  it('forgets the least recently used beyond its count or bytes, never the newest', () => {
    const cursors = new ScanCursors(4, 100);
    const handles = Array.from({ length: 6 }, (_, i) => cursors.store(Uint8Array.from([i])));
    expect(cursors.size).toBe(4);
    expect(cursors.lookup(handles[0]!)).toBeUndefined();
    expect(cursors.lookup(handles[1]!)).toBeUndefined();
    expect(cursors.lookup(handles[2]!)).toEqual(Uint8Array.from([2])); // now most recently used
    cursors.store(Uint8Array.from([6]));
    expect(cursors.lookup(handles[3]!)).toBeUndefined(); // 3 was the least recently used, not 2
    expect(cursors.lookup(handles[2]!)).toBeDefined();
    const big = cursors.store(new Uint8Array(150));
    expect(cursors.size).toBe(1);
    expect(cursors.lookup(big)?.length).toBe(150);
  });

  it(`defaults: ${SCAN_CURSORS_MAX} cursors, ${SCAN_CURSOR_BYTES_MAX} bytes`, () => {
    const cursors = new ScanCursors();
    expect([cursors.cursorsMax, cursors.bytesMax]).toEqual([SCAN_CURSORS_MAX, SCAN_CURSOR_BYTES_MAX]);
  });

  it('keeps its own copy of a cursor', () => {
    const cursors = new ScanCursors();
    const bytes = Uint8Array.from([7, 7]);
    const handle = cursors.store(bytes);
    bytes[0] = 0;
    expect(cursors.lookup(handle)).toEqual(Uint8Array.from([7, 7]));
  });
});
