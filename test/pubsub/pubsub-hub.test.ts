// The node's hub and its peer link, without sockets: delivery order and
// counts, the slow-subscriber cut-off, the PUBLISH fan-out hook, and the
// PeerPublish message (round trip, told apart from peer batches and
// PeerForwards, unreadable input dropped).
import { describe, expect, it } from 'vitest';
import type { RespValue } from '../../core/resp/reply-encoder.js';
import { encodePeerBatch } from '../../schema/peer-codec.js';
import { encodePeerForward, isPeerForward } from '../../schema/peer-forward-codec.js';
import { decodePeerPublish, encodePeerPublish, isPeerPublish, PeerPublishLink } from '../../runtime-node/pubsub/peer-publish.js';
import { PubsubHub, type PubsubSubscriber } from '../../runtime-node/pubsub/pubsub-hub.js';

const b = (s: string): Uint8Array => new Uint8Array(Buffer.from(s));

class FakeSubscriber implements PubsubSubscriber {
  readonly got: RespValue[] = [];
  outputBytes = 0;
  disconnected = false;
  constructor(readonly description: string, private readonly bytesPerMessage = 0) {}
  deliver(value: RespValue): void {
    this.got.push(value);
    this.outputBytes += this.bytesPerMessage;
  }
  disconnect(): void {
    this.disconnected = true;
  }
}

describe('PubsubHub', () => {
  it('delivers message and pmessage pushes, counts receivers, and fans out only PUBLISH', () => {
    const hub = new PubsubHub({ log: () => {} });
    const fanned: string[] = [];
    hub.fanOut = (kind, channel, message) => fanned.push(`${kind} ${Buffer.from(channel).toString()} ${Buffer.from(message).toString()}`);
    const a = new FakeSubscriber('a');
    hub.registry.subscribe(a, 'channel', b('ch'));
    hub.registry.subscribe(a, 'pattern', b('c*'));
    expect(hub.publish('channel', b('ch'), b('m'))).toBe(2);
    expect(a.got.map((v) => (v.type === 'push' ? v.items.length : 0))).toEqual([3, 4]);
    expect(hub.publish('shard', b('ch'), b('m'))).toBe(0);
    // Deliveries from peers or keyspace events are never fanned out again.
    expect(hub.deliver('channel', b('ch'), b('peer'))).toBe(2);
    expect(fanned).toEqual(['channel ch m']);
  });

  it('cuts off a subscriber past the output limit, with a log line, and keeps delivering to the others', () => {
    const lines: string[] = [];
    const hub = new PubsubHub({ log: (line) => lines.push(line), outputBytesMax: 100 });
    const slow = new FakeSubscriber('id=1 addr=slow', 60);
    const fast = new FakeSubscriber('id=2 addr=fast');
    hub.registry.subscribe(slow, 'channel', b('ch'));
    hub.registry.subscribe(slow, 'pattern', b('*'));
    hub.registry.subscribe(fast, 'channel', b('ch'));
    expect(hub.publish('channel', b('ch'), b('1'))).toBe(3); // slow: 120 bytes after its second push
    expect(slow.disconnected).toBe(true);
    expect(hub.slowDisconnects).toBe(1);
    expect(lines).toEqual(['warning: pub/sub subscriber id=1 addr=slow disconnected: 120 bytes of output unread, over the limit of 100 (slow subscriber)']);
    expect(hub.registry.isSubscribed(slow)).toBe(false);
    expect(hub.publish('channel', b('ch'), b('2'))).toBe(1);
    expect(fast.got).toHaveLength(2);
  });
});

describe('PeerPublish', () => {
  it('round-trips binary channels and messages, and is told apart from peer batches and forwards', () => {
    const channel = Uint8Array.of(0, 255, 13, 10);
    const bytes = encodePeerPublish({ kind: 'channel', channel, message: b('hello') });
    expect(isPeerPublish(bytes)).toBe(true);
    expect(decodePeerPublish(bytes)).toEqual({ kind: 'channel', channel, message: b('hello') });
    expect(decodePeerPublish(encodePeerPublish({ kind: 'shard', channel: b('s'), message: new Uint8Array(0) }))).toEqual({ kind: 'shard', channel: b('s'), message: new Uint8Array(0) });
    const batch = encodePeerBatch([{ group: 1, message: { type: 'heartbeat', from: 1, to: 2, term: 3, commit: 4, context: 0 } }]);
    const forward = encodePeerForward({ id: 1n, group: 0, leaderHint: 0, isReply: false, frame: new Uint8Array(8) });
    expect(isPeerPublish(batch)).toBe(false);
    expect(isPeerPublish(forward)).toBe(false);
    expect(isPeerForward(forward)).toBe(true);
    expect(isPeerPublish(new Uint8Array(3))).toBe(false);
  });

  it('a link delivers what peers send to local subscribers only, and sends local PUBLISHes to the peers', () => {
    const hub = new PubsubHub({ log: () => {} });
    const sent: Uint8Array[] = [];
    const link = new PeerPublishLink(hub, (bytes) => { sent.push(bytes); return 2; });
    const sub = new FakeSubscriber('s');
    hub.registry.subscribe(sub, 'channel', b('ch'));
    link.receive(encodePeerPublish({ kind: 'channel', channel: b('ch'), message: b('from a peer') }));
    expect(sub.got).toHaveLength(1);
    expect(sent).toHaveLength(0); // never sent on
    hub.publish('channel', b('ch'), b('local'));
    expect(sent.map((bytes) => decodePeerPublish(bytes))).toEqual([{ kind: 'channel', channel: b('ch'), message: b('local') }]);
    expect(link.stats).toEqual({ sent: 2, received: 1, dropped: 0 });
    const truncated = encodePeerPublish({ kind: 'channel', channel: b('ch'), message: b('x'.repeat(100)) }).subarray(0, 40);
    link.receive(truncated);
    expect(link.stats.dropped).toBe(1);
    expect(sub.got).toHaveLength(2);
  });
});
