// The bit commands against the examples of Redis's own documentation.

import { describe, expect, it } from 'vitest';
import type { DataValue } from '../../../core/protocol/data-value.js';
import { ShardCalls } from './shard-calls.js';

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);
const ints = (d: DataValue | string): (number | null)[] => {
  if (typeof d === 'string' || d.t !== 'array') throw new Error(`not an array: ${String(d)}`);
  return d.v.map((x) => (x.t === 'int' ? Number(x.v) : null));
};

describe('bit commands', () => {
  it('SETBIT / GETBIT grow the string and answer the old bit', () => {
    const s = new ShardCalls();
    expect(s.int('setbit', 'k', '7', '1')).toBe(0);
    expect(s.int('setbit', 'k', '7', '0')).toBe(1);
    expect(s.int('setbit', 'k', '7', '1')).toBe(0);
    expect(s.int('getbit', 'k', '0')).toBe(0);
    expect(s.int('getbit', 'k', '7')).toBe(1);
    expect(s.int('getbit', 'k', '100')).toBe(0);
    expect(s.int('setbit', 'k', '23', '1')).toBe(0);
    expect(s.int('bitcount', 'k')).toBe(2);
    expect(s.data('setbit', 'k', '-1', '1')).toBe('ERR:BAD_REQUEST bit offset is not an integer or out of range');
    expect(s.data('setbit', 'k', '1', '2')).toBe('ERR:BAD_REQUEST bit is not an integer or out of range');
    expect(s.data('setbit', 'k', String(8 * 64 * 1024 * 1024), '1')).toBe('ERR:BAD_REQUEST bit offset is not an integer or out of range');
  });

  it('BITCOUNT by byte and by bit', () => {
    const s = new ShardCalls();
    s.set('k', 'foobar');
    expect(s.int('bitcount', 'k')).toBe(26);
    expect(s.int('bitcount', 'k', '0', '0')).toBe(4);
    expect(s.int('bitcount', 'k', '1', '1')).toBe(6);
    expect(s.int('bitcount', 'k', '1', '1', 'BYTE')).toBe(6);
    expect(s.int('bitcount', 'k', '5', '30', 'BIT')).toBe(17);
    expect(s.int('bitcount', 'k', '-2', '-1')).toBe(7);
    expect(s.int('bitcount', 'missing')).toBe(0);
    expect(s.data('bitcount', 'k', '1')).toBe('ERR:BAD_REQUEST syntax error');
    expect(s.data('bitcount', 'k', '1', '2', 'WORD')).toBe('ERR:BAD_REQUEST syntax error');
  });

  it('BITPOS', () => {
    const s = new ShardCalls();
    s.run({ op: 'set', key: new TextEncoder().encode('k'), value: bytes(0xff, 0xf0, 0x00) });
    expect(s.int('bitpos', 'k', '0')).toBe(12);
    s.run({ op: 'set', key: new TextEncoder().encode('k'), value: bytes(0x00, 0xff, 0xf0) });
    expect(s.int('bitpos', 'k', '1', '0')).toBe(8);
    expect(s.int('bitpos', 'k', '1', '2')).toBe(16);
    expect(s.int('bitpos', 'k', '1', '2', '-1', 'BYTE')).toBe(16);
    expect(s.int('bitpos', 'k', '1', '7', '15', 'BIT')).toBe(8);
    s.run({ op: 'set', key: new TextEncoder().encode('k'), value: bytes(0, 0, 0) });
    expect(s.int('bitpos', 'k', '1')).toBe(-1);
    expect(s.int('bitpos', 'k', '1', '7', '-3', 'BIT')).toBe(-1);
    s.run({ op: 'set', key: new TextEncoder().encode('k'), value: bytes(0xff, 0xff) });
    expect(s.int('bitpos', 'k', '0')).toBe(16); // zero-padded on the right when no end is given
    expect(s.int('bitpos', 'k', '0', '0', '-1')).toBe(-1);
    expect(s.int('bitpos', 'missing', '0')).toBe(0);
    expect(s.int('bitpos', 'missing', '1')).toBe(-1);
    expect(s.data('bitpos', 'k', '2')).toBe('ERR:BAD_REQUEST The bit argument must be 1 or 0.');
  });

  it('BITOP AND / OR / XOR / NOT', () => {
    const s = new ShardCalls();
    s.set('a', 'foobar');
    s.set('b', 'abcdef');
    expect(s.int('bitop', 'AND', 'd', 'a', 'b')).toBe(6);
    const d = s.run({ op: 'get', key: new TextEncoder().encode('d') });
    expect(d.ok && new TextDecoder().decode(d.value)).toBe('`bc`ab');
    expect(s.int('bitop', 'OR', 'd', 'a', 'missing')).toBe(6);
    expect(s.int('bitop', 'NOT', 'd', 'missing')).toBe(0);
    expect(s.int('bitcount', 'd')).toBe(0);
    expect(s.data('bitop', 'NOT', 'd', 'a', 'b')).toBe('ERR:BAD_REQUEST BITOP NOT must be called with a single source key.');
    expect(s.data('bitop', 'NAND', 'd', 'a')).toBe('ERR:BAD_REQUEST syntax error');
  });

  it('BITFIELD with each overflow rule', () => {
    const s = new ShardCalls();
    expect(ints(s.data('bitfield', 'k', 'INCRBY', 'i5', '100', '1', 'GET', 'u4', '0'))).toEqual([1, 0]);
    const step = (): (number | null)[] => ints(s.data('bitfield', 'm', 'incrby', 'u2', '100', '1', 'OVERFLOW', 'SAT', 'incrby', 'u2', '102', '1'));
    expect(step()).toEqual([1, 1]);
    expect(step()).toEqual([2, 2]);
    expect(step()).toEqual([3, 3]);
    expect(step()).toEqual([0, 3]);
    expect(ints(s.data('bitfield', 'm', 'OVERFLOW', 'FAIL', 'incrby', 'u2', '102', '1'))).toEqual([null]);
    expect(ints(s.data('bitfield', 'n', 'SET', 'i8', '#1', '-100', 'GET', 'i8', '8', 'GET', 'u8', '#1'))).toEqual([0, -100, 156]);
    expect(ints(s.data('bitfield_ro', 'n', 'GET', 'i8', '8'))).toEqual([-100]);
    expect(s.data('bitfield_ro', 'n', 'SET', 'i8', '8', '1')).toBe('ERR:BAD_REQUEST BITFIELD_RO only supports the GET subcommand');
    expect(s.data('bitfield', 'n', 'GET', 'u64', '0')).toMatch(/Invalid bitfield type/);
    expect(s.data('bitfield', 'n', 'GET', 'i8')).toBe('ERR:BAD_REQUEST syntax error');
    expect(s.data('bitfield', 'n', 'OVERFLOW', 'MAYBE', 'GET', 'i8', '0')).toBe('ERR:BAD_REQUEST Invalid OVERFLOW type specified');
  });
});

