// A small driver for data commands on a real Shard: writes are applied as
// log entries (index, time), reads answered at a time; arguments as text.

import { DEFAULT_LIMITS, type Limits } from '../../../core/limits.js';
import type { DataValue } from '../../../core/protocol/data-value.js';
import type { Reply, Request } from '../../../core/protocol/ops.js';
import { isWriteRequest } from '../../../core/shard/command.js';
import { Shard } from '../../../core/shard/shard.js';

const encoder = new TextEncoder();

export class ShardCalls {
  readonly shard: Shard;
  private index = 0;

  constructor(public nowMs = 1_000_000, limits: Limits = DEFAULT_LIMITS) {
    this.shard = new Shard(0, limits);
  }

  /** Run one request (a write as the next entry at nowMs). */
  run(request: Request): Reply {
    if (isWriteRequest(request)) {
      this.index++;
      return this.shard.apply({ index: this.index, term: 1, timestampMs: this.nowMs, command: request });
    }
    return this.shard.read(request, this.nowMs);
  }

  /** A data command by name with text or byte arguments. */
  call(name: string, ...args: (string | Uint8Array)[]): Reply {
    return this.run({ op: 'call', name, args: args.map((a) => (typeof a === 'string' ? encoder.encode(a) : a)) });
  }

  /** The call's data, or its error as `ERR:<code> <message>`. */
  data(name: string, ...args: (string | Uint8Array)[]): DataValue | string {
    const r = this.call(name, ...args);
    return r.ok ? r.data! : `ERR:${r.code} ${r.message}`;
  }

  /** An int reply as a number (throws otherwise). */
  int(name: string, ...args: (string | Uint8Array)[]): number {
    const d = this.data(name, ...args);
    if (typeof d === 'string' || d.t !== 'int') throw new Error(`${name}: expected an int, got ${JSON.stringify(d, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`);
    return Number(d.v);
  }

  set(key: string, value: string): void {
    this.run({ op: 'set', key: encoder.encode(key), value: encoder.encode(value) });
  }
}
