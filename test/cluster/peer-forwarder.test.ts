// Forwarded client requests between nodes (runtime-node/cluster/peer-forwarder.ts,
// schema/peer-forward-codec.ts): the envelope matches the Cap'n Proto
// compiler's layout, is told apart from a Raft peer batch, and two
// forwarders wired back to back correlate replies, enforce the deadline and
// the in-flight bound, and report a lost answer as lost (never as an answer).

import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_LIMITS } from '../../core/limits.js';
import type { Reply, Request } from '../../core/protocol/ops.js';
import { encodePeerBatch } from '../../schema/peer-codec.js';
import { decodePeerForward, encodePeerForward, isPeerForward } from '../../schema/peer-forward-codec.js';
import {
  FORWARD_DEADLINE_MS, FORWARDS_IN_FLIGHT_MAX, PeerForwarder, type ForwardOutcome,
} from '../../runtime-node/cluster/peer-forwarder.js';

const hasCapnp = spawnSync('sh', ['-c', 'command -v capnp'], { encoding: 'utf8' }).status === 0;
const SCHEMA = join(import.meta.dirname, '../../schema/peer-forward.capnp');
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('PeerForward envelope', () => {
  it.skipIf(!hasCapnp)('encodes what `capnp encode` encodes, and reads it back', () => {
    const forward = { id: 2n ** 40n + 7n, group: 5, leaderHint: 3, isReply: true, frame: bytes('a frame') };
    const text = `(id = ${forward.id}, group = 5, leaderHint = 3, isReply = true, frame = 0x"${Buffer.from(forward.frame).toString('hex')}")`;
    const reference = new Uint8Array(execFileSync('capnp', ['encode', SCHEMA, 'PeerForward'], { input: text }));
    expect(encodePeerForward(forward)).toEqual(reference);
    expect(decodePeerForward(reference)).toEqual(forward);
  });

  it('is told apart from a Raft peer batch by its root layout', () => {
    const batch = encodePeerBatch([{ group: 1, message: { type: 'heartbeat', from: 1, to: 2, term: 3, commit: 4, context: 0 } }]);
    expect(isPeerForward(batch)).toBe(false);
    expect(isPeerForward(encodePeerForward({ id: 1n, group: 0, leaderHint: 0, isReply: false, frame: new Uint8Array(0) }))).toBe(true);
    expect(isPeerForward(new Uint8Array(3))).toBe(false);
  });

  it('refuses garbage with a reason', () => {
    expect(decodePeerForward(new Uint8Array([0, 0, 0, 0, 9, 0, 0, 0]))).toMatch(/^peer forward refused: /);
  });
});

/** Two forwarders, node 1 and node 2, joined by an in-memory link that can be cut or made to lose messages. */
function pair(serve: (group: number, request: Request, onReply: (reply: Reply) => void) => void) {
  let now = 0;
  const link = { up: true, deliver: true };
  const nodes: PeerForwarder[] = [];
  const make = (selfId: number, peer: number): PeerForwarder => new PeerForwarder({
    selfId, limits: DEFAULT_LIMITS, nowMs: () => now,
    linkUp: () => link.up,
    send: (to, message) => {
      expect(to).toBe(peer);
      if (link.deliver) queueMicrotask(() => nodes[to - 1]!.receive(selfId, message));
      return true;
    },
    serve: selfId === 2 ? serve : () => { throw new Error('node 1 serves nothing here'); },
  });
  nodes.push(make(1, 2), make(2, 1));
  return { a: nodes[0]!, b: nodes[1]!, link, advance: (ms: number) => { now += ms; vi.advanceTimersByTime(ms); } };
}

const outcomeOf = (forwarder: PeerForwarder, request: Request): Promise<ForwardOutcome> =>
  new Promise((resolve) => forwarder.forward(2, 7, request, resolve));

