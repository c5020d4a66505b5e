// What COMMAND, COMMAND INFO / COUNT / LIST / DOCS report: for each command
// translate() knows, the arity, flags, key positions and ACL categories of
// Redis 7's command table (so client libraries that read them, such as
// cluster-aware clients finding keys, see what they expect), plus a one-line
// summary for redis-cli's help, and Redis 7 key specifications. CAS and
// GETVER are Piccolo's own.
// test/resp-e2e/command-table.test.ts checks that this table names exactly
// the commands translate() knows, with the arities it enforces.

import type { RespValue } from '../../core/resp/reply-encoder.js';
import { PUBSUB_COMMAND_INFO } from './resp-pubsub-command-table.js';

export interface CommandInfo {
  /** Redis's arity: n > 0 exactly n arguments counting the name; n < 0 at least -n. */
  arity: number;
  flags: readonly string[];
  /** First key, last key (negative: from the end), step between keys; 0 0 0 for no keys. */
  keys: readonly [number, number, number];
  /** Keys follow a count argument (EVAL's numkeys, at position 2): a keynum key spec instead of a range. */
  keynum?: true;
  /** Key spec flags when the default for the command's flags (readonly: RO ACCESS; write: RW ACCESS UPDATE) is wrong. */
  keyFlags?: readonly string[];
  categories: readonly string[];
  group: string;
  since: string;
  summary: string;
}

