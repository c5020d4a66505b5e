import { describe, expect, it } from 'vitest';
import { ShardCalls } from './shard-calls.js';

describe('EXPIRE family as data commands', () => {
  it('sets, reads and clears expiries as Redis 7 does, NX / XX / GT / LT included', () => {
    const s = new ShardCalls();
    s.set('k', 'v');
    expect(s.int('expiretime', 'k')).toBe(-1);
    expect(s.int('expire', 'k', '100', 'XX')).toBe(0); // no TTL yet
    expect(s.int('expire', 'k', '100', 'GT')).toBe(0); // no TTL counts as forever
    expect(s.int('expire', 'k', '100', 'NX')).toBe(1);
    expect(s.int('pexpiretime', 'k')).toBe(s.nowMs + 100_000);
    expect(s.int('expiretime', 'k')).toBe(Math.floor((s.nowMs + 100_000) / 1000));
    expect(s.int('expire', 'k', '200', 'NX')).toBe(0);
    expect(s.int('expire', 'k', '50', 'GT')).toBe(0);
    expect(s.int('expire', 'k', '200', 'GT')).toBe(1);
    expect(s.int('pexpire', 'k', '300000', 'LT')).toBe(0);
    expect(s.int('pexpire', 'k', '1000', 'LT', 'XX')).toBe(1);
    expect(s.int('pexpiretime', 'k')).toBe(s.nowMs + 1000);
    expect(s.int('pexpireat', 'k', String(s.nowMs + 5000))).toBe(1);
    expect(s.int('pexpiretime', 'k')).toBe(s.nowMs + 5000);
    expect(s.int('expire', 'missing', '10')).toBe(0);
    expect(s.int('expiretime', 'missing')).toBe(-2);
  });

  it('a time at or before the entry\'s deletes the key and answers 1', () => {
    const s = new ShardCalls();
    s.set('k', 'v');
    expect(s.int('expire', 'k', '0')).toBe(1);
    expect(s.int('expiretime', 'k')).toBe(-2);
    s.set('k', 'v');
    expect(s.int('expireat', 'k', '1')).toBe(1);
    expect(s.int('expiretime', 'k')).toBe(-2);
    s.set('k', 'v');
    expect(s.int('pexpire', 'k', '-9223372036854775808')).toBe(1);
    expect(s.int('expiretime', 'k')).toBe(-2);
  });

  it('answers Redis\'s errors', () => {
    const s = new ShardCalls();
    s.set('k', 'v');
    expect(s.data('expire', 'k', 'abc')).toBe('ERR:BAD_REQUEST value is not an integer or out of range');
    expect(s.data('expire', 'k', '10', 'NX', 'XX')).toBe('ERR:BAD_REQUEST NX and XX, GT or LT options at the same time are not compatible');
    expect(s.data('expire', 'k', '10', 'GT', 'LT')).toBe('ERR:BAD_REQUEST GT and LT options at the same time are not compatible');
    expect(s.data('expire', 'k', '10', 'FOO')).toBe('ERR:BAD_REQUEST Unsupported option FOO');
    expect(s.data('expire', 'k', '9007199254740991')).toBe("ERR:BAD_REQUEST invalid expire time in 'expire' command");
    expect(s.data('pexpireat', 'k', '9223372036854775807')).toBe("ERR:BAD_REQUEST invalid expire time in 'pexpireat' command");
  });
});
