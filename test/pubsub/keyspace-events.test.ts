// The pure keyspace-notification mapper: Redis's flag letters (parse and
// show), which events each command fires from its shard replies, and the
// two channels each event is published on.
import { describe, expect, it } from 'vitest';
import type { Reply, Request } from '../../core/protocol/ops.js';
import {
  expiredKeyEvents, formatKeyspaceEventFlags, keyspaceEvents, keyspaceMessages, NOTIFY_ALL, NOTIFY_KEYEVENT, NOTIFY_KEYSPACE, parseKeyspaceEventFlags,
} from '../../core/resp/keyspace-events.js';

const b = (s: string): Uint8Array => Buffer.from(s);
const KEA = parseKeyspaceEventFlags('KEA')!;
const NOW_MS = 1_700_000_000_000;
const OK: Reply = { ok: true };
const FOUND: Reply = { ok: true, found: true };
const MISSING: Reply = { ok: true, found: false };
const REFUSED: Reply = { ok: false, code: 'KEY_EXISTS', message: 'exists' } as Reply;

/** `event key` pairs a command fires under `flags`. */
function events(flags: number, line: string, replies: Reply[]): string[] {
  const args = line.split(' ').map(b);
  const name = line.split(' ')[0]!.toLowerCase();
  // MSETNX ends at its checks (exists) unless it got to its set.
  const requests: Request[] = name === 'mset' || (name === 'msetnx' && replies.length === 1 && 'version' in replies[0]!) ? [{ op: 'mset', entries: [] }] : [];
  return keyspaceEvents(flags, name, args, { requests, replies }, NOW_MS).map((e) => `${e.event} ${Buffer.from(e.key).toString()}`);
}

describe('notify-keyspace-events flags', () => {
  it("parses Redis's letters and shows them in Redis's order", () => {
    expect(parseKeyspaceEventFlags('')).toBe(0);
    expect(formatKeyspaceEventFlags(KEA)).toBe('AKE');
    expect(formatKeyspaceEventFlags(parseKeyspaceEventFlags('Eg$x')!)).toBe('g$xE');
    expect(formatKeyspaceEventFlags(parseKeyspaceEventFlags('g$lshzxetdK')!)).toBe('AK');
    expect(formatKeyspaceEventFlags(parseKeyspaceEventFlags('Kmn')!)).toBe('nKm');
    expect(parseKeyspaceEventFlags('KEQ')).toBeNull();
    expect(parseKeyspaceEventFlags('KEA')! & NOTIFY_ALL).toBe(NOTIFY_ALL);
  });
});

/** The EXPIRE family's replies (a data command's int: 1 set or deleted, 0 not). */
const SET_ONE: Reply = { ok: true, data: { t: 'int', v: 1n } };
const SET_NONE: Reply = { ok: true, data: { t: 'int', v: 0n } };

describe('events per command', () => {
  it('strings: set (and expire for SET EX / SETEX), incrby, incrbyfloat, append, setrange, mset', () => {
    expect(events(KEA, 'SET k v', [OK])).toEqual(['set k']);
    expect(events(KEA, 'SET k v EX 10', [OK])).toEqual(['set k', 'expire k']);
    expect(events(KEA, 'SET k v NX', [REFUSED])).toEqual([]);
    expect(events(KEA, 'SETEX k 10 v', [OK])).toEqual(['set k', 'expire k']);
    expect(events(KEA, 'INCR n', [OK])).toEqual(['incrby n']);
    expect(events(KEA, 'DECRBY n 3', [OK])).toEqual(['incrby n']);
    expect(events(KEA, 'INCRBYFLOAT n 1.5', [OK])).toEqual(['incrbyfloat n']);
    expect(events(KEA, 'APPEND k x', [OK])).toEqual(['append k']);
    expect(events(KEA, 'SETRANGE k 0 x', [OK])).toEqual(['setrange k']);
    expect(events(KEA, 'MSET a 1 b 2', [OK])).toEqual(['set a', 'set b']);
    expect(events(KEA, 'MSETNX a 1 b 2', [{ ok: true, found: false, version: 0 }])).toEqual([]);
    expect(events(KEA, 'MSETNX a 1 b 2', [{ ok: true, found: true, version: 7 }])).toEqual(['set a', 'set b']);
    // Stopped at its checks (a key existed): no set ran.
    expect(events(KEA, 'MSETNX a 1', [FOUND])).toEqual([]);
  });

  it('generic: del only for keys that existed, expire or del for a past time, persist, rename', () => {
    expect(events(KEA, 'DEL a b c', [FOUND, MISSING, FOUND])).toEqual(['del a', 'del c']);
    expect(events(KEA, 'EXPIRE k 10', [SET_ONE])).toEqual(['expire k']);
    expect(events(KEA, 'EXPIRE k 10', [SET_NONE])).toEqual([]);
    expect(events(KEA, 'EXPIRE k -1', [SET_ONE])).toEqual(['del k']);
    expect(events(KEA, `PEXPIREAT k ${NOW_MS - 1}`, [SET_ONE])).toEqual(['del k']);
    expect(events(KEA, `EXPIREAT k ${NOW_MS / 1000 + 60}`, [SET_ONE])).toEqual(['expire k']);
    expect(events(KEA, 'PERSIST k', [FOUND])).toEqual(['persist k']);
    expect(events(KEA, 'GETDEL k', [{ ok: true, previousFound: true }])).toEqual(['del k']);
    expect(events(KEA, 'GETEX k PX 100', [FOUND])).toEqual(['expire k']);
    expect(events(KEA, 'RENAME a b', [OK])).toEqual(['rename_from a', 'rename_to b']);
  });

  it('reads fire nothing; only the classes asked for fire', () => {
    expect(events(KEA, 'GET k', [FOUND])).toEqual([]);
    expect(events(parseKeyspaceEventFlags('K$')!, 'SET k v EX 1', [OK])).toEqual(['set k']);
    expect(events(parseKeyspaceEventFlags('Kg')!, 'SET k v EX 1', [OK])).toEqual(['expire k']);
    // A class without K or E publishes nothing.
    expect(events(parseKeyspaceEventFlags('A')!, 'SET k v', [OK])).toEqual([]);
  });
});

describe('expired', () => {
  it('one expired event per removed key, only with x on', () => {
    expect(expiredKeyEvents(KEA, [b('a'), b('b')]).map((e) => e.event)).toEqual(['expired', 'expired']);
    expect(expiredKeyEvents(parseKeyspaceEventFlags('KEg$')!, [b('a')])).toEqual([]);
  });
});

describe('messages', () => {
  it('keyspace then keyevent, on database 0', () => {
    const msgs = keyspaceMessages(KEA, [{ type: NOTIFY_ALL & ~0, event: 'set', key: b('k') }]).map((m) => [Buffer.from(m.channel).toString(), Buffer.from(m.message).toString()]);
    expect(msgs).toEqual([['__keyspace@0__:k', 'set'], ['__keyevent@0__:set', 'k']]);
    const onlyE = keyspaceMessages(NOTIFY_ALL | NOTIFY_KEYEVENT, [{ type: NOTIFY_ALL, event: 'del', key: b('k') }]);
    expect(onlyE.map((m) => Buffer.from(m.channel).toString())).toEqual(['__keyevent@0__:del']);
    expect(keyspaceMessages(NOTIFY_KEYSPACE, [{ type: NOTIFY_ALL, event: 'del', key: b('k') }])).toEqual([]);
  });
});