export const COMMAND_TABLE: Readonly<Record<string, CommandInfo>> = {
  ping: { arity: -1, flags: ['fast'], keys: [0, 0, 0], categories: ['@fast', '@connection'], group: 'connection', since: '1.0.0', summary: "Ping the server" },
  echo: { arity: 2, flags: ['loading', 'stale', 'fast'], keys: [0, 0, 0], categories: ['@fast', '@connection'], group: 'connection', since: '1.0.0', summary: "Echo the given string" },
  select: { arity: 2, flags: ['loading', 'stale', 'fast'], keys: [0, 0, 0], categories: ['@fast', '@connection'], group: 'connection', since: '1.0.0', summary: "Change the selected database for the current connection" },
  get: { arity: 2, flags: ['readonly', 'fast'], keys: [1, 1, 1], categories: ['@read', '@string', '@fast'], group: 'string', since: '1.0.0', summary: "Get the value of a key" },
  set: { arity: -3, flags: ['write', 'denyoom'], keys: [1, 1, 1], keyFlags: ['RW', 'ACCESS', 'UPDATE', 'VARIABLE_FLAGS'], categories: ['@write', '@string', '@slow'], group: 'string', since: '1.0.0', summary: "Set the string value of a key" },
  setnx: { arity: 3, flags: ['write', 'denyoom', 'fast'], keys: [1, 1, 1], keyFlags: ['OW', 'INSERT'], categories: ['@write', '@string', '@fast'], group: 'string', since: '1.0.0', summary: "Set the value of a key, only if the key does not exist" },
  setex: { arity: 4, flags: ['write', 'denyoom'], keys: [1, 1, 1], keyFlags: ['OW', 'UPDATE'], categories: ['@write', '@string', '@slow'], group: 'string', since: '2.0.0', summary: "Set the value and expiration of a key" },
  psetex: { arity: 4, flags: ['write', 'denyoom'], keys: [1, 1, 1], keyFlags: ['OW', 'UPDATE'], categories: ['@write', '@string', '@slow'], group: 'string', since: '2.6.0', summary: "Set the value and expiration in milliseconds of a key" },
  getset: { arity: 3, flags: ['write', 'denyoom', 'fast'], keys: [1, 1, 1], categories: ['@write', '@string', '@fast'], group: 'string', since: '1.0.0', summary: "Set the string value of a key and return its old value" },
  getdel: { arity: 2, flags: ['write', 'fast'], keys: [1, 1, 1], keyFlags: ['RW', 'ACCESS', 'DELETE'], categories: ['@write', '@string', '@fast'], group: 'string', since: '6.2.0', summary: "Get the value of a key and delete the key" },
  getex: { arity: -2, flags: ['write', 'fast'], keys: [1, 1, 1], categories: ['@write', '@string', '@fast'], group: 'string', since: '6.2.0', summary: "Get the value of a key and optionally set its expiration" },
  incr: { arity: 2, flags: ['write', 'denyoom', 'fast'], keys: [1, 1, 1], categories: ['@write', '@string', '@fast'], group: 'string', since: '1.0.0', summary: "Increment the integer value of a key by one" },
  decr: { arity: 2, flags: ['write', 'denyoom', 'fast'], keys: [1, 1, 1], categories: ['@write', '@string', '@fast'], group: 'string', since: '1.0.0', summary: "Decrement the integer value of a key by one" },
  incrby: { arity: 3, flags: ['write', 'denyoom', 'fast'], keys: [1, 1, 1], categories: ['@write', '@string', '@fast'], group: 'string', since: '1.0.0', summary: "Increment the integer value of a key by the given amount" },
  decrby: { arity: 3, flags: ['write', 'denyoom', 'fast'], keys: [1, 1, 1], categories: ['@write', '@string', '@fast'], group: 'string', since: '1.0.0', summary: "Decrement the integer value of a key by the given number" },
  incrbyfloat: { arity: 3, flags: ['write', 'denyoom', 'fast'], keys: [1, 1, 1], categories: ['@write', '@string', '@fast'], group: 'string', since: '2.6.0', summary: "Increment the float value of a key by the given amount" },
  append: { arity: 3, flags: ['write', 'denyoom', 'fast'], keys: [1, 1, 1], keyFlags: ['RW', 'INSERT'], categories: ['@write', '@string', '@fast'], group: 'string', since: '2.0.0', summary: "Append a value to a key" },
  strlen: { arity: 2, flags: ['readonly', 'fast'], keys: [1, 1, 1], keyFlags: ['RO'], categories: ['@read', '@string', '@fast'], group: 'string', since: '2.2.0', summary: "Get the length of the value stored in a key" },
  getrange: { arity: 4, flags: ['readonly'], keys: [1, 1, 1], categories: ['@read', '@string', '@slow'], group: 'string', since: '2.4.0', summary: "Get a substring of the string stored at a key" },
  setrange: { arity: 4, flags: ['write', 'denyoom'], keys: [1, 1, 1], categories: ['@write', '@string', '@slow'], group: 'string', since: '2.2.0', summary: "Overwrite part of a string at key starting at the specified offset" },
  cas: { arity: 4, flags: ['write', 'denyoom', 'fast'], keys: [1, 1, 1], keyFlags: ['RW', 'ACCESS', 'UPDATE'], categories: ['@write', '@string', '@fast'], group: 'string', since: '0.1.0', summary: "Piccolo: set the value of a key only if its version is the given one (0: only if absent); returns the new version" },
  getver: { arity: 2, flags: ['readonly', 'fast'], keys: [1, 1, 1], categories: ['@read', '@string', '@fast'], group: 'string', since: '0.1.0', summary: "Piccolo: get the value of a key and its version" },
  expire: { arity: -3, flags: ['write', 'fast'], keys: [1, 1, 1], keyFlags: ['RW', 'UPDATE'], categories: ['@keyspace', '@write', '@fast'], group: 'generic', since: '1.0.0', summary: "Set a key's time to live in seconds" },
  pexpire: { arity: -3, flags: ['write', 'fast'], keys: [1, 1, 1], keyFlags: ['RW', 'UPDATE'], categories: ['@keyspace', '@write', '@fast'], group: 'generic', since: '2.6.0', summary: "Set a key's time to live in milliseconds" },
  expireat: { arity: -3, flags: ['write', 'fast'], keys: [1, 1, 1], keyFlags: ['RW', 'UPDATE'], categories: ['@keyspace', '@write', '@fast'], group: 'generic', since: '1.2.0', summary: "Set the expiration for a key as a UNIX timestamp" },
  pexpireat: { arity: -3, flags: ['write', 'fast'], keys: [1, 1, 1], keyFlags: ['RW', 'UPDATE'], categories: ['@keyspace', '@write', '@fast'], group: 'generic', since: '2.6.0', summary: "Set the expiration for a key as a UNIX timestamp specified in milliseconds" },
  ttl: { arity: 2, flags: ['readonly', 'fast'], keys: [1, 1, 1], keyFlags: ['RO', 'ACCESS'], categories: ['@keyspace', '@read', '@fast'], group: 'generic', since: '1.0.0', summary: "Get the time to live for a key in seconds" },
  pttl: { arity: 2, flags: ['readonly', 'fast'], keys: [1, 1, 1], keyFlags: ['RO', 'ACCESS'], categories: ['@keyspace', '@read', '@fast'], group: 'generic', since: '2.6.0', summary: "Get the time to live for a key in milliseconds" },
  persist: { arity: 2, flags: ['write', 'fast'], keys: [1, 1, 1], keyFlags: ['RW', 'UPDATE'], categories: ['@keyspace', '@write', '@fast'], group: 'generic', since: '2.2.0', summary: "Remove the expiration from a key" },
  mget: { arity: -2, flags: ['readonly', 'fast'], keys: [1, -1, 1], categories: ['@read', '@string', '@fast'], group: 'string', since: '1.0.0', summary: "Get the values of all the given keys" },
  mset: { arity: -3, flags: ['write', 'denyoom'], keys: [1, -1, 2], keyFlags: ['OW', 'UPDATE'], categories: ['@write', '@string', '@slow'], group: 'string', since: '1.0.1', summary: "Set multiple keys to multiple values" },
  msetnx: { arity: -3, flags: ['write', 'denyoom'], keys: [1, -1, 2], keyFlags: ['OW', 'INSERT'], categories: ['@write', '@string', '@slow'], group: 'string', since: '1.0.1', summary: "Set multiple keys to multiple values, only if none of the keys exist" },
  del: { arity: -2, flags: ['write'], keys: [1, -1, 1], keyFlags: ['RM', 'DELETE'], categories: ['@keyspace', '@write', '@slow'], group: 'generic', since: '1.0.0', summary: "Delete a key" },
  unlink: { arity: -2, flags: ['write', 'fast'], keys: [1, -1, 1], keyFlags: ['RM', 'DELETE'], categories: ['@keyspace', '@write', '@fast'], group: 'generic', since: '4.0.0', summary: "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking." },
  exists: { arity: -2, flags: ['readonly', 'fast'], keys: [1, -1, 1], keyFlags: ['RO'], categories: ['@keyspace', '@read', '@fast'], group: 'generic', since: '1.0.0', summary: "Determine if a key exists" },
  type: { arity: 2, flags: ['readonly', 'fast'], keys: [1, 1, 1], keyFlags: ['RO'], categories: ['@keyspace', '@read', '@fast'], group: 'generic', since: '1.0.0', summary: "Determine the type stored at key" },
  dbsize: { arity: 1, flags: ['readonly', 'fast'], keys: [0, 0, 0], categories: ['@keyspace', '@read', '@fast'], group: 'server', since: '1.0.0', summary: "Return the number of keys in the selected database" },
  flushdb: { arity: -1, flags: ['write'], keys: [0, 0, 0], categories: ['@keyspace', '@write', '@slow', '@dangerous'], group: 'server', since: '1.0.0', summary: "Remove all keys from the current database" },
  flushall: { arity: -1, flags: ['write'], keys: [0, 0, 0], categories: ['@keyspace', '@write', '@slow', '@dangerous'], group: 'server', since: '1.0.0', summary: "Remove all keys from all databases" },
  hello: { arity: -1, flags: ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'], keys: [0, 0, 0], categories: ['@fast', '@connection'], group: 'connection', since: '6.0.0', summary: "Handshake with Redis" },
  auth: { arity: -2, flags: ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'], keys: [0, 0, 0], categories: ['@fast', '@connection'], group: 'connection', since: '1.0.0', summary: "Authenticate to the server" },
  quit: { arity: -1, flags: ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'], keys: [0, 0, 0], categories: ['@fast', '@connection'], group: 'connection', since: '1.0.0', summary: "Close the connection" },
  client: { arity: -2, flags: [], keys: [0, 0, 0], categories: ['@slow'], group: 'connection', since: '2.4.0', summary: "A container for client connection commands" },
  command: { arity: -1, flags: ['loading', 'stale'], keys: [0, 0, 0], categories: ['@slow', '@connection'], group: 'server', since: '2.8.13', summary: "Get array of Redis command details" },
  config: { arity: -2, flags: [], keys: [0, 0, 0], categories: ['@slow'], group: 'server', since: '2.0.0', summary: "A container for server configuration commands" },
  info: { arity: -1, flags: ['loading', 'stale'], keys: [0, 0, 0], categories: ['@slow', '@dangerous'], group: 'server', since: '1.0.0', summary: "Get information and statistics about the server" },
  keys: { arity: 2, flags: ['readonly'], keys: [0, 0, 0], categories: ['@keyspace', '@read', '@slow', '@dangerous'], group: 'generic', since: '1.0.0', summary: "Find all keys matching the given pattern" },
  scan: { arity: -2, flags: ['readonly'], keys: [0, 0, 0], categories: ['@keyspace', '@read', '@slow'], group: 'generic', since: '2.8.0', summary: "Incrementally iterate the keys space" },
  randomkey: { arity: 1, flags: ['readonly'], keys: [0, 0, 0], categories: ['@keyspace', '@read', '@slow'], group: 'generic', since: '1.0.0', summary: "Return a random key from the keyspace" },
  rename: { arity: 3, flags: ['write'], keys: [1, 2, 1], keyFlags: ['RW', 'ACCESS', 'DELETE', 'OW', 'UPDATE'], categories: ['@keyspace', '@write', '@slow'], group: 'generic', since: '1.0.0', summary: "Rename a key" },
  // Scripting: answered as a server without scripts; the key specs say where the keys would be (after numkeys).
  eval: { arity: -3, flags: ['noscript', 'stale', 'skip_monitor', 'may_replicate', 'no_mandatory_keys'], keys: [0, 0, 0], keynum: true, categories: ['@slow', '@scripting'], group: 'scripting', since: '2.6.0', summary: "Execute a Lua script server side" },
  evalsha: { arity: -3, flags: ['noscript', 'stale', 'skip_monitor', 'may_replicate', 'no_mandatory_keys'], keys: [0, 0, 0], keynum: true, categories: ['@slow', '@scripting'], group: 'scripting', since: '2.6.0', summary: "Execute a Lua script server side" },
  eval_ro: { arity: -3, flags: ['noscript', 'stale', 'skip_monitor', 'no_mandatory_keys', 'readonly'], keys: [0, 0, 0], keynum: true, categories: ['@slow', '@scripting'], group: 'scripting', since: '7.0.0', summary: "Execute a read-only Lua script server side" },
  evalsha_ro: { arity: -3, flags: ['noscript', 'stale', 'skip_monitor', 'no_mandatory_keys', 'readonly'], keys: [0, 0, 0], keynum: true, categories: ['@slow', '@scripting'], group: 'scripting', since: '7.0.0', summary: "Execute a read-only Lua script server side" },
  fcall: { arity: -3, flags: ['noscript', 'stale', 'skip_monitor', 'may_replicate', 'no_mandatory_keys'], keys: [0, 0, 0], keynum: true, categories: ['@slow', '@scripting'], group: 'scripting', since: '7.0.0', summary: "Invoke a function" },
  fcall_ro: { arity: -3, flags: ['noscript', 'stale', 'skip_monitor', 'no_mandatory_keys', 'readonly'], keys: [0, 0, 0], keynum: true, categories: ['@slow', '@scripting'], group: 'scripting', since: '7.0.0', summary: "Invoke a read-only function" },
  script: { arity: -2, flags: [], keys: [0, 0, 0], categories: ['@slow'], group: 'scripting', since: '2.6.0', summary: "A container for Lua scripts management commands" },
  function: { arity: -2, flags: [], keys: [0, 0, 0], categories: ['@slow'], group: 'scripting', since: '7.0.0', summary: "A container for function commands" },
  // Redis Cluster (resp-cluster-commands.ts).
  cluster: { arity: -2, flags: [], keys: [0, 0, 0], categories: ['@slow'], group: 'cluster', since: '3.0.0', summary: "A container for Redis Cluster commands" },
  readonly: { arity: 1, flags: ['loading', 'stale', 'fast'], keys: [0, 0, 0], categories: ['@fast', '@connection'], group: 'cluster', since: '3.0.0', summary: "Enables read queries for a connection to a Redis Cluster replica node" },
  readwrite: { arity: 1, flags: ['loading', 'stale', 'fast'], keys: [0, 0, 0], categories: ['@fast', '@connection'], group: 'cluster', since: '3.0.0', summary: "Disables read queries for a connection to a Redis Cluster replica node" },
  // Transactions (core/resp/transaction.ts).
  multi: { arity: 1, flags: ['noscript', 'loading', 'stale', 'fast', 'allow_busy'], keys: [0, 0, 0], categories: ['@fast', '@transaction'], group: 'transactions', since: '1.2.0', summary: "Start a transaction block" },
  exec: { arity: 1, flags: ['noscript', 'loading', 'stale', 'skip_slowlog'], keys: [0, 0, 0], categories: ['@slow', '@transaction'], group: 'transactions', since: '1.2.0', summary: "Execute all commands issued after MULTI" },
  discard: { arity: 1, flags: ['noscript', 'loading', 'stale', 'fast', 'allow_busy'], keys: [0, 0, 0], categories: ['@fast', '@transaction'], group: 'transactions', since: '2.0.0', summary: "Discard all commands issued after MULTI" },
  watch: { arity: -2, flags: ['noscript', 'loading', 'stale', 'fast', 'allow_busy'], keys: [1, -1, 1], keyFlags: ['RO'], categories: ['@fast', '@transaction'], group: 'transactions', since: '2.2.0', summary: "Watch the given keys to determine execution of the MULTI/EXEC block" },
  unwatch: { arity: 1, flags: ['noscript', 'loading', 'stale', 'fast', 'allow_busy'], keys: [0, 0, 0], categories: ['@fast', '@transaction'], group: 'transactions', since: '2.2.0', summary: "Forget about all watched keys" },
  asking: { arity: 1, flags: ['fast'], keys: [0, 0, 0], categories: ['@fast', '@connection'], group: 'cluster', since: '3.0.0', summary: "Signals that a cluster client is following an -ASK redirect" },
  // ---- Hashes (core/types/hash/) ----
  hset: { arity: -4, flags: ['write', 'denyoom', 'fast'], keys: [1, 1, 1], keyFlags: ['RW', 'UPDATE'], categories: ['@write', '@hash', '@fast'], group: 'hash', since: '2.0.0', summary: "Set the string value of a hash field" },
  hsetnx: { arity: 4, flags: ['write', 'denyoom', 'fast'], keys: [1, 1, 1], keyFlags: ['RW', 'INSERT'], categories: ['@write', '@hash', '@fast'], group: 'hash', since: '2.0.0', summary: "Set the value of a hash field, only if the field does not exist" },
  hget: { arity: 3, flags: ['readonly', 'fast'], keys: [1, 1, 1], categories: ['@read', '@hash', '@fast'], group: 'hash', since: '2.0.0', summary: "Get the value of a hash field" },
  hmget: { arity: -3, flags: ['readonly', 'fast'], keys: [1, 1, 1], categories: ['@read', '@hash', '@fast'], group: 'hash', since: '2.0.0', summary: "Get the values of all the given hash fields" },
  hmset: { arity: -4, flags: ['write', 'denyoom', 'fast'], keys: [1, 1, 1], keyFlags: ['RW', 'UPDATE'], categories: ['@write', '@hash', '@fast'], group: 'hash', since: '2.0.0', summary: "Set multiple hash fields to multiple values" },
  hdel: { arity: -3, flags: ['write', 'fast'], keys: [1, 1, 1], keyFlags: ['RW', 'DELETE'], categories: ['@write', '@hash', '@fast'], group: 'hash', since: '2.0.0', summary: "Delete one or more hash fields" },
  hlen: { arity: 2, flags: ['readonly', 'fast'], keys: [1, 1, 1], keyFlags: ['RO'], categories: ['@read', '@hash', '@fast'], group: 'hash', since: '2.0.0', summary: "Get the number of fields in a hash" },
  hstrlen: { arity: 3, flags: ['readonly', 'fast'], keys: [1, 1, 1], keyFlags: ['RO'], categories: ['@read', '@hash', '@fast'], group: 'hash', since: '3.2.0', summary: "Get the length of the value of a hash field" },
  hexists: { arity: 3, flags: ['readonly', 'fast'], keys: [1, 1, 1], keyFlags: ['RO'], categories: ['@read', '@hash', '@fast'], group: 'hash', since: '2.0.0', summary: "Determine if a hash field exists" },
  hkeys: { arity: 2, flags: ['readonly'], keys: [1, 1, 1], categories: ['@read', '@hash', '@slow'], group: 'hash', since: '2.0.0', summary: "Get all the fields in a hash" },
  hvals: { arity: 2, flags: ['readonly'], keys: [1, 1, 1], categories: ['@read', '@hash', '@slow'], group: 'hash', since: '2.0.0', summary: "Get all the values in a hash" },
  hgetall: { arity: 2, flags: ['readonly'], keys: [1, 1, 1], categories: ['@read', '@hash', '@slow'], group: 'hash', since: '2.0.0', summary: "Get all the fields and values in a hash" },
  hincrby: { arity: 4, flags: ['write', 'denyoom', 'fast'], keys: [1, 1, 1], categories: ['@write', '@hash', '@fast'], group: 'hash', since: '2.0.0', summary: "Increment the integer value of a hash field by the given number" },
  hincrbyfloat: { arity: 4, flags: ['write', 'denyoom', 'fast'], keys: [1, 1, 1], categories: ['@write', '@hash', '@fast'], group: 'hash', since: '2.6.0', summary: "Increment the float value of a hash field by the given amount" },
  hrandfield: { arity: -2, flags: ['readonly'], keys: [1, 1, 1], categories: ['@read', '@hash', '@slow'], group: 'hash', since: '6.2.0', summary: "Get one or multiple random fields from a hash" },
  hscan: { arity: -3, flags: ['readonly'], keys: [1, 1, 1], categories: ['@read', '@hash', '@slow'], group: 'hash', since: '2.8.0', summary: "Incrementally iterate hash fields and associated values" },

  // ---- Lists (core/types/list/) ----
  lpush: { arity: -3, flags: ['write', 'denyoom', 'fast'], keys: [1, 1, 1], keyFlags: ['RW', 'INSERT'], categories: ['@write', '@list', '@fast'], group: 'list', since: '1.0.0', summary: "Prepend one or more elements to a list" },
  rpush: { arity: -3, flags: ['write', 'denyoom', 'fast'], keys: [1, 1, 1], keyFlags: ['RW', 'INSERT'], categories: ['@write', '@list', '@fast'], group: 'list', since: '1.0.0', summary: "Append one or more elements to a list" },
  lpushx: { arity: -3, flags: ['write', 'denyoom', 'fast'], keys: [1, 1, 1], keyFlags: ['RW', 'INSERT'], categories: ['@write', '@list', '@fast'], group: 'list', since: '2.2.0', summary: "Prepend one or more elements to a list only when the list exists" },
  rpushx: { arity: -3, flags: ['write', 'denyoom', 'fast'], keys: [1, 1, 1], keyFlags: ['RW', 'INSERT'], categories: ['@write', '@list', '@fast'], group: 'list', since: '2.2.0', summary: "Appends an element to a list only when the list exists" },
  lpop: { arity: -2, flags: ['write', 'fast'], keys: [1, 1, 1], keyFlags: ['RW', 'ACCESS', 'DELETE'], categories: ['@write', '@list', '@fast'], group: 'list', since: '1.0.0', summary: "Returns the first elements in a list after removing it. Deletes the list if the last element was popped" },
  rpop: { arity: -2, flags: ['write', 'fast'], keys: [1, 1, 1], keyFlags: ['RW', 'ACCESS', 'DELETE'], categories: ['@write', '@list', '@fast'], group: 'list', since: '1.0.0', summary: "Returns and removes the last elements of a list. Deletes the list if the last element was popped" },
  llen: { arity: 2, flags: ['readonly', 'fast'], keys: [1, 1, 1], keyFlags: ['RO'], categories: ['@read', '@list', '@fast'], group: 'list', since: '1.0.0', summary: "Returns the length of a list" },
  lrange: { arity: 4, flags: ['readonly'], keys: [1, 1, 1], categories: ['@read', '@list', '@slow'], group: 'list', since: '1.0.0', summary: "Returns a range of elements from a list" },
  lindex: { arity: 3, flags: ['readonly'], keys: [1, 1, 1], categories: ['@read', '@list', '@slow'], group: 'list', since: '1.0.0', summary: "Returns an element from a list by its index" },
  lset: { arity: 4, flags: ['write', 'denyoom'], keys: [1, 1, 1], keyFlags: ['RW', 'UPDATE'], categories: ['@write', '@list', '@slow'], group: 'list', since: '1.0.0', summary: "Sets the value of an element in a list by its index" },
  linsert: { arity: 5, flags: ['write', 'denyoom'], keys: [1, 1, 1], keyFlags: ['RW', 'INSERT'], categories: ['@write', '@list', '@slow'], group: 'list', since: '2.2.0', summary: "Inserts an element before or after another element in a list" },
  lrem: { arity: 4, flags: ['write'], keys: [1, 1, 1], keyFlags: ['RW', 'DELETE'], categories: ['@write', '@list', '@slow'], group: 'list', since: '1.0.0', summary: "Removes elements from a list. Deletes the list if the last element was removed" },
  ltrim: { arity: 4, flags: ['write'], keys: [1, 1, 1], keyFlags: ['RW', 'DELETE'], categories: ['@write', '@list', '@slow'], group: 'list', since: '1.0.0', summary: "Removes elements from both ends a list. Deletes the list if all elements were trimmed" },
  lpos: { arity: -3, flags: ['readonly'], keys: [1, 1, 1], categories: ['@read', '@list', '@slow'], group: 'list', since: '6.0.6', summary: "Returns the index of matching elements in a list" },
  lmove: { arity: 5, flags: ['write', 'denyoom'], keys: [1, 2, 1], keyFlags: ['RW', 'ACCESS', 'DELETE', 'INSERT'], categories: ['@write', '@list', '@slow'], group: 'list', since: '6.2.0', summary: "Returns an element after popping it from one list and pushing it to another. Deletes the list if the last element was moved" },
  rpoplpush: { arity: 3, flags: ['write', 'denyoom'], keys: [1, 2, 1], keyFlags: ['RW', 'ACCESS', 'DELETE', 'INSERT'], categories: ['@write', '@list', '@slow'], group: 'list', since: '1.2.0', summary: "Returns the last element of a list after removing and pushing it to another list. Deletes the list if the last element was popped" },
  // LMPOP's numkeys is its first argument, where this table's keynum spec (EVAL's) cannot say; Redis reports 0 0 0 and movablekeys too.
  lmpop: { arity: -4, flags: ['write', 'movablekeys'], keys: [0, 0, 0], categories: ['@write', '@list', '@slow'], group: 'list', since: '7.0.0', summary: "Returns multiple elements from a list after removing them. Deletes the list if the last element was popped" },
  blpop: { arity: -3, flags: ['write', 'blocking'], keys: [1, -2, 1], keyFlags: ['RW', 'ACCESS', 'DELETE'], categories: ['@write', '@list', '@slow', '@blocking'], group: 'list', since: '2.0.0', summary: "Removes and returns the first element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped" },
  brpop: { arity: -3, flags: ['write', 'blocking'], keys: [1, -2, 1], keyFlags: ['RW', 'ACCESS', 'DELETE'], categories: ['@write', '@list', '@slow', '@blocking'], group: 'list', since: '2.0.0', summary: "Removes and returns the last element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped" },
  blmove: { arity: 6, flags: ['write', 'denyoom', 'blocking'], keys: [1, 2, 1], keyFlags: ['RW', 'ACCESS', 'DELETE', 'INSERT'], categories: ['@write', '@list', '@slow', '@blocking'], group: 'list', since: '6.2.0', summary: "Pops an element from a list, pushes it to another list and returns it. Blocks until an element is available otherwise. Deletes the list if the last element was moved" },
  brpoplpush: { arity: 4, flags: ['write', 'denyoom', 'blocking'], keys: [1, 2, 1], keyFlags: ['RW', 'ACCESS', 'DELETE', 'INSERT'], categories: ['@write', '@list', '@slow', '@blocking'], group: 'list', since: '2.2.0', summary: "Pops an element from a list, pushes it to another list and returns it. Block until an element is available otherwise. Deletes the list if the last element was popped" },
  // BLMPOP's numkeys is at argument 2, as EVAL's: the keynum spec fits.
  blmpop: { arity: -5, flags: ['write', 'blocking', 'movablekeys'], keys: [0, 0, 0], keynum: true, keyFlags: ['RW', 'ACCESS', 'DELETE'], categories: ['@write', '@list', '@slow', '@blocking'], group: 'list', since: '7.0.0', summary: "Pops the first element from one of multiple lists. Blocks until an element is available otherwise. Deletes the list if the last element was popped" },

  // ---- Sets (core/types/set/) ----
  sadd: { arity: -3, flags: ['write', 'denyoom', 'fast'], keys: [1, 1, 1], keyFlags: ['RW', 'INSERT'], categories: ['@write', '@set', '@fast'], group: 'set', since: '1.0.0', summary: "Add one or more members to a set" },
  srem: { arity: -3, flags: ['write', 'fast'], keys: [1, 1, 1], keyFlags: ['RW', 'DELETE'], categories: ['@write', '@set', '@fast'], group: 'set', since: '1.0.0', summary: "Remove one or more members from a set" },
  scard: { arity: 2, flags: ['readonly', 'fast'], keys: [1, 1, 1], keyFlags: ['RO'], categories: ['@read', '@set', '@fast'], group: 'set', since: '1.0.0', summary: "Get the number of members in a set" },
  sismember: { arity: 3, flags: ['readonly', 'fast'], keys: [1, 1, 1], keyFlags: ['RO'], categories: ['@read', '@set', '@fast'], group: 'set', since: '1.0.0', summary: "Determine if a given value is a member of a set" },
  smismember: { arity: -3, flags: ['readonly', 'fast'], keys: [1, 1, 1], categories: ['@read', '@set', '@fast'], group: 'set', since: '6.2.0', summary: "Returns the membership associated with the given elements for a set" },
  smembers: { arity: 2, flags: ['readonly'], keys: [1, 1, 1], categories: ['@read', '@set', '@slow'], group: 'set', since: '1.0.0', summary: "Get all the members in a set" },
  srandmember: { arity: -2, flags: ['readonly'], keys: [1, 1, 1], categories: ['@read', '@set', '@slow'], group: 'set', since: '1.0.0', summary: "Get one or multiple random members from a set" },
  spop: { arity: -2, flags: ['write', 'fast'], keys: [1, 1, 1], keyFlags: ['RW', 'ACCESS', 'DELETE'], categories: ['@write', '@set', '@fast'], group: 'set', since: '1.0.0', summary: "Remove and return one or multiple random members from a set" },
  smove: { arity: 4, flags: ['write', 'fast'], keys: [1, 2, 1], keyFlags: ['RW', 'ACCESS', 'DELETE', 'INSERT'], categories: ['@write', '@set', '@fast'], group: 'set', since: '1.0.0', summary: "Move a member from one set to another" },
  sinter: { arity: -2, flags: ['readonly'], keys: [1, -1, 1], categories: ['@read', '@set', '@slow'], group: 'set', since: '1.0.0', summary: "Intersect multiple sets" },
  sinterstore: { arity: -3, flags: ['write', 'denyoom'], keys: [1, -1, 1], categories: ['@write', '@set', '@slow'], group: 'set', since: '1.0.0', summary: "Intersect multiple sets and store the resulting set in a key" },
  sunion: { arity: -2, flags: ['readonly'], keys: [1, -1, 1], categories: ['@read', '@set', '@slow'], group: 'set', since: '1.0.0', summary: "Add multiple sets" },
  sunionstore: { arity: -3, flags: ['write', 'denyoom'], keys: [1, -1, 1], categories: ['@write', '@set', '@slow'], group: 'set', since: '1.0.0', summary: "Add multiple sets and store the resulting set in a key" },
  sdiff: { arity: -2, flags: ['readonly'], keys: [1, -1, 1], categories: ['@read', '@set', '@slow'], group: 'set', since: '1.0.0', summary: "Subtract multiple sets" },
  sdiffstore: { arity: -3, flags: ['write', 'denyoom'], keys: [1, -1, 1], categories: ['@write', '@set', '@slow'], group: 'set', since: '1.0.0', summary: "Subtract multiple sets and store the resulting set in a key" },
  sintercard: { arity: -3, flags: ['readonly', 'movablekeys'], keys: [0, 0, 0], keynum: true, categories: ['@read', '@set', '@slow'], group: 'set', since: '7.0.0', summary: "Intersect multiple sets and return the cardinality of the result" },
  sscan: { arity: -3, flags: ['readonly'], keys: [1, 1, 1], categories: ['@read', '@set', '@slow'], group: 'set', since: '2.8.0', summary: "Incrementally iterate Set elements" },

  // ---- Sorted sets (core/types/zset/) ----
  bzpopmin: { arity: -3, flags: ['write', 'blocking', 'fast'], keys: [1, -2, 1], keyFlags: ['RW', 'ACCESS', 'DELETE'], categories: ['@write', '@sortedset', '@fast', '@blocking'], group: 'sorted-set', since: '5.0.0', summary: "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available" },
  bzpopmax: { arity: -3, flags: ['write', 'blocking', 'fast'], keys: [1, -2, 1], keyFlags: ['RW', 'ACCESS', 'DELETE'], categories: ['@write', '@sortedset', '@fast', '@blocking'], group: 'sorted-set', since: '5.0.0', summary: "Remove and return the member with the highest score from one or more sorted sets, or block until one is available" },
  bzmpop: { arity: -5, flags: ['write', 'blocking', 'movablekeys'], keys: [0, 0, 0], keynum: true, keyFlags: ['RW', 'ACCESS', 'DELETE'], categories: ['@write', '@sortedset', '@slow', '@blocking'], group: 'sorted-set', since: '7.0.0', summary: "Remove and return members with scores in a sorted set or block until one is available" },
  zadd: { arity: -4, flags: ['write', 'denyoom', 'fast'], keys: [1, 1, 1], keyFlags: ['RW', 'UPDATE'], categories: ['@write', '@sortedset', '@fast'], group: 'sorted-set', since: '1.2.0', summary: "Add one or more members to a sorted set, or update its score if it already exists" },
  zincrby: { arity: 4, flags: ['write', 'denyoom', 'fast'], keys: [1, 1, 1], keyFlags: ['RW', 'ACCESS', 'UPDATE'], categories: ['@write', '@sortedset', '@fast'], group: 'sorted-set', since: '1.2.0', summary: "Increment the score of a member in a sorted set" },
  zrem: { arity: -3, flags: ['write', 'fast'], keys: [1, 1, 1], keyFlags: ['RW', 'DELETE'], categories: ['@write', '@sortedset', '@fast'], group: 'sorted-set', since: '1.2.0', summary: "Remove one or more members from a sorted set" },
  zcard: { arity: 2, flags: ['readonly', 'fast'], keys: [1, 1, 1], keyFlags: ['RO'], categories: ['@read', '@sortedset', '@fast'], group: 'sorted-set', since: '1.2.0', summary: "Get the number of members in a sorted set" },
  zscore: { arity: 3, flags: ['readonly', 'fast'], keys: [1, 1, 1], keyFlags: ['RO', 'ACCESS'], categories: ['@read', '@sortedset', '@fast'], group: 'sorted-set', since: '1.2.0', summary: "Get the score associated with the given member in a sorted set" },
  zmscore: { arity: -3, flags: ['readonly', 'fast'], keys: [1, 1, 1], keyFlags: ['RO', 'ACCESS'], categories: ['@read', '@sortedset', '@fast'], group: 'sorted-set', since: '6.2.0', summary: "Get the score associated with the given members in a sorted set" },
  zrank: { arity: -3, flags: ['readonly', 'fast'], keys: [1, 1, 1], keyFlags: ['RO', 'ACCESS'], categories: ['@read', '@sortedset', '@fast'], group: 'sorted-set', since: '2.0.0', summary: "Determine the index of a member in a sorted set" },
  zrevrank: { arity: -3, flags: ['readonly', 'fast'], keys: [1, 1, 1], keyFlags: ['RO', 'ACCESS'], categories: ['@read', '@sortedset', '@fast'], group: 'sorted-set', since: '2.0.0', summary: "Determine the index of a member in a sorted set, with scores ordered from high to low" },
  zcount: { arity: 4, flags: ['readonly', 'fast'], keys: [1, 1, 1], keyFlags: ['RO', 'ACCESS'], categories: ['@read', '@sortedset', '@fast'], group: 'sorted-set', since: '2.0.0', summary: "Count the members in a sorted set with scores within the given values" },
  zlexcount: { arity: 4, flags: ['readonly', 'fast'], keys: [1, 1, 1], keyFlags: ['RO', 'ACCESS'], categories: ['@read', '@sortedset', '@fast'], group: 'sorted-set', since: '2.8.9', summary: "Count the number of members in a sorted set between a given lexicographical range" },
  zrange: { arity: -4, flags: ['readonly'], keys: [1, 1, 1], keyFlags: ['RO', 'ACCESS'], categories: ['@read', '@sortedset', '@slow'], group: 'sorted-set', since: '1.2.0', summary: "Return a range of members in a sorted set" },
  zrangestore: { arity: -5, flags: ['write', 'denyoom'], keys: [1, 2, 1], keyFlags: ['OW', 'UPDATE'], categories: ['@write', '@sortedset', '@slow'], group: 'sorted-set', since: '6.2.0', summary: "Store a range of members from sorted set into another key" },
  zrangebyscore: { arity: -4, flags: ['readonly'], keys: [1, 1, 1], keyFlags: ['RO', 'ACCESS'], categories: ['@read', '@sortedset', '@slow'], group: 'sorted-set', since: '1.0.5', summary: "Return a range of members in a sorted set, by score" },
  zrevrangebyscore: { arity: -4, flags: ['readonly'], keys: [1, 1, 1], keyFlags: ['RO', 'ACCESS'], categories: ['@read', '@sortedset', '@slow'], group: 'sorted-set', since: '2.2.0', summary: "Return a range of members in a sorted set, by score, with scores ordered from high to low" },
  zrangebylex: { arity: -4, flags: ['readonly'], keys: [1, 1, 1], keyFlags: ['RO', 'ACCESS'], categories: ['@read', '@sortedset', '@slow'], group: 'sorted-set', since: '2.8.9', summary: "Return a range of members in a sorted set, by lexicographical range" },
  zrevrangebylex: { arity: -4, flags: ['readonly'], keys: [1, 1, 1], keyFlags: ['RO', 'ACCESS'], categories: ['@read', '@sortedset', '@slow'], group: 'sorted-set', since: '2.8.9', summary: "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings." },
  zrevrange: { arity: -4, flags: ['readonly'], keys: [1, 1, 1], keyFlags: ['RO', 'ACCESS'], categories: ['@read', '@sortedset', '@slow'], group: 'sorted-set', since: '1.2.0', summary: "Return a range of members in a sorted set, by index, with scores ordered from high to low" },
  zremrangebyrank: { arity: 4, flags: ['write'], keys: [1, 1, 1], keyFlags: ['RW', 'DELETE'], categories: ['@write', '@sortedset', '@slow'], group: 'sorted-set', since: '2.0.0', summary: "Remove all members in a sorted set within the given indexes" },
  zremrangebyscore: { arity: 4, flags: ['write'], keys: [1, 1, 1], keyFlags: ['RW', 'DELETE'], categories: ['@write', '@sortedset', '@slow'], group: 'sorted-set', since: '1.2.0', summary: "Remove all members in a sorted set within the given scores" },
  zremrangebylex: { arity: 4, flags: ['write'], keys: [1, 1, 1], keyFlags: ['RW', 'DELETE'], categories: ['@write', '@sortedset', '@slow'], group: 'sorted-set', since: '2.8.9', summary: "Remove all members in a sorted set between the given lexicographical range" },
  zpopmin: { arity: -2, flags: ['write', 'fast'], keys: [1, 1, 1], keyFlags: ['RW', 'ACCESS', 'DELETE'], categories: ['@write', '@sortedset', '@fast'], group: 'sorted-set', since: '5.0.0', summary: "Remove and return members with the lowest scores in a sorted set" },
  zpopmax: { arity: -2, flags: ['write', 'fast'], keys: [1, 1, 1], keyFlags: ['RW', 'ACCESS', 'DELETE'], categories: ['@write', '@sortedset', '@fast'], group: 'sorted-set', since: '5.0.0', summary: "Remove and return members with the highest scores in a sorted set" },
  zmpop: { arity: -4, flags: ['write', 'movablekeys'], keys: [0, 0, 0], categories: ['@write', '@sortedset', '@slow'], group: 'sorted-set', since: '7.0.0', summary: "Remove and return members with scores in a sorted set" },
  zrandmember: { arity: -2, flags: ['readonly'], keys: [1, 1, 1], keyFlags: ['RO', 'ACCESS'], categories: ['@read', '@sortedset', '@slow'], group: 'sorted-set', since: '6.2.0', summary: "Get one or multiple random elements from a sorted set" },
  zscan: { arity: -3, flags: ['readonly'], keys: [1, 1, 1], keyFlags: ['RO', 'ACCESS'], categories: ['@read', '@sortedset', '@slow'], group: 'sorted-set', since: '2.8.0', summary: "Incrementally iterate sorted sets elements and associated scores" },
  zunion: { arity: -3, flags: ['readonly', 'movablekeys'], keys: [0, 0, 0], categories: ['@read', '@sortedset', '@slow'], group: 'sorted-set', since: '6.2.0', summary: "Add multiple sorted sets" },
  zinter: { arity: -3, flags: ['readonly', 'movablekeys'], keys: [0, 0, 0], categories: ['@read', '@sortedset', '@slow'], group: 'sorted-set', since: '6.2.0', summary: "Intersect multiple sorted sets" },
  zdiff: { arity: -3, flags: ['readonly', 'movablekeys'], keys: [0, 0, 0], categories: ['@read', '@sortedset', '@slow'], group: 'sorted-set', since: '6.2.0', summary: "Subtract multiple sorted sets" },
  zunionstore: { arity: -4, flags: ['write', 'denyoom', 'movablekeys'], keys: [1, 1, 1], keyFlags: ['OW', 'UPDATE'], categories: ['@write', '@sortedset', '@slow'], group: 'sorted-set', since: '2.0.0', summary: "Add multiple sorted sets and store the resulting sorted set in a new key" },
  zinterstore: { arity: -4, flags: ['write', 'denyoom', 'movablekeys'], keys: [1, 1, 1], keyFlags: ['OW', 'UPDATE'], categories: ['@write', '@sortedset', '@slow'], group: 'sorted-set', since: '2.0.0', summary: "Intersect multiple sorted sets and store the resulting sorted set in a new key" },
  zdiffstore: { arity: -4, flags: ['write', 'denyoom', 'movablekeys'], keys: [1, 1, 1], keyFlags: ['OW', 'UPDATE'], categories: ['@write', '@sortedset', '@slow'], group: 'sorted-set', since: '6.2.0', summary: "Subtract multiple sorted sets and store the resulting sorted set in a new key" },
  zintercard: { arity: -3, flags: ['readonly', 'movablekeys'], keys: [0, 0, 0], categories: ['@read', '@sortedset', '@slow'], group: 'sorted-set', since: '7.0.0', summary: "Intersect multiple sorted sets and return the cardinality of the result" },

  // ---- More string and keyspace commands (core/types/string/, core/types/keyspace/) ----
  dump: { arity: 2, flags: ['readonly'], keys: [1, 1, 1], keyFlags: ['RO', 'ACCESS'], categories: ['@keyspace', '@read', '@slow'], group: 'generic', since: '2.6.0', summary: "Return a serialized version of the value stored at the specified key (Piccolo's own payload, not RDB)" },
  restore: { arity: -4, flags: ['write', 'denyoom'], keys: [1, 1, 1], keyFlags: ['OW', 'UPDATE'], categories: ['@keyspace', '@write', '@slow', '@dangerous'], group: 'generic', since: '2.6.0', summary: "Create a key using the provided serialized value, previously obtained using DUMP" },
  renamenx: { arity: 3, flags: ['write', 'fast'], keys: [1, 2, 1], categories: ['@keyspace', '@write', '@fast'], group: 'generic', since: '1.0.0', summary: "Rename a key, only if the new key does not exist" },
  copy: { arity: -3, flags: ['write', 'denyoom'], keys: [1, 2, 1], categories: ['@keyspace', '@write', '@slow'], group: 'generic', since: '6.2.0', summary: "Copy a key" },
  touch: { arity: -2, flags: ['readonly', 'fast'], keys: [1, -1, 1], keyFlags: ['RO'], categories: ['@keyspace', '@read', '@fast'], group: 'generic', since: '3.2.1', summary: "Alters the last access time of a key(s). Returns the number of existing keys specified." },
  object: { arity: -2, flags: ['readonly'], keys: [2, 2, 1], keyFlags: ['RO'], categories: ['@keyspace', '@read', '@slow'], group: 'generic', since: '2.2.3', summary: "A container for object introspection commands" },
  setbit: { arity: 4, flags: ['write', 'denyoom'], keys: [1, 1, 1], keyFlags: ['RW', 'ACCESS', 'UPDATE', 'VARIABLE_FLAGS'], categories: ['@write', '@bitmap', '@slow'], group: 'bitmap', since: '2.2.0', summary: "Sets or clears the bit at offset of the string value" },
  getbit: { arity: 3, flags: ['readonly', 'fast'], keys: [1, 1, 1], keyFlags: ['RO', 'ACCESS'], categories: ['@read', '@bitmap', '@fast'], group: 'bitmap', since: '2.2.0', summary: "Returns a bit value by offset" },
  bitcount: { arity: -2, flags: ['readonly'], keys: [1, 1, 1], keyFlags: ['RO', 'ACCESS'], categories: ['@read', '@bitmap', '@slow'], group: 'bitmap', since: '2.6.0', summary: "Counts the number of set bits (population counting) in a string" },
  bitpos: { arity: -3, flags: ['readonly'], keys: [1, 1, 1], keyFlags: ['RO', 'ACCESS'], categories: ['@read', '@bitmap', '@slow'], group: 'bitmap', since: '2.8.7', summary: "Finds the first set (1) or clear (0) bit in a string" },
  bitop: { arity: -4, flags: ['write', 'denyoom'], keys: [2, -1, 1], categories: ['@write', '@bitmap', '@slow'], group: 'bitmap', since: '2.6.0', summary: "Performs bitwise operations on multiple strings, and stores the result" },
  bitfield: { arity: -2, flags: ['write', 'denyoom'], keys: [1, 1, 1], keyFlags: ['RW', 'ACCESS', 'UPDATE', 'VARIABLE_FLAGS'], categories: ['@write', '@bitmap', '@slow'], group: 'bitmap', since: '3.2.0', summary: "Performs arbitrary bitfield integer operations on strings" },
  bitfield_ro: { arity: -2, flags: ['readonly', 'fast'], keys: [1, 1, 1], keyFlags: ['RO', 'ACCESS'], categories: ['@read', '@bitmap', '@fast'], group: 'bitmap', since: '6.0.0', summary: "Performs arbitrary read-only bitfield integer operations on strings" },
  lcs: { arity: -3, flags: ['readonly'], keys: [1, 2, 1], keyFlags: ['RO', 'ACCESS'], categories: ['@read', '@string', '@slow'], group: 'string', since: '7.0.0', summary: "Finds the longest common substring" },
  expiretime: { arity: 2, flags: ['readonly', 'fast'], keys: [1, 1, 1], keyFlags: ['RO', 'ACCESS'], categories: ['@keyspace', '@read', '@fast'], group: 'generic', since: '7.0.0', summary: "Get the expiration Unix timestamp for a key" },
  pexpiretime: { arity: 2, flags: ['readonly', 'fast'], keys: [1, 1, 1], keyFlags: ['RO', 'ACCESS'], categories: ['@keyspace', '@read', '@fast'], group: 'generic', since: '7.0.0', summary: "Get the expiration Unix timestamp for a key in milliseconds" },
  // SORT's second key spec (STORE's destination, "unknown" begin_search in Redis) is not listed: the table has one spec per command.
  sort: { arity: -2, flags: ['write', 'denyoom', 'movablekeys'], keys: [1, 1, 1], keyFlags: ['RO', 'ACCESS'], categories: ['@write', '@set', '@sortedset', '@list', '@slow', '@dangerous'], group: 'generic', since: '1.0.0', summary: "Sort the elements in a list, set or sorted set, optionally storing the result" },
  sort_ro: { arity: -2, flags: ['readonly'], keys: [1, 1, 1], keyFlags: ['RO', 'ACCESS'], categories: ['@read', '@set', '@sortedset', '@list', '@slow', '@dangerous'], group: 'generic', since: '7.0.0', summary: "Sort the elements in a list, set or sorted set. Read-only variant of SORT." },

  // Pub/sub (resp-pubsub-command-table.ts).
  ...PUBSUB_COMMAND_INFO,
};

/** The table's entry for a name a client sent (own properties only: `constructor` is not a command). */
export function commandInfo(name: string): CommandInfo | undefined {
  return Object.hasOwn(COMMAND_TABLE, name) ? COMMAND_TABLE[name] : undefined;
}

const bulkValue = (text: string): RespValue => ({ type: 'bulk', value: text });
const mapValue = (entries: [string, RespValue][]): RespValue => ({ type: 'map', entries: entries.map(([k, v]) => [bulkValue(k), v] as const) });
const intValue = (value: number): RespValue => ({ type: 'integer', value });

/**
 * Redis 7's key specifications for a command: where its keys start
 * (begin_search) and how to find the rest (find_keys), in the layout
 * cluster-aware clients read. Range specs come from first/last/step;
 * EVAL-like commands have a keynum spec.
 */
export function keySpecsValue(info: CommandInfo): RespValue {
  if (info.keynum) {
    return {
      type: 'array',
      items: [mapValue([
        ['flags', { type: 'set', items: [{ type: 'simple', text: info.flags.includes('readonly') ? 'RO' : 'RW' }, { type: 'simple', text: 'ACCESS' }] }],
        ['begin_search', mapValue([['type', bulkValue('index')], ['spec', mapValue([['index', intValue(2)]])]])],
        ['find_keys', mapValue([['type', bulkValue('keynum')], ['spec', mapValue([['keynumidx', intValue(0)], ['firstkey', intValue(1)], ['keystep', intValue(1)]])]])],
      ])],
    };
  }
  const [first, last, step] = info.keys;
  if (first === 0) return { type: 'array', items: [] };
  const flags = info.keyFlags ?? (info.flags.includes('readonly') ? ['RO', 'ACCESS'] : ['RW', 'ACCESS', 'UPDATE']);
  return {
    type: 'array',
    items: [mapValue([
      ['flags', { type: 'set', items: flags.map((f): RespValue => ({ type: 'simple', text: f })) }],
      ['begin_search', mapValue([['type', bulkValue('index')], ['spec', mapValue([['index', intValue(first)]])]])],
      // lastkey counts from the first key (or from the end when negative), as Redis's range spec does.
      ['find_keys', mapValue([['type', bulkValue('range')], ['spec', mapValue([
        ['lastkey', intValue(last < 0 ? last : last - first)], ['keystep', intValue(step)], ['limit', intValue(0)],
      ])]])],
    ])],
  };
}

/** The `COMMAND` / `COMMAND INFO` entry of one command, in Redis 7's ten-field layout; null for unknown names. */
export function commandInfoValue(name: string): RespValue {
  const info = commandInfo(name);
  if (info === undefined) return { type: 'nullArray' };
  const status = (text: string): RespValue => ({ type: 'simple', text });
  return {
    type: 'array',
    items: [
      { type: 'bulk', value: name },
      { type: 'integer', value: info.arity },
      { type: 'set', items: info.flags.map(status) },
      { type: 'integer', value: info.keys[0] },
      { type: 'integer', value: info.keys[1] },
      { type: 'integer', value: info.keys[2] },
      { type: 'set', items: info.categories.map(status) },
      { type: 'array', items: [] }, // tips
      keySpecsValue(info),
      { type: 'array', items: [] }, // subcommands (CONFIG, CLIENT, SCRIPT, FUNCTION list theirs in HELP)
    ],
  };
}

/** The `COMMAND DOCS` entry of one command: summary, since and group (no argument descriptions). */
export function commandDocsValue(name: string): RespValue {
  const info = commandInfo(name);
  if (info === undefined) return { type: 'map', entries: [] };
  const bulk = (text: string): RespValue => ({ type: 'bulk', value: text });
  return {
    type: 'map',
    entries: [
      [bulk('summary'), bulk(info.summary)],
      [bulk('since'), bulk(info.since)],
      [bulk('group'), bulk(info.group)],
    ],
  };
}
