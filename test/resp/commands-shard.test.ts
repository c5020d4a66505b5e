// End to end without sockets: bytes -> RequestParser -> translate -> Shards ->
// finish -> ReplyWriter -> bytes, with a tiny router that does what plan.ts
// asks of the server (split mget/mset by shard, broadcast count/flush, merge).
// Checks that the translation agrees with the shard's real replies.

import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../core/limits.js';
import type { ItemReply, Reply, Request } from '../../core/protocol/ops.js';
import { translate, type Plan } from '../../core/resp/commands.js';
import { ReplyWriter } from '../../core/resp/reply-encoder.js';
import { RequestParser } from '../../core/resp/request-parser.js';
import { slotOf } from '../../core/routing/slot-hash.js';
import { SlotMap } from '../../core/routing/slot-map.js';
import { callKeys } from '../../core/types/call-request.js';
import { LocalShard } from '../core/local-shard.js';
import { decodeAll, simplify } from './resp-decoder.js';

const SHARDS = 3;
const enc = new TextEncoder();

class MiniServer {
  nowMs = 1_700_000_000_000;
  readonly shards = Array.from({ length: SHARDS }, (_, i) => new LocalShard(i, DEFAULT_LIMITS));
  private readonly parser = new RequestParser();
  private readonly writer = new ReplyWriter();
  readonly shardsTouched = new Set<number>();
  private readonly slotMap = new SlotMap(SHARDS, 1);

  private shardOf(key: Uint8Array): LocalShard {
    const index = this.slotMap.shardOf(slotOf(key));
    this.shardsTouched.add(index);
    return this.shards[index]!;
  }

  private run(req: Request): Reply {
    switch (req.op) {
      case 'mget': {
        const items: ItemReply[] = [];
        for (const key of req.keys) {
          const r = this.shardOf(key).handle({ op: 'mget', keys: [key] }, this.nowMs);
          if (!r.ok) return r;
          items.push(r.items![0]!);
        }
        return { ok: true, items };
      }
      case 'mset': {
        const byShard = new Map<LocalShard, { key: Uint8Array; value: Uint8Array }[]>();
        for (const e of req.entries) {
          const shard = this.shardOf(e.key);
          byShard.set(shard, [...(byShard.get(shard) ?? []), e]);
        }
        let found = true;
        for (const [shard, entries] of byShard) {
          const r = shard.handle({ op: 'mset', entries, ifNoneExist: req.ifNoneExist }, this.nowMs);
          if (!r.ok) return r;
          found &&= r.found === true;
        }
        return { ok: true, found };
      }
      case 'count': case 'flush': {
        let integer = 0n;
        for (const shard of this.shards) {
          const r = shard.handle(req, this.nowMs);
          if (!r.ok) return r;
          integer += r.integer ?? 0n;
        }
        return { ok: true, integer };
      }
      case 'call':
        return this.shardOf(callKeys(req)[0]!).handle(req, this.nowMs);
      case 'scan': case 'tx':
        throw new Error(`${req.op} is not used by translate()`);
      default:
        return this.shardOf(req.key).handle(req, this.nowMs);
    }
  }

  private execute(plan: Plan): void {
    for (;;) {
      switch (plan.kind) {
        case 'reply': return this.writer.writeValue(plan.reply);
        case 'connection': return this.writer.writeError(`ERR ${plan.name} is not served by this test`);
        case 'requests': {
          const next = plan.finish(plan.requests.map((r) => this.run(r)), this.writer);
          if (!next) return;
          plan = next;
        }
      }
    }
  }

  /** Send raw bytes (any number of commands); get the simplified replies. */
  sendBytes(...chunks: Uint8Array[]): unknown[] {
    for (const chunk of chunks) {
      this.parser.push(chunk);
      for (let r = this.parser.next(); r.kind !== 'need-more'; r = this.parser.next()) {
        if (r.kind === 'error') throw new Error(r.message);
        this.execute(translate(r.args, { nowMs: this.nowMs, limits: DEFAULT_LIMITS }));
      }
    }
    return decodeAll(this.writer.take()).map(simplify);
  }

  /** One command as a multibulk. */
  cmd(...words: string[]): unknown {
    const parts = [enc.encode(`*${words.length}\r\n`)];
    for (const w of words) {
      const b = enc.encode(w);
      parts.push(enc.encode(`$${b.length}\r\n`), b, enc.encode('\r\n'));
    }
    const replies = this.sendBytes(Buffer.concat(parts));
    expect(replies).toHaveLength(1);
    return replies[0];
  }
}

