// What the connection-level RESP commands (HELLO, AUTH, CLIENT, INFO, KEYS,
// SCAN, RENAME, ...) work with: the connection's session state, a narrow view
// of the node, and how they answer. They answer through a callback because
// some of them first run requests on the shards.

import type { Limits } from '../../core/limits.js';
import type { ReplyCallback } from '../../core/node/shard-channel.js';
import type { Bytes, Reply, Request } from '../../core/protocol/ops.js';
import type { RespProtocol, RespValue } from '../../core/resp/reply-encoder.js';
import { arityError } from '../../core/resp/resp-errors.js';
import type { SettingsRegistry } from '../config/settings-registry.js';
import type { PasswordGate } from '../security/password-gate.js';
import type { ClusterView } from './resp-cluster-commands.js';

/** One RESP connection's state, as commands see and change it. */
export interface RespSession {
  readonly id: number;
  readonly createdAtMs: number;
  /** `ip:port` of the client and of our end, for CLIENT LIST / INFO. */
  readonly remoteAddress: string;
  readonly localAddress: string;
  /** CLIENT SETNAME; empty = none. */
  name: string;
  /** CLIENT SETINFO LIB-NAME / LIB-VER. */
  libName: string;
  libVersion: string;
  authenticated: boolean;
  /**
   * The protocol replies will use once every reply queued so far is written.
   * (The writer switches when HELLO's reply is written, so earlier pipelined
   * replies keep the protocol they were asked under.)
   */
  protocol: RespProtocol;
  /** Ms since the epoch of the last command, for CLIENT LIST's idle. */
  lastCommandAtMs: number;
}

/** INFO's counters (runtime-node/metrics): RESP connections and commands since start or CONFIG RESETSTAT. */
export interface RespStats {
  readonly connectionsReceived: number;
  readonly connectionsRejected: number;
  readonly commandsProcessed: number;
  /** Commands per second over the last second. */
  readonly opsPerSecond: number;
  /** Failed AUTH / HELLO AUTH attempts. */
  readonly authFailures: number;
  /** From the workers' published numbers (refreshed every 100 ms): keys with a TTL, bytes of keys and values. */
  readonly expiringKeys: number;
  readonly storeBytes: number;
  /** Keys removed by the workers' expiry sweeps since start. */
  readonly expiredKeys: number;
  /** One command was received. */
  commandProcessed(): void;
  /** CONFIG RESETSTAT. */
  reset(): void;
}

/** What INFO reports about the node besides counters. */
export interface RespNodeFacts {
  version: string;
  startedAtMs: number;
  host: string;
  /** The RESP port and the HTTP / WebSocket port. */
  respPort: number;
  httpPort: number;
  workers: number;
  /** Where acknowledged writes are kept: the data directory and its fsync mode, or null when in memory only. */
  storage: { dataDir: string; fsync: string } | null;
  /** Open client connections of every front door (they share one budget). */
  connectedClients(): number;
}

/** The node as connection-level commands see it. */
export interface RespNode {
  readonly limits: Limits;
  /** The node's password, shared with the other doors (it may change while the node runs). */
  readonly passwordGate: PasswordGate;
  readonly shardCount: number;
  readonly stats: RespStats;
  readonly facts: RespNodeFacts;
  /** What CONFIG GET / SET read and change. */
  readonly settings: SettingsRegistry;
  /** Run one request (refused with SHUTTING_DOWN during shutdown). */
  execute(request: Request, onReply: ReplyCallback): void;
  /** Run the requests of one command, routed together; `commandKeys` names all its keys when its requests do not (a cluster node forwards them when the keys span groups). */
  executeParts(requests: readonly Request[], onReply: (index: number, reply: Reply) => void, commandKeys?: readonly Bytes[]): void;
  /** Every open RESP session, for CLIENT LIST. */
  sessions(): Iterable<RespSession>;
  /** The cluster this node is part of (CLUSTER commands), or null for a lone node. */
  readonly cluster?: ClusterView | null;
}

/** How a connection-level command answers. */
export interface CommandOutcome {
  value: RespValue;
  /** Switch the connection to this protocol just before writing `value` (HELLO). */
  protocol?: RespProtocol;
  /** Close the connection once `value` is written (QUIT). */
  close?: boolean;
}

export type Done = (outcome: CommandOutcome) => void;

export interface CommandCall {
  /** Lower-case command name. */
  name: string;
  /** Arguments after the name. */
  args: Uint8Array[];
  session: RespSession;
  node: RespNode;
  nowMs: number;
  done: Done;
}

// ---- building replies ---------------------------------------------------------

export const OK: RespValue = Object.freeze({ type: 'simple', text: 'OK' });

export function errorValue(text: string): RespValue {
  return { type: 'error', text };
}

export function bulk(value: string | Uint8Array): RespValue {
  return { type: 'bulk', value };
}

export function integer(value: number | bigint): RespValue {
  return { type: 'integer', value };
}

export function reply(value: RespValue): CommandOutcome {
  return { value };
}

export function fail(text: string): CommandOutcome {
  return { value: errorValue(text) };
}

// ---- reading arguments ---------------------------------------------------------

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8');

/** An argument as text (UTF-8, invalid bytes replaced): names, passwords, patterns shown to people. */
export function text(arg: Uint8Array): string {
  return utf8.decode(arg);
}

/** An option word, upper-cased (ASCII), for comparing with `SETNAME`, `COUNT`, ... */
export function word(arg: Uint8Array): string {
  return latin1.decode(arg).toUpperCase();
}

/** Redis's "unknown subcommand" error, quoting the subcommand as sent. */
export function unknownSubcommand(command: string, sub: Uint8Array): string {
  return `ERR unknown subcommand '${text(sub).slice(0, 128)}'. Try ${command.toUpperCase()} HELP.`;
}

/** Redis's arity error for `command|subcommand`. */
export function subcommandArityError(command: string, sub: string): string {
  return arityError(`${command}|${sub.toLowerCase()}`);
}

/** A HELP reply: one status line each. */
export function helpLines(lines: readonly string[]): RespValue {
  return { type: 'array', items: lines.map((line): RespValue => ({ type: 'simple', text: line })) };
}