describe('LCS', () => {
  it('answers as Redis\'s documentation shows', () => {
    const s = new ShardCalls();
    s.set('key1', 'ohmytext');
    s.set('key2', 'mynewtext');
    const text = (d: DataValue | string): string => (typeof d !== 'string' && d.t === 'bytes' ? new TextDecoder().decode(d.v) : String(d));
    expect(text(s.data('lcs', 'key1', 'key2'))).toBe('mytext');
    expect(s.int('lcs', 'key1', 'key2', 'LEN')).toBe(6);
    const idx = s.data('lcs', 'key1', 'key2', 'IDX', 'MINMATCHLEN', '4', 'WITHMATCHLEN');
    const plain = (d: DataValue): unknown => (d.t === 'int' ? Number(d.v) : d.t === 'bytes' ? new TextDecoder().decode(d.v)
      : d.t === 'array' || d.t === 'map' ? d.v.map(plain) : d.t);
    expect(plain(idx as DataValue)).toEqual(['matches', [[[4, 7], [5, 8], 4]], 'len', 6]);
    expect(plain(s.data('lcs', 'key1', 'key2', 'IDX') as DataValue)).toEqual(['matches', [[[4, 7], [5, 8]], [[2, 3], [0, 1]]], 'len', 6]);
    expect(s.data('lcs', 'key1', 'key2', 'LEN', 'IDX')).toBe('ERR:BAD_REQUEST If you want both the length and indexes, please just use IDX.');
    expect(text(s.data('lcs', 'key1', 'missing'))).toBe('');
  });
});
