// The forwarding router's retry rules (runtime-node/cluster/forwarding-router.ts),
// over a real ClusterRouter with fake workers and a scripted forwarder:
// groups led here go to the local worker; others are forwarded to their
// leader; NOT_LEADER is followed to the leader it names; a lost read is
// asked again; a lost write is INDETERMINATE and sent once only; a request
// that could not be sent did nothing and says so.

import { describe, expect, it } from 'vitest';
import type { ShardTransport } from '../../core/node/dispatcher.js';
import type { ReplyCallback } from '../../core/node/shard-channel.js';
import type { Reply, Request } from '../../core/protocol/ops.js';
import { SlotMap } from '../../core/routing/slot-map.js';
import { ClusterRouter } from '../../runtime-node/cluster/cluster-router.js';
import { ClusterTopology } from '../../runtime-node/cluster/cluster-topology.js';
import { FORWARD_ATTEMPTS_MAX, ForwardingRouter } from '../../runtime-node/cluster/forwarding-router.js';
import { GroupStatusTable } from '../../runtime-node/cluster/group-status.js';
import type { ForwardOutcome, PeerForwarder } from '../../runtime-node/cluster/peer-forwarder.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const GET: Request = { op: 'get', key: bytes('k') };
const SET: Request = { op: 'set', key: bytes('k'), value: bytes('v') };

/** Node 1 of three, all hosting group 0 (three replicas); `leader` is who node 1's replica says leads. */
function setup(leader: number, script: (to: number, request: Request) => ForwardOutcome) {
  const topology = new ClusterTopology(1, [1, 2, 3].map((id) => ({ id, host: '127.0.0.1', peerPort: 7800 + id })), 1, 3);
  const status = GroupStatusTable.allocate(1);
  status.write(0, leader, 5, 10, 10, leader === 1 ? 'leader' : 'follower');
  const local: Request[] = [];
  const workers: ShardTransport = {
    slotMap: new SlotMap(1, 1),
    submit: (_group: number, request: Request, onReply: ReplyCallback) => { local.push(request); onReply({ ok: true, version: 1 }); },
  };
  const router = new ClusterRouter(workers, topology, status, (id) => ({ http: `127.0.0.1:${7700 + id}`, resp: null }), () => true);
  const sent: [number, Request][] = [];
  const forwarder = {
    forward: (to: number, _group: number, request: Request, done: (outcome: ForwardOutcome) => void) => {
      sent.push([to, request]);
      done(script(to, request));
    },
  } as unknown as PeerForwarder;
  const forwarding = new ForwardingRouter(router, forwarder, 1);
  const submit = (request: Request): Promise<Reply> => new Promise((resolve) => forwarding.submit(0, request, resolve));
  return { submit, local, sent };
}

const answered = (reply: Reply, leaderHint = 0): ForwardOutcome => ({ kind: 'answered', reply, leaderHint });
const notLeader = (hint: number): ForwardOutcome => answered({ ok: false, code: 'NOT_LEADER', message: 'not me' }, hint);
const lost: ForwardOutcome = { kind: 'lost', message: 'node 2 did not answer within 5000 ms' };

