// Where Piccolo's IO thread spends its time under redis-benchmark: the
// thread's non-idle samples grouped by layer (the RESP door, dispatch and
// rings, sockets, GC), from the V8 .cpuprofile that node --cpu-prof writes.

import { walkBusySamples, type ProfileFrame, type ProfileWindow } from './cpu-profile.js';

export const LAYERS = [
  'RESP door: parse, translate, order, encode (runtime-node/io/resp-*, core/resp/*)',
  'dispatch, rings, worker wake-ups (core/node, core/ring, core/routing, runtime-node/io/worker-pool)',
  'sockets and Node streams (net, streams, Buffer, native writes)',
  'garbage collector',
  'other (startup, timers, V8 internals)',
] as const;
export type Layer = (typeof LAYERS)[number];

function layerOf(frame: ProfileFrame): Layer {
  const { url, functionName } = frame;
  if (functionName === '(garbage collector)') return LAYERS[3];
  if (/\/runtime-node\/io\/resp-[^/]*$|\/core\/resp\//.test(url)) return LAYERS[0];
  if (/\/core\/(node|ring|routing|protocol)\/|\/runtime-node\/io\/worker-pool/.test(url)) return LAYERS[1];
  if (/^node:(net|buffer|stream|internal\/(streams|stream_base_commons|buffer|net))/.test(url)
    || (url === '' && /^(writeBuffer|writev|writeUtf8String|writeLatin1String|onStreamRead|FastBuffer)$/.test(functionName))) {
    return LAYERS[2];
  }
  return LAYERS[4];
}

/** Share of the thread's non-idle time per layer, counting only samples inside `window` when given. */
export function layerShares(path: string, window?: ProfileWindow): { busyMs: number; shares: Map<Layer, number> } {
  const us = new Map<Layer, number>(LAYERS.map((l) => [l, 0]));
  const { busyUs } = walkBusySamples(path, window, (frame, delta) => {
    const layer = layerOf(frame);
    us.set(layer, us.get(layer)! + delta);
  });
  const shares = new Map<Layer, number>();
  for (const [layer, t] of us) shares.set(layer, busyUs > 0 ? t / busyUs : 0);
  return { busyMs: busyUs / 1000, shares };
}
