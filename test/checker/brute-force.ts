// An obviously-correct (and exponential) linearizability check for tiny
// histories, written independently of the checker to cross-check it: try
// every order of the operations that respects real time, with each
// info/unfinished op either placed somewhere after its invoke or left out.

import type { Operation, RegisterValue } from '../../core/checker/index.js';

function asInt(v: RegisterValue): bigint | null {
  if (v === null) return 0n;
  if (!/^(0|-?[1-9][0-9]*)$/.test(v)) return null;
  const n = BigInt(v);
  return n >= -(1n << 63n) && n < (1n << 63n) ? n : null;
}

/** The register after `op` in `state`, or undefined if it cannot take effect there. */
function apply(op: Operation, state: RegisterValue): RegisterValue | undefined {
  switch (op.f) {
    case 'read': return op.type !== 'ok' || op.value === state ? state : undefined;
    case 'write': return op.value as string;
    case 'delete': return null;
    case 'cas': {
      const [expected, next] = op.value as [RegisterValue, RegisterValue];
      return state === expected ? next : undefined;
    }
    case 'incr': {
      const base = asInt(state);
      if (base === null) return undefined;
      const sum = base + BigInt(op.delta!);
      if (sum < -(1n << 63n) || sum >= (1n << 63n)) return undefined;
      if (op.type === 'ok') return sum === asInt(op.value as string) ? op.value as string : undefined;
      return sum.toString();
    }
  }
}

export function bruteForceLinearizable(ops: readonly Operation[]): boolean {
  const live = ops.filter((op) => op.type !== 'fail');
  const required = (op: Operation) => op.type === 'ok';
  const search = (remaining: Operation[], state: RegisterValue): boolean => {
    if (!remaining.some(required)) return true;
    for (const x of remaining) {
      // x may go next unless some op still to place returned before x was invoked.
      const blocked = remaining.some((y) => y !== x && required(y) && y.returnIndex! < x.invokeIndex);
      if (blocked) continue;
      const after = apply(x, state);
      if (after !== undefined && search(remaining.filter((y) => y !== x), after)) return true;
    }
    return false;
  };
  return search(live, null);
}