describe('PeerForwarder', () => {
  afterEach(() => { vi.useRealTimers(); });

  it('carries a request to the peer, which serves it, and the answer back', async () => {
    const served: [number, Request][] = [];
    const { a } = pair((group, request, onReply) => {
      served.push([group, request]);
      onReply(request.op === 'get' ? { ok: true, found: true, value: bytes('v'), version: 9 } : { ok: false, code: 'NOT_LEADER', message: 'moved', leaderHint: 3 });
    });
    expect(await outcomeOf(a, { op: 'get', key: bytes('k') })).toEqual({ kind: 'answered', leaderHint: 0, reply: { ok: true, found: true, value: bytes('v'), version: 9 } });
    const notLeader = await outcomeOf(a, { op: 'set', key: bytes('k'), value: bytes('x') });
    expect(notLeader).toMatchObject({ kind: 'answered', leaderHint: 3, reply: { ok: false, code: 'NOT_LEADER' } });
    expect(served.map(([group, r]) => [group, r.op])).toEqual([[7, 'get'], [7, 'set']]);
    expect(a.inFlight).toBe(0);
  });

  it('a request the peer finds invalid is answered with the client decoder\'s error', async () => {
    const { a } = pair(() => { throw new Error('never served'); });
    const outcome = await outcomeOf(a, { op: 'get', key: new Uint8Array(0) });
    expect(outcome).toMatchObject({ kind: 'answered', reply: { ok: false, code: 'BAD_REQUEST' } });
  });

  it('carries a transaction whole, and its nested replies back', async () => {
    const tx: Request = { op: 'tx', ops: [{ op: 'set', key: bytes('{t}a'), value: bytes('1') }, { op: 'get', key: bytes('{t}b') }], watch: [{ key: bytes('{t}a'), version: 4 }] };
    const answer: Reply = { ok: true, found: true, replies: [{ ok: true, version: 5 }, { ok: true, found: false }] };
    const served: Request[] = [];
    const { a } = pair((_group, request, onReply) => { served.push(request); onReply(answer); });
    expect(await outcomeOf(a, tx)).toEqual({ kind: 'answered', leaderHint: 0, reply: answer });
    expect(served).toEqual([tx]);
  });

  it('a request bigger in Cap\'n Proto than a frame is not sent: NOT_LEADER naming the leader (the client may send it there)', async () => {
    const { a } = pair(() => { throw new Error('never served'); });
    const big: Request = { op: 'set', key: bytes('k'), value: new Uint8Array(DEFAULT_LIMITS.frameBytesMax) };
    expect(await outcomeOf(a, big)).toMatchObject({ kind: 'not-sent', code: 'NOT_LEADER', leader: 2, message: expect.stringMatching(/nothing was done/) });
    expect(a.stats.forwarded).toBe(0);
  });

  it('without a link nothing is sent, and the outcome says so (safe to retry)', async () => {
    const { a, link } = pair(() => {});
    link.up = false;
    expect(await outcomeOf(a, { op: 'set', key: bytes('k'), value: bytes('v') })).toMatchObject({ kind: 'not-sent', code: 'NOT_LEADER' });
  });

  it('an answer that does not come within the deadline is lost, and a late one is dropped', async () => {
    vi.useFakeTimers();
    let answerLate: ((reply: Reply) => void) | null = null;
    const { a, advance } = pair((_group, _request, onReply) => { answerLate = onReply; });
    const outcome = outcomeOf(a, { op: 'set', key: bytes('k'), value: bytes('v') });
    await vi.advanceTimersByTimeAsync(0);
    expect(answerLate).not.toBeNull();
    advance(FORWARD_DEADLINE_MS + 200);
    expect(await outcome).toMatchObject({ kind: 'lost', message: expect.stringMatching(/did not answer within 5000 ms/) });
    answerLate!({ ok: true, version: 1 });
    await vi.advanceTimersByTimeAsync(0);
    expect(a.stats.dropped).toBe(1);
    expect(a.inFlight).toBe(0);
  });

  it('a link that drops loses what waits on it', async () => {
    const { a, link } = pair(() => {});
    link.deliver = false;
    const outcome = outcomeOf(a, { op: 'incr', key: bytes('n'), delta: 1n });
    a.linkDown(2);
    expect(await outcome).toMatchObject({ kind: 'lost', message: expect.stringMatching(/dropped/) });
  });

  it(`bounds the requests in flight to one peer at ${FORWARDS_IN_FLIGHT_MAX}`, async () => {
    const { a, link } = pair(() => {});
    link.deliver = false;
    for (let i = 0; i < FORWARDS_IN_FLIGHT_MAX; i++) a.forward(2, 0, { op: 'get', key: bytes('k') }, () => {});
    expect(await outcomeOf(a, { op: 'get', key: bytes('k') })).toMatchObject({ kind: 'not-sent', code: 'OVERLOADED' });
    a.close();
    expect(a.inFlight).toBe(0);
  });
});
