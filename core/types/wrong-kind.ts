// The error a command gets on a key holding another type: Redis's words
// (clients match on them), sent as WRONGTYPE on RESP and WRONG_TYPE elsewhere.

import { errReply, type ErrReply } from '../protocol/ops.js';

export const WRONG_KIND_MESSAGE = 'Operation against a key holding the wrong kind of value';

export function wrongKind(): ErrReply {
  return errReply('WRONG_TYPE', WRONG_KIND_MESSAGE);
}
