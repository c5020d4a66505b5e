// Arbitrary data command requests and reply trees (core/protocol/data-value.ts), for codec round trips.

import fc from 'fast-check';
import type { DataValue } from '../../core/protocol/data-value.js';
import type { CallRequest } from '../../core/protocol/ops.js';

const arbBytes = fc.uint8Array({ maxLength: 12 });

const { tree } = fc.letrec<{ tree: DataValue }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant<DataValue>({ t: 'nil' }),
    fc.constant<DataValue>({ t: 'nilArray' }),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((v): DataValue => ({ t: 'int', v })),
    arbBytes.map((v): DataValue => ({ t: 'bytes', v })),
    fc.double().map((v): DataValue => ({ t: 'double', v })),
    fc.constantFrom('OK', 'QUEUED', 'none').map((v): DataValue => ({ t: 'status', v })),
    fc.array(tie('tree'), { maxLength: 4 }).map((v): DataValue => ({ t: 'array', v })),
    fc.array(tie('tree'), { maxLength: 4 }).map((v): DataValue => ({ t: 'set', v })),
    fc.array(fc.tuple(tie('tree'), tie('tree')), { maxLength: 3 }).map((pairs): DataValue => ({ t: 'map', v: pairs.flat() })),
    fc.array(fc.tuple(tie('tree'), tie('tree')), { maxLength: 3 }).map((pairs): DataValue => ({ t: 'pairs', v: pairs.flat() })),
  ),
}));

export const arbDataValue: fc.Arbitrary<DataValue> = tree;

export const arbCallRequest: fc.Arbitrary<CallRequest> = fc.record({
  op: fc.constant('call' as const),
  name: fc.constantFrom('type', 'hset', 'zrange', 'lpush'),
  args: fc.array(arbBytes, { minLength: 1, maxLength: 5 }),
});
