// PiccoloClient: typed methods over one pipelined connection. Each method
// builds a Request (core/protocol/ops.ts), sends it at once without waiting
// for earlier replies, and turns the reply into a plain result or a typed
// PiccoloError. Keys and values are bytes; strings are sent as UTF-8.

import type { OkReply, Request } from '../core/protocol/ops.js';
import { bytesToText, cursorFromText, cursorToText, toBytes, type BytesLike } from './bytes.js';
import {
  anyCall, appendCall, dataCalls, delCall, existsCall, expireCall, getCall, incrCall, need, setCall,
  type Call, type CallArg, type DelOptions, type Entry, type SetOptions, type SortOptions,
} from './calls.js';
import type { BytesOut, DataBytes, DataReply } from './data-reply.js';
import type { Connection } from './connection.js';
import type { ClusterConnection } from './cluster-connection.js';
import { errorFromReply, PiccoloError, ProtocolError } from './errors.js';
import type { WebSocketLike } from './web-socket.js';
import { watchChanges, type WatchChange, type WatchOptions } from './watch.js';
import { Transaction, type TransactionOutcome } from './transaction.js';
import type { FormatName } from './wire-format.js';

export type { DelOptions, Entry, SetOptions, SortOptions } from './calls.js';

export interface ScanOptions {
  /** Only keys starting with these bytes. */
  prefix?: BytesLike;
  /** The cursor a previous page returned; absent or null to start. */
  cursor?: string | null;
  /** Most keys in the page (the server caps it at its scanLimitMax). */
  limit?: number;
  /** Return values too. */
  withValues?: boolean;
}

export interface ScanItem { key: Uint8Array; version: number; value?: Uint8Array }

export interface ScanPage {
  items: ScanItem[];
  /** Pass to the next scan() to continue; null when the scan is complete. */
  cursor: string | null;
}

export type MSetEntries = Iterable<readonly [BytesLike, BytesLike]> | Readonly<Record<string, BytesLike>>;

/**
 * A page of a thousand keys is tens of kilobytes: big enough that round trips
 * do not dominate a full scan, small enough to keep a node's reply short.
 */
export const SCAN_LIMIT_DEFAULT = 1000;

const EMPTY = new Uint8Array(0);

/** What a client sends calls through: one node's connection, or a cluster's (cluster-connection.ts). */
export type CallChannel = Pick<Connection | ClusterConnection, 'url' | 'pendingCount' | 'isOpen' | 'call' | 'close'>;

/**
 * B is how data commands give bytes: Uint8Array, or string when connected
 * with `dataBytesAs: 'text'`.
 */
export class PiccoloClient<B extends DataBytes = Uint8Array> {
  private readonly data: ReturnType<typeof dataCalls<B>>;

  /** Use connect() or connectCluster() to make one. `openWatchSocket` opens a socket for a watch (client/watch.ts); null: watch() refuses. */
  constructor(
    private readonly connection: CallChannel,
    readonly format: FormatName,
    private readonly bytesOut: BytesOut<B> = ((bytes: Uint8Array) => bytes) as BytesOut<B>,
    private readonly openWatchSocket: (() => Promise<WebSocketLike>) | null = null,
  ) {
    this.data = dataCalls(bytesOut);
  }

  get url(): string {
    return this.connection.url;
  }

  /** Calls not yet answered. */
  get pendingCount(): number {
    return this.connection.pendingCount;
  }

  /** False once close() was called or the connection ended. */
  get isOpen(): boolean {
    return this.connection.isOpen;
  }

  /** Sends any request of the model as is: the escape hatch for ops without a method here. */
  request(req: Request): Promise<OkReply> {
    return this.connection.call(req);
  }

  /** Sends one typed call and reads its reply. */
  private async run<T>(call: Call<T>): Promise<T> {
    return call.read(await this.connection.call(call.request));
  }

  async get(key: BytesLike): Promise<Entry | null> {
    return this.run(getCall(key));
  }

  /** The value as UTF-8 text, or null when the key is absent. */
  async getString(key: BytesLike): Promise<string | null> {
    const entry = await this.get(key);
    return entry === null ? null : bytesToText(entry.value);
  }

  async set(key: BytesLike, value: BytesLike, options: SetOptions = {}): Promise<{ version: number }> {
    return this.run(setCall(key, value, options));
  }

  /** Write only if the key is at expectedVersion (0 = absent); else rejects with VERSION_MISMATCH. */
  cas(key: BytesLike, expectedVersion: number, value: BytesLike): Promise<{ version: number }> {
    return this.set(key, value, { expectedVersion });
  }

  /** True when the key existed and was deleted. */
  async del(key: BytesLike, options: DelOptions = {}): Promise<boolean> {
    return this.run(delCall(key, options));
  }

