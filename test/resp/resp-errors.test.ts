// Redis Cluster's redirect words (core/resp/resp-errors.ts): MOVED names a
// slot, so a keyless request turned away (slot -1) is TRYAGAIN, never
// "MOVED -1", which no cluster client can follow (ioredis dropped its
// connection on one in a clean-clone CI run, 2026-12-03).

import { describe, expect, it } from 'vitest';
import { errReply } from '../../core/protocol/ops.js';
import { errorText } from '../../core/resp/resp-errors.js';

function notLeader(slot: number, resp: string | null) {
  const reply = errReply('NOT_LEADER', 'group 2 is led by node 3');
  reply.redirect = { slot, resp, http: '127.0.0.1:7003' };
  return reply;
}

describe('NOT_LEADER on the RESP door', () => {
  it('is MOVED to the leader for a keyed request, TRYAGAIN without a leader or without a slot', () => {
    expect(errorText(notLeader(12_182, '127.0.0.1:6003'))).toBe('MOVED 12182 127.0.0.1:6003');
    expect(errorText(notLeader(12_182, null))).toMatch(/^TRYAGAIN /);
    expect(errorText(notLeader(-1, '127.0.0.1:6003'))).toMatch(/^TRYAGAIN /);
  });
});
