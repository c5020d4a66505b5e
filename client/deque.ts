// A first-in-first-out queue with O(1) push, shift and indexed reads: the
// client keeps every pipelined call in one of these, and a plain array's
// shift() is O(n), which turns a deep pipeline quadratic.

import { assert } from '../core/assert.js';

/** Starting capacity; grows by doubling, so a deep pipeline costs a few copies. */
const INITIAL_CAPACITY = 16;

export class Deque<T> {
  private slots: (T | undefined)[] = new Array<T | undefined>(INITIAL_CAPACITY);
  private head = 0;
  private count = 0;

  get length(): number {
    return this.count;
  }

  push(item: T): void {
    if (this.count === this.slots.length) this.grow();
    this.slots[(this.head + this.count) % this.slots.length] = item;
    this.count++;
  }

  /** Removes and returns the oldest item; undefined when empty. */
  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.slots[this.head];
    this.slots[this.head] = undefined; // let the item be collected
    this.head = (this.head + 1) % this.slots.length;
    this.count--;
    return item;
  }

  /** The item `index` places behind the oldest (0 = oldest). */
  at(index: number): T {
    assert(Number.isInteger(index) && index >= 0 && index < this.count, `deque index ${index} out of 0..${this.count - 1}`);
    return this.slots[(this.head + index) % this.slots.length]!;
  }

  peek(): T | undefined {
    return this.count === 0 ? undefined : this.slots[this.head];
  }

  /** Removes every item, oldest first. */
  drain(): T[] {
    const items: T[] = [];
    for (let item = this.shift(); item !== undefined; item = this.shift()) items.push(item);
    return items;
  }

  private grow(): void {
    const bigger = new Array<T | undefined>(this.slots.length * 2);
    for (let i = 0; i < this.count; i++) bigger[i] = this.slots[(this.head + i) % this.slots.length];
    this.slots = bigger;
    this.head = 0;
  }
}