  /** Adds delta to the key's decimal integer value (absent = 0); returns the new value. */
  async incr(key: BytesLike, delta: bigint | number = 1): Promise<bigint> {
    return this.run(incrCall(key, delta));
  }

  /** Appends to the value (absent = empty); returns the new length in bytes. */
  async append(key: BytesLike, value: BytesLike): Promise<number> {
    return this.run(appendCall(key, value));
  }

  async exists(key: BytesLike): Promise<boolean> {
    return this.run(existsCall(key));
  }

  /** Milliseconds the key has left; Infinity when it never expires; null when it does not exist. */
  async ttl(key: BytesLike): Promise<number | null> {
    const reply = await this.connection.call({ op: 'ttl', key: toBytes(key, 'key') });
    const ms = need(reply.integer, 'integer', 'ttl');
    if (ms === TTL_NO_KEY) return null;
    if (ms === TTL_NO_EXPIRY) return Infinity;
    if (ms < 0n) throw new ProtocolError(`ttl reply ${ms} is not a duration`);
    return Number(ms);
  }

  /** Makes the key expire after ttlMs; false when the key does not exist. */
  async expire(key: BytesLike, ttlMs: number): Promise<boolean> {
    return this.run(expireCall(key, ttlMs));
  }

  /** Removes the key's TTL; false when the key does not exist or had none. */
  async persist(key: BytesLike): Promise<boolean> {
    return this.run(expireCall(key));
  }

  /**
   * One page of keys, in each shard's hash order, shard by shard. Every key
   * present for the whole scan appears at least once (rarely twice); a key
   * written during a scan may or may not appear. A page may be short or
   * empty before the end: only a null cursor means done.
   */
  async scan(options: ScanOptions = {}): Promise<ScanPage> {
    const req: Request = {
      op: 'scan',
      prefix: options.prefix === undefined ? EMPTY : toBytes(options.prefix, 'prefix'),
      cursor: cursorFromText(options.cursor),
      limit: options.limit ?? SCAN_LIMIT_DEFAULT,
    };
    if (options.withValues) req.withValues = true;
    const reply = await this.connection.call(req);
    const items = need(reply.scanItems, 'scanItems', 'scan').map((item) => {
      const out: ScanItem = { key: item.key, version: item.version };
      if (item.value !== undefined) out.value = item.value;
      return out;
    });
    return { items, cursor: cursorToText(reply.cursor ?? EMPTY) };
  }

  /** Every key with the prefix, page by page. */
  async *scanAll(prefix: BytesLike = EMPTY, options: Omit<ScanOptions, 'prefix' | 'cursor'> = {}): AsyncGenerator<ScanItem, void, undefined> {
    let cursor: string | null = null;
    do {
      const page: ScanPage = await this.scan({ ...options, prefix, cursor });
      yield* page.items;
      cursor = page.cursor;
    } while (cursor !== null);
  }

  /** Entries in the order of `keys`; null for absent keys. Not atomic across shards. */
  async mget(keys: readonly BytesLike[]): Promise<(Entry | null)[]> {
    if (keys.length === 0) return [];
    const reply = await this.connection.call({ op: 'mget', keys: keys.map((key, i) => toBytes(key, `keys[${i}]`)) });
    const items = need(reply.items, 'items', 'mget');
    if (items.length !== keys.length) throw new ProtocolError(`mget asked for ${keys.length} keys and got ${items.length} items`);
    return items.map((item) => (item.found ? { value: item.value ?? EMPTY, version: need(item.version, 'version', 'mget') } : null));
  }

  /**
   * Writes every entry (pairs, a Map, or an object of string keys). Atomic
   * per shard, not across shards. With ifNoneExist nothing is written when
   * any key exists, and the result is false.
   */
  async mset(entries: MSetEntries, options: { ifNoneExist?: boolean } = {}): Promise<boolean> {
    const pairs: Iterable<readonly [BytesLike, BytesLike]> = isIterable(entries) ? entries : Object.entries(entries);
    const list: { key: Uint8Array; value: Uint8Array }[] = [];
    for (const [key, value] of pairs) list.push({ key: toBytes(key, 'key'), value: toBytes(value, 'value') });
    if (list.length === 0) return true;
    const reply = await this.connection.call(options.ifNoneExist ? { op: 'mset', entries: list, ifNoneExist: true } : { op: 'mset', entries: list });
    return reply.found ?? true;
  }

