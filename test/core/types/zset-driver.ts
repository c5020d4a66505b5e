// Drives a Shard with sorted-set commands as the doors would: `call` ops,
// validated (core/types/call-request.ts), writes applied as log entries,
// reads answered at the entry time. Replies are flattened to plain JS
// (strings, numbers, null, arrays) for easy comparison with a model.

import { makeLimits, type Limits } from '../../../core/limits.js';
import type { DataValue } from '../../../core/protocol/data-value.js';
import type { Reply } from '../../../core/protocol/ops.js';
import { Shard } from '../../../core/shard/shard.js';
import { dataCommandOf } from '../../../core/types/data-commands.js';
import { validateCall } from '../../../core/types/call-request.js';

const enc = new TextEncoder();

export type Plain = null | string | number | bigint | Plain[] | { err: string; message: string } | { status: string };

export function latin1(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

export function bytesOf(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

export function plain(v: DataValue): Plain {
  switch (v.t) {
    case 'nil': case 'nilArray': return null;
    case 'int': return v.v;
    case 'bytes': return latin1(v.v);
    case 'double': return v.v;
    case 'status': return { status: v.v };
    case 'array': case 'map': case 'set': case 'pairs': return v.v.map(plain);
  }
}

export function plainReply(r: Reply): Plain {
  if (!r.ok) return { err: r.code, message: r.message };
  return r.data === undefined ? null : plain(r.data);
}

export class ZDriver {
  shard: Shard;
  index = 0;
  nowMs = 1_000_000;
  readonly limits: Limits;

  constructor(limits: Limits = makeLimits(), shard?: Shard, index = 0) {
    this.limits = limits;
    this.shard = shard ?? new Shard(0, limits);
    this.index = index;
  }

  /** Run a command by its Redis name (any case) with text arguments (latin1, so any byte). */
  run(name: string, ...args: (string | number)[]): Plain {
    return plainReply(this.raw(name, ...args));
  }

  raw(name: string, ...args: (string | number)[]): Reply {
    const req = { op: 'call' as const, name: name.toLowerCase(), args: args.map((a) => bytesOf(String(a))) };
    const invalid = validateCall(req, this.limits);
    if (invalid !== null) return invalid;
    const command = dataCommandOf(req.name)!;
    if (!command.write) return this.shard.read(req, this.nowMs);
    this.index++;
    return this.shard.apply({ index: this.index, term: 1, timestampMs: this.nowMs, command: req });
  }

  /** A second driver on a shard restored from this one's snapshot. */
  restored(): ZDriver {
    return new ZDriver(this.limits, Shard.restore(0, this.limits, this.shard.snapshot()), this.index);
  }
}

export { enc };
