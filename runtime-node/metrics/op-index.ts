// An op's index in OP_NAMES, by a switch rather than a string-keyed lookup:
// the request path calls this once per request (V8 compares the internalized
// op strings by identity).

import { unreachable } from '../../core/assert.js';
import { OP_NAMES, type OpName } from '../../core/protocol/ops.js';

export const OP_COUNT = OP_NAMES.length;

export function opIndex(op: OpName): number {
  switch (op) {
    case 'get': return 0;
    case 'set': return 1;
    case 'del': return 2;
    case 'incr': return 3;
    case 'incrFloat': return 4;
    case 'append': return 5;
    case 'exists': return 6;
    case 'ttl': return 7;
    case 'expire': return 8;
    case 'getRange': return 9;
    case 'setRange': return 10;
    case 'getEx': return 11;
    case 'scan': return 12;
    case 'mget': return 13;
    case 'mset': return 14;
    case 'count': return 15;
    case 'flush': return 16;
    case 'tx': return 17;
    case 'call': return 18;
    default: return unreachable(op, 'op');
  }
}
