// What replicas of the same group on different nodes send each other: one
// Raft message, addressed by group (the replica is the message's `to`).
// Workers leave these in their outbox; schema/peer-codec.ts puts them on the
// wire in batches.

import type { Message } from '../raft/raft-types.js';

export interface PeerFrame {
  readonly group: number;
  readonly message: Message;
}
