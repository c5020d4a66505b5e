import { describe, expect, it } from 'vitest';
import type { DataValue } from '../../../core/protocol/data-value.js';
import { ShardCalls } from './shard-calls.js';

const payloadOf = (d: DataValue | string): Uint8Array => {
  if (typeof d === 'string' || d.t !== 'bytes') throw new Error(`not a payload: ${String(d)}`);
  return d.v;
};

describe('DUMP / RESTORE', () => {
  it('round-trips a value with its TTL, refuses an existing key without REPLACE, and damaged payloads', () => {
    const s = new ShardCalls();
    s.set('k', 'hello');
    const payload = payloadOf(s.data('dump', 'k'));
    expect(s.data('dump', 'missing')).toEqual({ t: 'nil' });
    expect(s.data('restore', 'k2', '5000', payload)).toEqual({ t: 'status', v: 'OK' });
    expect(s.int('pexpiretime', 'k2')).toBe(s.nowMs + 5000);
    const got = s.run({ op: 'get', key: new TextEncoder().encode('k2') });
    expect(got.ok && new TextDecoder().decode(got.value)).toBe('hello');
    expect(s.data('restore', 'k2', '0', payload)).toBe('ERR:KEY_EXISTS Target key name already exists.');
    expect(s.data('restore', 'k2', '0', payload, 'REPLACE')).toEqual({ t: 'status', v: 'OK' });
    expect(s.int('pexpiretime', 'k2')).toBe(-1);
    expect(s.data('restore', 'k3', String(s.nowMs + 10), payload, 'ABSTTL')).toEqual({ t: 'status', v: 'OK' });
    expect(s.int('pexpiretime', 'k3')).toBe(s.nowMs + 10);
    const damaged = payload.slice();
    damaged[3] = damaged[3]! ^ 1;
    expect(s.data('restore', 'k4', '0', damaged)).toBe('ERR:BAD_REQUEST DUMP payload version or checksum are wrong');
    expect(s.data('restore', 'k4', '-1', payload)).toBe('ERR:BAD_REQUEST Invalid TTL value, must be >= 0');
    expect(s.data('restore', 'k4', '0', payload, 'SOMETIMES')).toBe('ERR:BAD_REQUEST syntax error');
  });
});