  /**
   * Runs the calls `build` makes on its Transaction as one atomic unit: one
   * `tx` request, applied by the one shard group owning every key at one
   * point of its log (keys of several groups reject with CROSS_SLOT; use a
   * hash tag `{...}`). Nothing else interleaves. When a key given to
   * tx.watch() has another version by then, nothing is applied and the
   * outcome is `{ committed: false }`; else `{ committed: true, result }`,
   * `result` being what build returned, whose TxResults now hold each
   * call's value (or its own error: one call's error, such as incr on text,
   * does not stop the others). Sent as JSON whatever the client's format.
   */
  async transaction<R>(build: (tx: Transaction<B>) => R): Promise<TransactionOutcome<R>> {
    const tx = new Transaction<B>(this.bytesOut);
    const result = build(tx);
    const reply = await this.connection.call(tx.request());
    if (reply.found === false) return { committed: false };
    tx.settle(need(reply.replies, 'replies', 'tx'), errorFromReply);
    return { committed: true, result };
  }

  // --- data commands (docs/protocol.md, "Data commands") ---

  /**
   * Any data command: its Redis name (case-insensitive) and Redis's
   * arguments after it (numbers are sent as decimal text). The reply as
   * plain JavaScript: null, bigint (integers), number (doubles), string
   * (status lines), bytes as the client gives them, arrays, Maps.
   */
  async call(name: string, ...args: CallArg[]): Promise<DataReply<B>> {
    return this.run(anyCall(this.bytesOut, name, args));
  }

  /** HSET: sets the fields (pairs, a Map or an object); the number that were new. */
  hset(key: BytesLike, fieldValues: MSetEntries): Promise<number> { return this.run(this.data.hset(key, fieldValues)); }
  hget(key: BytesLike, field: BytesLike): Promise<B | null> { return this.run(this.data.hget(key, field)); }
  /** HGETALL: field (as text) -> value. */
  hgetall(key: BytesLike): Promise<Map<string, B>> { return this.run(this.data.hgetall(key)); }
  /** LPUSH: the list's length after. */
  lpush(key: BytesLike, ...values: BytesLike[]): Promise<number> { return this.run(this.data.lpush(key, values)); }
  rpush(key: BytesLike, ...values: BytesLike[]): Promise<number> { return this.run(this.data.rpush(key, values)); }
  /** LRANGE, start and stop inclusive (negative: from the end). */
  lrange(key: BytesLike, start: number, stop: number): Promise<B[]> { return this.run(this.data.lrange(key, start, stop)); }
  lpop(key: BytesLike): Promise<B | null> { return this.run(this.data.lpop(key)); }
  /** SADD: the number of members that were new. */
  sadd(key: BytesLike, ...members: BytesLike[]): Promise<number> { return this.run(this.data.sadd(key, members)); }
  smembers(key: BytesLike): Promise<B[]> { return this.run(this.data.smembers(key)); }
  sismember(key: BytesLike, member: BytesLike): Promise<boolean> { return this.run(this.data.sismember(key, member)); }
  /** ZADD of [score, member] pairs: the number of members that were new. */
  zadd(key: BytesLike, scoreMembers: readonly (readonly [number, BytesLike])[]): Promise<number> { return this.run(this.data.zadd(key, scoreMembers)); }
  zrange(key: BytesLike, start: number, stop: number): Promise<B[]> { return this.run(this.data.zrange(key, start, stop)); }
  zscore(key: BytesLike, member: BytesLike): Promise<number | null> { return this.run(this.data.zscore(key, member)); }
  /** SORT: the elements sorted (numbers, or bytes with `alpha`), or with `get` what its patterns name. */
  sort(key: BytesLike, options?: SortOptions): Promise<(B | null)[]> { return this.run(this.data.sort(key, options)); }
  /** SORT ... STORE: `destination` becomes the sorted list; its length. */
  sortStore(key: BytesLike, destination: BytesLike, options?: SortOptions): Promise<number> { return this.run(this.data.sortStore(key, destination, options)); }

  /** Number of live keys on the node. */
  async count(): Promise<number> {
    const reply = await this.connection.call({ op: 'count' });
    return Number(need(reply.integer, 'integer', 'count'));
  }

  /** Removes every key on the node. */
  async flush(): Promise<void> {
    await this.connection.call({ op: 'flush' });
  }

  /**
   * The changes of every key starting with `prefix` (or of the one key, with
   * `exactKey`), from now or after `options.after`, on a socket of their own;
   * reconnects resume where they left off. See client/watch.ts.
   */
  watch(prefix: BytesLike, options: WatchOptions = {}): AsyncIterable<WatchChange> {
    if (this.openWatchSocket === null) throw new PiccoloError('BAD_REQUEST', 'this client was not made by connect(): it cannot open a watch');
    return watchChanges(this.openWatchSocket, prefix, { ...options, format: options.format ?? this.format });
  }

  /** Lets pending calls finish, then closes the connection. Further calls reject with ConnectionClosedError. */
  close(): Promise<void> {
    return this.connection.close();
  }
}

/** The ttl reply's markers (Redis PTTL's). */
const TTL_NO_KEY = -2n;
const TTL_NO_EXPIRY = -1n;


function isIterable(value: unknown): value is Iterable<readonly [BytesLike, BytesLike]> {
  return typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function';
}
