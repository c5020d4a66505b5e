// The keyspace notifier's `expired` side, against a stand-in change feed and
// hub: it subscribes to the workers' changes the first time the flags ask for
// x (and only then), publishes `expired` for 'expire' changes of groups this
// node leads, and drops them again while x is off.
import { describe, expect, it } from 'vitest';
import type { ChangeRecord } from '../../core/watch/change-record.js';
import { KeyspaceNotifier, workerExpiryFeed } from '../../runtime-node/pubsub/keyspace-notifier.js';
import type { PubsubHub } from '../../runtime-node/pubsub/pubsub-hub.js';

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString();

function harness(leaderOf: ((group: number) => number) | null = null) {
  const published: string[] = [];
  const hub = {
    hasReceivers: () => true,
    deliver: (_kind: string, channel: Uint8Array, message: Uint8Array) => { published.push(`${text(channel)} ${text(message)}`); },
  } as unknown as PubsubHub;
  const listeners: ((record: ChangeRecord) => void)[] = [];
  const workers = { recordChanges: (onChange: (record: ChangeRecord) => void) => { listeners.push(onChange); } };
  const cluster = leaderOf === null ? null : { leaderOf, options: { nodeId: 1 } };
  const notifier = new KeyspaceNotifier(hub, '', workerExpiryFeed(workers, cluster));
  const change = (group: number, kind: 'set' | 'delete' | 'expire', key: string): void => {
    for (const l of listeners) l({ kind: 'change', change: { group, key: Buffer.from(key), kind, value: kind === 'set' ? Buffer.from('v') : null, version: 5, seq: 0 } });
  };
  const setFlags = (value: string): string | null => notifier.setting.set!(value);
  return { notifier, listeners, published, change, setFlags };
}

describe('KeyspaceNotifier expired events', () => {
  it('subscribes to the change feed only once x is asked for, and publishes expire changes only', () => {
    const h = harness();
    expect(h.setFlags('KEg$')).toBeNull();
    expect(h.listeners).toHaveLength(0);
    expect(h.setFlags('Ex')).toBeNull();
    expect(h.setFlags('KEA')).toBeNull();
    expect(h.listeners).toHaveLength(1);
    h.listeners[0]!({ kind: 'begin', group: 0, appliedIndex: 3, logId: 1 });
    h.change(0, 'set', 'a');
    h.change(0, 'delete', 'b');
    h.change(1, 'expire', 'c');
    expect(h.published).toEqual(['__keyspace@0__:c expired', '__keyevent@0__:expired c']);
    // x off again: the feed stays subscribed (workers cannot stop recording) but nothing is published.
    expect(h.setFlags('KEg')).toBeNull();
    h.change(0, 'expire', 'd');
    expect(h.published).toHaveLength(2);
  });

  it('a cluster node publishes the expiries of the groups it leads only', () => {
    const h = harness((group) => (group === 0 ? 1 : 2));
    expect(h.setFlags('Ex')).toBeNull();
    h.change(0, 'expire', 'mine');
    h.change(1, 'expire', 'theirs');
    expect(h.published).toEqual(['__keyevent@0__:expired mine']);
  });
});
