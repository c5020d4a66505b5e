// CLUSTER COUNTKEYSINSLOT slot and CLUSTER GETKEYSINSLOT slot count: the keys
// of one slot that this node serves. Piccolo keeps no per-slot index (slots
// never migrate between groups, so nothing else needs one): both walk the
// slot's group with the node-wide scan, from the group's first cursor until
// the scan moves past the group, keeping the keys whose slot matches. So
// they cost O(keys in the group), in pages of scanLimitMax as KEYS does,
// where Redis's cost O(log N); they are for tools and tests, not hot paths.
// A group this node does not lead answers 0 / empty (the router's rule for
// keyless requests), as a Redis node that does not serve the slot.

import { bytesToBinaryString } from '../../core/bytes.js';
import { decodeScanCursor, encodeScanCursor } from '../../core/routing/split.js';
import { SLOT_COUNT, slotOf } from '../../core/routing/slot-hash.js';
import { errorText } from '../../core/resp/resp-errors.js';
import { parseInt64Number } from '../../core/resp/resp-numbers.js';
import type { SlotMap } from '../../core/routing/slot-map.js';
import { bulk, fail, integer, reply, type CommandCall } from './resp-command-context.js';

export const INVALID_SLOT_ERROR = 'ERR Invalid slot';
export const INVALID_SLOT_OR_COUNT_ERROR = 'ERR Invalid slot or number of keys';

const EMPTY = new Uint8Array(0);

/** Walks `slot`'s group, handing each key of the slot to `onKey` until it returns false; then `done`. */
function walkSlot(call: CommandCall, slots: SlotMap, slot: number, onKey: (key: Uint8Array) => boolean, done: () => void): void {
  const group = slots.shardOf(slot);
  const page = (cursor: Uint8Array): void => {
    call.node.execute({ op: 'scan', prefix: EMPTY, cursor, limit: call.node.limits.scanLimitMax }, (r) => {
      if (!r.ok) return call.done(fail(errorText(r)));
      for (const item of r.scanItems ?? []) {
        if (slotOf(item.key) === slot && !onKey(item.key)) return done();
      }
      const next = r.cursor ?? EMPTY;
      const at = next.length === 0 ? null : decodeScanCursor(next, slots.shardCount);
      if (at === null || at.shard !== group) return done();
      page(next);
    });
  };
  page(encodeScanCursor(group, EMPTY));
}

function slotArg(bytes: Uint8Array): number | null {
  const slot = parseInt64Number(bytes);
  return slot !== null && slot >= 0 && slot < SLOT_COUNT ? slot : null;
}

export function runCountKeysInSlot(call: CommandCall, slots: SlotMap): void {
  const slot = slotArg(call.args[1]!);
  if (slot === null) return call.done(fail(INVALID_SLOT_ERROR));
  let count = 0;
  walkSlot(call, slots, slot, () => { count++; return true; }, () => call.done(reply(integer(count))));
}

export function runGetKeysInSlot(call: CommandCall, slots: SlotMap): void {
  const slot = slotArg(call.args[1]!);
  const countMax = parseInt64Number(call.args[2]!);
  if (slot === null || countMax === null || countMax < 0) return call.done(fail(INVALID_SLOT_OR_COUNT_ERROR));
  const keys: Uint8Array[] = [];
  const finish = (): void => call.done(reply({ type: 'array', items: keys.map((k) => bulk(k)) }));
  if (countMax === 0) return finish();
  // A key may come twice if the group's index shrinks meanwhile (SCAN's guarantee); it is listed once.
  const seen = new Set<string>();
  walkSlot(call, slots, slot, (key) => {
    const id = bytesToBinaryString(key);
    if (!seen.has(id)) {
      seen.add(id);
      keys.push(key);
    }
    return keys.length < countMax;
  }, finish);
}