describe('ForwardingRouter', () => {
  it('serves a group this node leads on its own worker, forwarding nothing', async () => {
    const { submit, local, sent } = setup(1, () => { throw new Error('nothing is forwarded'); });
    expect(await submit(SET)).toEqual({ ok: true, version: 1 });
    expect(local).toEqual([SET]);
    expect(sent).toEqual([]);
  });

  it('forwards to the leader and relays its reply', async () => {
    const { submit, local, sent } = setup(2, () => answered({ ok: true, found: true, value: bytes('v'), version: 3 }));
    expect(await submit(GET)).toEqual({ ok: true, found: true, value: bytes('v'), version: 3 });
    expect(sent.map(([to]) => to)).toEqual([2]);
    expect(local).toEqual([]);
  });

  it('follows NOT_LEADER to the leader it names, a bounded number of times', async () => {
    const { submit, sent } = setup(2, (to) => (to === 2 ? notLeader(3) : answered({ ok: true, version: 7 })));
    expect(await submit(SET)).toEqual({ ok: true, version: 7 });
    expect(sent.map(([to]) => to)).toEqual([2, 3]);

    const pingPong = setup(2, (to) => notLeader(to === 2 ? 3 : 2));
    const reply = await pingPong.submit(SET);
    expect(reply).toMatchObject({ ok: false, code: 'NOT_LEADER' });
    expect(pingPong.sent).toHaveLength(FORWARD_ATTEMPTS_MAX);
  });

  it('a write whose answer is lost is INDETERMINATE and is sent once only', async () => {
    const { submit, sent } = setup(2, () => lost);
    const reply = await submit(SET);
    expect(reply).toMatchObject({ ok: false, code: 'INDETERMINATE', message: expect.stringMatching(/may or may not have been applied/) });
    expect(sent).toHaveLength(1);
  });

  it('a read whose answer is lost is asked again', async () => {
    let calls = 0;
    const { submit, sent } = setup(2, () => (calls++ === 0 ? lost : answered({ ok: true, found: false })));
    expect(await submit(GET)).toEqual({ ok: true, found: false });
    expect(sent).toHaveLength(2);
    const always = setup(2, () => lost);
    expect(await always.submit(GET)).toMatchObject({ ok: false, code: 'NOT_LEADER' });
    expect(always.sent).toHaveLength(FORWARD_ATTEMPTS_MAX);
  });

  it('a lost transaction with a write is INDETERMINATE, sent once; one of reads only is asked again', async () => {
    const write = setup(2, () => lost);
    expect(await write.submit({ op: 'tx', ops: [GET, SET], watch: [] })).toMatchObject({ ok: false, code: 'INDETERMINATE' });
    expect(write.sent).toHaveLength(1);
    let calls = 0;
    const reads = setup(2, () => (calls++ === 0 ? lost : answered({ ok: true, found: true, replies: [{ ok: true, found: false }] })));
    expect(await reads.submit({ op: 'tx', ops: [GET], watch: [{ key: bytes('k'), version: 0 }] })).toMatchObject({ ok: true, found: true });
    expect(reads.sent).toHaveLength(2);
  });

  it('a request that could not be sent did nothing: NOT_LEADER (or OVERLOADED) with the reason, and a redirect for the door', async () => {
    const { submit } = setup(2, () => ({ kind: 'not-sent', code: 'NOT_LEADER', message: 'node 2, which leads group 0, is not reachable' }));
    expect(await submit(SET)).toMatchObject({ ok: false, code: 'NOT_LEADER', message: expect.stringMatching(/not reachable/), redirect: { resp: null } });
    const full = setup(2, () => ({ kind: 'not-sent', code: 'OVERLOADED', message: 'full' }));
    expect(await full.submit(SET)).toMatchObject({ ok: false, code: 'OVERLOADED' });
  });

  it('keeps a group\'s order through a leader move: nothing overtakes requests held here, which then follow in order', () => {
    const topology = new ClusterTopology(1, [1, 2, 3].map((id) => ({ id, host: '127.0.0.1', peerPort: 7800 + id })), 1, 3);
    const status = GroupStatusTable.allocate(1);
    status.write(0, 1, 5, 10, 10, 'leader');
    // The local worker holds what it gets (a leader transfer in progress) until the test answers.
    const held: ReplyCallback[] = [];
    const workers: ShardTransport = { slotMap: new SlotMap(1, 1), submit: (_group, _request, onReply) => { held.push(onReply); } };
    const router = new ClusterRouter(workers, topology, status, (id) => ({ http: `127.0.0.1:${7700 + id}`, resp: null }), () => true);
    const forwardedTo: string[] = [];
    const forwarder = {
      forward: (to: number, _group: number, request: Request, done: (outcome: ForwardOutcome) => void) => {
        forwardedTo.push(`${new TextDecoder().decode((request as { value: Uint8Array }).value)}->${to}`);
        done(answered({ ok: true, version: 1 }));
      },
    } as unknown as PeerForwarder;
    const forwarding = new ForwardingRouter(router, forwarder, 1);
    const replies: string[] = [];
    const set = (value: string): void => forwarding.submit(0, { op: 'set', key: bytes('k'), value: bytes(value) }, (r) => { replies.push(`${value}:${r.ok ? 'ok' : r.code}`); });
    set('a');
    set('b');
    // This node learns that node 2 leads now; a and b are still held by its worker.
    status.write(0, 2, 6, 10, 10, 'follower');
    set('c');
    expect(forwardedTo).toEqual([]); // c waits: sent straight to node 2 it could overtake a and b
    // The worker refuses what it held, naming node 2: a and b follow there, then c.
    for (const onReply of held.splice(0)) onReply({ ok: false, code: 'NOT_LEADER', message: 'transferred', leaderHint: 2 });
    expect(forwardedTo).toEqual(['a->2', 'b->2', 'c->2']);
    expect(replies).toEqual(['a:ok', 'b:ok', 'c:ok']);
  });

  it('a keyless request whose group stopped being led here while the worker had it finds nothing, never a redirect', () => {
    const topology = new ClusterTopology(1, [1, 2, 3].map((id) => ({ id, host: '127.0.0.1', peerPort: 7800 + id })), 1, 3);
    const status = GroupStatusTable.allocate(1);
    status.write(0, 1, 5, 10, 10, 'leader');
    const workers: ShardTransport = {
      slotMap: new SlotMap(1, 1),
      submit: (_group, _request, onReply) => onReply({ ok: false, code: 'NOT_LEADER', message: 'transferred', leaderHint: 2 }),
    };
    const router = new ClusterRouter(workers, topology, status, (id) => ({ http: `127.0.0.1:${7700 + id}`, resp: `127.0.0.1:${6300 + id}` }), () => true);
    const replies: Reply[] = [];
    router.submit(0, { op: 'count' }, (r) => replies.push(r));
    // As for a group led elsewhere when asked (a node's DBSIZE covers the groups it leads); RESP would have said MOVED -1.
    expect(replies).toEqual([{ ok: true, integer: 0n }]);
  });
});