describe('RESP over real shards', () => {
  it('strings and counters', () => {
    const s = new MiniServer();
    expect(s.cmd('SET', 'a', '1')).toBe('+OK');
    expect(s.cmd('GET', 'a')).toBe('1');
    expect(s.cmd('INCR', 'a')).toBe(2);
    expect(s.cmd('INCRBY', 'a', '-12')).toBe(-10);
    expect(s.cmd('APPEND', 'a', '0')).toBe(4);
    expect(s.cmd('STRLEN', 'a')).toBe(4);
    expect(s.cmd('GETRANGE', 'a', '1', '-2')).toBe('10');
    expect(s.cmd('SETRANGE', 'a', '0', 'x')).toBe(4);
    expect(s.cmd('GET', 'a')).toBe('x100');
    expect(s.cmd('INCR', 'a')).toBe('-ERR value is not an integer or out of range');
    expect(s.cmd('INCRBYFLOAT', 'a', '1')).toBe('-ERR value is not a valid float');
    expect(s.cmd('INCRBYFLOAT', 'f', '1.5')).toBe('1.5');
    expect(s.cmd('INCRBYFLOAT', 'f', '2')).toBe('3.5');
    expect(s.cmd('SET', 'big', '9223372036854775807')).toBe('+OK');
    expect(s.cmd('INCR', 'big')).toBe('-ERR increment or decrement would overflow');
    expect(s.cmd('TYPE', 'a')).toBe('+string');
    expect(s.cmd('TYPE', 'nope')).toBe('+none');
  });

  it('SET conditions and GET variants', () => {
    const s = new MiniServer();
    expect(s.cmd('SET', 'a', '1', 'NX')).toBe('+OK');
    expect(s.cmd('SET', 'a', '2', 'NX')).toBeNull();
    expect(s.cmd('SET', 'z', '2', 'XX')).toBeNull();
    expect(s.cmd('SET', 'z', '2', 'XX', 'GET')).toBeNull();
    expect(s.cmd('SET', 'a', '3', 'XX', 'GET')).toBe('1');
    expect(s.cmd('SETNX', 'a', '4')).toBe(0);
    expect(s.cmd('SETNX', 'b', '4')).toBe(1);
    expect(s.cmd('GETSET', 'b', '5')).toBe('4');
    expect(s.cmd('GETDEL', 'b')).toBe('5');
    expect(s.cmd('GETDEL', 'b')).toBeNull();
    expect(s.cmd('EXISTS', 'a', 'b', 'a')).toBe(2);
  });

  it('expiry with a moving clock', () => {
    const s = new MiniServer();
    expect(s.cmd('SET', 'a', '1', 'EX', '10')).toBe('+OK');
    expect(s.cmd('TTL', 'a')).toBe(10);
    expect(s.cmd('PTTL', 'a')).toBe(10_000);
    s.nowMs += 2_500;
    expect(s.cmd('TTL', 'a')).toBe(8); // 7.5 s rounds up, as in Redis
    expect(s.cmd('PERSIST', 'a')).toBe(1);
    expect(s.cmd('PERSIST', 'a')).toBe(0);
    expect(s.cmd('TTL', 'a')).toBe(-1);
    expect(s.cmd('PEXPIRE', 'a', '100')).toBe(1);
    s.nowMs += 100;
    expect(s.cmd('GET', 'a')).toBeNull();
    expect(s.cmd('TTL', 'a')).toBe(-2);
    expect(s.cmd('SETEX', 'b', '1', 'v')).toBe('+OK');
    expect(s.cmd('GETEX', 'b', 'PERSIST')).toBe('v');
    expect(s.cmd('TTL', 'b')).toBe(-1);
    expect(s.cmd('GETEX', 'b', 'PX', '50')).toBe('v');
    expect(s.cmd('PTTL', 'b')).toBe(50);
    expect(s.cmd('EXPIREAT', 'b', String(Math.floor(s.nowMs / 1000) + 60))).toBe(1);
    expect(s.cmd('TTL', 'b')).toBe(59); // 59.4 s left
    expect(s.cmd('EXPIRE', 'b', '-1')).toBe(1);
    expect(s.cmd('EXISTS', 'b')).toBe(0);
    expect(s.cmd('EXPIRE', 'b', '10')).toBe(0);
    expect(s.cmd('SET', 'c', 'v', 'PXAT', String(s.nowMs - 1))).toBe('+OK');
    expect(s.cmd('GET', 'c')).toBeNull();
  });

  it('multi-key commands across shards', () => {
    const s = new MiniServer();
    const keys = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    expect(s.cmd('MSET', ...keys.flatMap((key) => [key, key.toUpperCase()]))).toBe('+OK');
    expect(s.shardsTouched.size).toBeGreaterThan(1);
    expect(s.cmd('MGET', ...keys, 'zz')).toEqual([...keys.map((key) => key.toUpperCase()), null]);
    expect(s.cmd('DEL', 'a', 'b', 'zz')).toBe(2);
    expect(s.cmd('DBSIZE')).toBe(6);
    expect(s.cmd('MSETNX', 'c', '1', 'x', '1')).toBe(0);
    expect(s.cmd('GET', 'x')).toBeNull();
    expect(s.cmd('MSETNX', 'x', '1', 'y', '2', 'w', '3')).toBe(1);
    expect(s.cmd('MGET', 'x', 'y', 'w')).toEqual(['1', '2', '3']);
    expect(s.cmd('MSET', 'x', 'first', 'x', 'last')).toBe('+OK');
    expect(s.cmd('GET', 'x')).toBe('last');
    expect(s.cmd('FLUSHALL')).toBe('+OK');
    expect(s.cmd('DBSIZE')).toBe(0);
  });

  it('CAS and GETVER', () => {
    const s = new MiniServer();
    const created = s.cmd('CAS', 'v', '0', 'one');
    expect(typeof created).toBe('number');
    expect(s.cmd('GETVER', 'v')).toEqual(['one', created]);
    expect(s.cmd('CAS', 'v', '0', 'again')).toBe(`-VERSIONMISMATCH current version is ${created}`);
    const updated = s.cmd('CAS', 'v', String(created), 'two');
    expect(updated).toBeGreaterThan(created as number);
    expect(s.cmd('CAS', 'v', String(created), 'three')).toBe(`-VERSIONMISMATCH current version is ${updated}`);
    expect(s.cmd('GETVER', 'v')).toEqual(['two', updated]);
    expect(s.cmd('GETVER', 'nope')).toBeNull();
  });

  it('pipelined inline and multibulk commands in odd chunks', () => {
    const s = new MiniServer();
    const input = enc.encode('SET greeting "hello world"\r\nPING\r\n*2\r\n$3\r\nGET\r\n$8\r\ngreeting\r\nECHO \'a b\'\n');
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < input.length; i += 5) chunks.push(input.slice(i, i + 5));
    expect(s.sendBytes(...chunks)).toEqual(['+OK', '+PONG', 'hello world', 'a b']);
  });
});
