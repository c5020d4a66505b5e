// GroupLane (core/routing/group-lane.ts): a group's requests go out in
// arrival order, one put back goes before every later one, and none goes to
// a new destination while earlier ones are out elsewhere.

import { expect, it } from 'vitest';
import { GroupLane } from '../../../core/routing/group-lane.js';

interface Item { seq: number; name: string }

/** A lane whose sender takes each head to `destinationOf()` while it may, logging "name->destination". */
function laneLoggingTo(destinationOf: () => string): { lane: GroupLane<Item, string>; sent: string[]; add: (name: string) => Item } {
  const sent: string[] = [];
  const lane: GroupLane<Item, string> = new GroupLane(() => {
    for (let item = lane.head; item !== undefined; item = lane.head) {
      const to = destinationOf();
      if (!lane.mayGoTo(to)) return;
      lane.shift();
      lane.sent(to);
      sent.push(`${item.name}->${to}`);
    }
  });
  const add = (name: string): Item => {
    const item = { seq: lane.nextSeq(), name };
    lane.add(item);
    lane.pump();
    return item;
  };
  return { lane, sent, add };
}

it('sends in arrival order to one destination without waiting', () => {
  const { lane, sent, add } = laneLoggingTo(() => 'x');
  add('a');
  add('b');
  add('c');
  expect(sent).toEqual(['a->x', 'b->x', 'c->x']);
  expect(lane.outstandingCount).toBe(3);
  expect(lane.waitingCount).toBe(0);
});

it('holds later requests for a new destination until the earlier ones are answered', () => {
  let to = 'x';
  const { lane, sent, add } = laneLoggingTo(() => to);
  add('a');
  add('b');
  to = 'y'; // the leader moved: a and b are still out at x
  add('c');
  add('d');
  expect(sent).toEqual(['a->x', 'b->x']);
  lane.answered();
  lane.pump();
  expect(sent).toEqual(['a->x', 'b->x']);
  lane.answered();
  lane.pump();
  expect(sent).toEqual(['a->x', 'b->x', 'c->y', 'd->y']);
});

it('a request put back goes before every later one, in seq order', () => {
  let to = 'x';
  const { lane, sent, add } = laneLoggingTo(() => to);
  const a = add('a');
  const b = add('b');
  to = 'y';
  add('c');
  // x refuses b, then a (answers in any order): both go back ahead of c, a first.
  lane.answered();
  lane.putBack(b);
  lane.answered();
  lane.putBack(a);
  lane.pump();
  expect(sent).toEqual(['a->x', 'b->x', 'a->y', 'b->y', 'c->y']);
});

it('a call to pump from inside a send runs again instead of nesting', () => {
  const sent: string[] = [];
  let depth = 0;
  let deepest = 0;
  const lane: GroupLane<Item, string> = new GroupLane(() => {
    depth++;
    deepest = Math.max(deepest, depth);
    for (let item = lane.head; item !== undefined; item = lane.head) {
      lane.shift();
      lane.sent('x');
      sent.push(item.name);
      // Answered at once, and the answer's callback asks the lane to go on.
      lane.answered();
      lane.pump();
    }
    depth--;
  });
  for (const name of ['a', 'b', 'c']) lane.add({ seq: lane.nextSeq(), name });
  lane.pump();
  expect(sent).toEqual(['a', 'b', 'c']);
  expect(deepest).toBe(1);
});

it('asserts its rules: new requests in seq order, one destination at a time, no answer without a send', () => {
  const lane = new GroupLane<Item, string>(() => {});
  lane.nextSeq();
  expect(() => lane.add({ seq: 5, name: 'wrong' })).toThrow(/order their seq was drawn/);
  expect(() => lane.answered()).toThrow(/did not send/);
  lane.sent('x');
  expect(() => lane.sent('y')).toThrow(/one destination at a time/);
});
