// What `db.transaction(tx => …)` builds: the typed calls (calls.ts) gathered
// into one `tx` request (core/protocol/ops.ts), keys to watch with the
// versions the caller read them at, and one TxResult per call that learns
// its value once the transaction's reply is back.

import type { Reply, TxRequest, WatchedKey } from '../core/protocol/ops.js';
import { TX_OPS_MAX } from '../core/protocol/transaction.js';
import { toBytes, type BytesLike } from './bytes.js';
import {
  anyCall, appendCall, dataCalls, delCall, existsCall, expireCall, getCall, incrCall, setCall,
  type Call, type CallArg, type DelOptions, type Entry, type SetOptions, type SortOptions,
} from './calls.js';
import type { MSetEntries } from './client.js';
import type { BytesOut, DataBytes, DataReply } from './data-reply.js';
import { PiccoloError, ProtocolError } from './errors.js';

/** What transaction() resolves with: whether it applied, and then build's result. */
export type TransactionOutcome<R> = { committed: true; result: R } | { committed: false };

/** One call's outcome in a committed transaction. */
export class TxResult<T> {
  private settled: { ok: true; value: T } | { ok: false; error: PiccoloError } | null = null;

  /** The call's value; throws its error when it failed (the other calls still applied), or before the transaction committed. */
  get value(): T {
    if (this.settled === null) throw new PiccoloError('BAD_REQUEST', 'this call\'s transaction has not committed (await transaction() and check committed)');
    if (!this.settled.ok) throw this.settled.error;
    return this.settled.value;
  }

  /** The call's own error, or null when it succeeded (or has not run). */
  get error(): PiccoloError | null {
    return this.settled !== null && !this.settled.ok ? this.settled.error : null;
  }

  /** @internal */
  settle(outcome: { ok: true; value: T } | { ok: false; error: PiccoloError }): void {
    this.settled = outcome;
  }
}

export class Transaction<B extends DataBytes = Uint8Array> {
  private readonly calls: { call: Call<unknown>; result: TxResult<unknown> }[] = [];
  private readonly watched: WatchedKey[] = [];
  private readonly data: ReturnType<typeof dataCalls<B>>;

  constructor(private readonly bytesOut: BytesOut<B> = ((bytes: Uint8Array) => bytes) as BytesOut<B>) {
    this.data = dataCalls(bytesOut);
  }

  /** Apply nothing unless the key is still at `version` (from a get; 0: absent). */
  watch(key: BytesLike, version: number): void {
    this.watched.push({ key: toBytes(key, 'key'), version });
  }

  get(key: BytesLike): TxResult<Entry | null> { return this.add(getCall(key)); }
  set(key: BytesLike, value: BytesLike, options?: SetOptions): TxResult<{ version: number }> { return this.add(setCall(key, value, options)); }
  del(key: BytesLike, options?: DelOptions): TxResult<boolean> { return this.add(delCall(key, options)); }
  incr(key: BytesLike, delta?: bigint | number): TxResult<bigint> { return this.add(incrCall(key, delta)); }
  append(key: BytesLike, value: BytesLike): TxResult<number> { return this.add(appendCall(key, value)); }
  exists(key: BytesLike): TxResult<boolean> { return this.add(existsCall(key)); }
  expire(key: BytesLike, ttlMs: number): TxResult<boolean> { return this.add(expireCall(key, ttlMs)); }
  persist(key: BytesLike): TxResult<boolean> { return this.add(expireCall(key)); }
  // Data commands, as on the client (client.ts).
  call(name: string, ...args: CallArg[]): TxResult<DataReply<B>> { return this.add(anyCall(this.bytesOut, name, args)); }
  hset(key: BytesLike, fieldValues: MSetEntries): TxResult<number> { return this.add(this.data.hset(key, fieldValues)); }
  hget(key: BytesLike, field: BytesLike): TxResult<B | null> { return this.add(this.data.hget(key, field)); }
  hgetall(key: BytesLike): TxResult<Map<string, B>> { return this.add(this.data.hgetall(key)); }
  lpush(key: BytesLike, ...values: BytesLike[]): TxResult<number> { return this.add(this.data.lpush(key, values)); }
  rpush(key: BytesLike, ...values: BytesLike[]): TxResult<number> { return this.add(this.data.rpush(key, values)); }
  lrange(key: BytesLike, start: number, stop: number): TxResult<B[]> { return this.add(this.data.lrange(key, start, stop)); }
  lpop(key: BytesLike): TxResult<B | null> { return this.add(this.data.lpop(key)); }
  sadd(key: BytesLike, ...members: BytesLike[]): TxResult<number> { return this.add(this.data.sadd(key, members)); }
  smembers(key: BytesLike): TxResult<B[]> { return this.add(this.data.smembers(key)); }
  sismember(key: BytesLike, member: BytesLike): TxResult<boolean> { return this.add(this.data.sismember(key, member)); }
  zadd(key: BytesLike, scoreMembers: readonly (readonly [number, BytesLike])[]): TxResult<number> { return this.add(this.data.zadd(key, scoreMembers)); }
  zrange(key: BytesLike, start: number, stop: number): TxResult<B[]> { return this.add(this.data.zrange(key, start, stop)); }
  zscore(key: BytesLike, member: BytesLike): TxResult<number | null> { return this.add(this.data.zscore(key, member)); }
  sort(key: BytesLike, options?: SortOptions): TxResult<(B | null)[]> { return this.add(this.data.sort(key, options)); }
  sortStore(key: BytesLike, destination: BytesLike, options?: SortOptions): TxResult<number> { return this.add(this.data.sortStore(key, destination, options)); }

  private add<T>(call: Call<T>): TxResult<T> {
    if (this.calls.length >= TX_OPS_MAX) throw new PiccoloError('LIMIT_EXCEEDED', `a transaction holds at most ${TX_OPS_MAX} calls`);
    const result = new TxResult<T>();
    this.calls.push({ call, result: result as TxResult<unknown> });
    return result;
  }

  /** @internal The one request this transaction sends. */
  request(): TxRequest {
    return { op: 'tx', ops: this.calls.map(({ call }) => call.request), watch: this.watched };
  }

  /** @internal Hands each call its part of a committed transaction's replies. */
  settle(replies: readonly Reply[], errorOf: (reply: Extract<Reply, { ok: false }>) => PiccoloError): void {
    if (replies.length !== this.calls.length) throw new ProtocolError(`a transaction of ${this.calls.length} calls got ${replies.length} replies`);
    this.calls.forEach(({ call, result }, i) => {
      const reply = replies[i]!;
      if (!reply.ok) return result.settle({ ok: false, error: errorOf(reply) });
      try {
        result.settle({ ok: true, value: call.read(reply) });
      } catch (error) {
        result.settle({ ok: false, error: error instanceof PiccoloError ? error : new ProtocolError(String(error)) });
      }
    });
  }
}
