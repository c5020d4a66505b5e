// One RESP connection's side of pub/sub and keyspace notifications: runs its
// (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PUBLISH, SPUBLISH and PUBSUB against the
// node's hub, answers for RESP2's subscribed mode, receives the hub's
// pushes into the connection's output, and tells the keyspace notifier which
// of the connection's writes succeeded. The connection (resp-connection.ts)
// calls it at four points: before planning a command, for a connection
// plan, around a requests plan, and when it closes.

import type { CommandStep } from '../../core/resp/keyspace-events.js';
import { COMMAND_NAMES, type ConnectionPlan, type RequestsPlan } from '../../core/resp/commands.js';
import {
  isSubscriptionCommand, PUBSUB_COMMAND_ARITIES, runPubsubIntrospection, runSubscription, subscribedModeReply,
} from '../../core/resp/pubsub-commands.js';
import type { RespProtocol, RespValue } from '../../core/resp/reply-encoder.js';
import type { KeyspaceNotifier } from '../pubsub/keyspace-notifier.js';
import type { PubsubHub, PubsubSubscriber } from '../pubsub/pubsub-hub.js';
import { word } from './resp-command-context.js';

/** What a connection needs from its node for pub/sub. */
export interface RespPubsubNode {
  readonly hub: PubsubHub;
  readonly notifier: KeyspaceNotifier;
}

/** The connection as its pub/sub side sees it. */
export interface PushTarget {
  /** Write a push after every reply already queued. */
  deliverPush(value: RespValue): void;
  /** Bytes written, or queued to write, and not yet taken by the kernel. */
  outputBytes(): number;
  /** Close at once, without writing what is queued. */
  destroy(): void;
  readonly description: string;
}

/** Encoded bytes of a push, at most: each bulk's bytes plus its header room (pushes are flat arrays of bulks). */
export function pushBytesBound(value: RespValue): number {
  if (value.type !== 'push') return 0;
  let bytes = 16;
  for (const item of value.items) bytes += 32 + (item.type === 'bulk' ? item.value.length : 0);
  return bytes;
}

const KNOWN_COMMANDS: ReadonlySet<string> = new Set(COMMAND_NAMES);
/** Longer names are not commands (commands.ts's bound), so they are not decoded. */
const COMMAND_NAME_BYTES_MAX = 16;

/** A command's name in lower case, or null when it is not a known command. */
function knownName(arg: Uint8Array): string | null {
  if (arg.length > COMMAND_NAME_BYTES_MAX) return null;
  const name = word(arg).toLowerCase();
  return KNOWN_COMMANDS.has(name) ? name : null;
}

export class RespPubsubClient implements PubsubSubscriber {
  constructor(private readonly node: RespPubsubNode, private readonly target: PushTarget) {}

  // ---- PubsubSubscriber (the hub's view) ----------------------------------------

  deliver(value: RespValue): void {
    this.target.deliverPush(value);
  }

  get outputBytes(): number {
    return this.target.outputBytes();
  }

  disconnect(): void {
    this.target.destroy();
  }

  get description(): string {
    return this.target.description;
  }

  // ---- the connection's calls ---------------------------------------------------------

  /**
   * Before a command is planned: RESP2's subscribed mode answers it here
   * (PING's pong pair, or the error for a command not allowed), else null.
   * Unknown commands go on to get their usual error.
   */
  subscribedModeReply(args: readonly Uint8Array[], protocol: RespProtocol): RespValue | null {
    if (!this.node.hub.registry.isSubscribed(this)) return null;
    const name = knownName(args[0]!);
    if (name === null) return null;
    const arity = PUBSUB_COMMAND_ARITIES[name];
    // A pub/sub command with a wrong arity gets translate()'s arity error, as in Redis.
    if (arity !== undefined && !(arity > 0 ? args.length === arity : args.length >= -arity)) return null;
    return subscribedModeReply(name, args, true, protocol);
  }

  /** Run a pub/sub connection command: its replies in order, or null when `plan` is not one. */
  run(plan: ConnectionPlan): RespValue[] | null {
    const { hub } = this.node;
    if (isSubscriptionCommand(plan.name)) return runSubscription(hub.registry, this as PubsubSubscriber, plan.name, plan.args);
    switch (plan.name) {
      case 'publish': return [{ type: 'integer', value: hub.publish('channel', plan.args[0]!, plan.args[1]!) }];
      case 'spublish': return [{ type: 'integer', value: hub.publish('shard', plan.args[0]!, plan.args[1]!) }];
      case 'pubsub': return [runPubsubIntrospection(hub.registry, plan.args)];
      default: return null;
    }
  }

  /**
   * A requests plan about to run: when keyspace notifications are on and the
   * command can fire events, a plan whose last finish() also publishes them
   * (with a copy of the arguments, which are views into the read buffer).
   */
  watchWrites(args: readonly Uint8Array[], plan: RequestsPlan): RequestsPlan {
    // The common case first: notifications off cost one check per command, no name decoding.
    if (!this.node.notifier.enabled) return plan;
    const name = knownName(args[0]!);
    if (name === null || !this.node.notifier.watches(name)) return plan;
    return this.notifying(name, args.map((a) => a.slice()), plan);
  }

  /** A connection command answered: RENAME fires its events when it did not fail, RENAMENX and COPY when they answered 1 (found). */
  connectionDone(plan: ConnectionPlan, value: RespValue): void {
    if (value.type === 'error' || !this.node.notifier.watches(plan.name)) return;
    const found = value.type !== 'integer' || BigInt(value.value) !== 0n;
    this.notifyRan(plan.name, [new Uint8Array(0), ...plan.args], { requests: [], replies: [{ ok: true, found }] });
  }

  /** The connection closed. */
  close(): void {
    this.node.hub.remove(this);
  }

  private notifying(name: string, args: Uint8Array[], plan: RequestsPlan): RequestsPlan {
    return {
      kind: 'requests',
      requests: plan.requests,
      finish: (replies, out) => {
        const next = plan.finish(replies, out);
        if (next) return this.notifying(name, args, next);
        this.notifyRan(name, args, { requests: plan.requests, replies });
      },
    };
  }

  private notifyRan(name: string, args: readonly Uint8Array[], step: CommandStep): void {
    this.node.notifier.notify(name, args, step, Date.now());
  }
}
