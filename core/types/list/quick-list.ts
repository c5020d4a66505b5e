// A list's working form, as Redis's quicklist: a chain of nodes, each one
// byte buffer holding a run of elements (list-element.ts) of at most
// LIST_NODE_BYTES_MAX bytes. Pushes and pops at either end touch one node
// (O(1) amortized: a node's buffer keeps slack on the side it grows);
// LINDEX / LSET walk node counts, then one node (O(n / node size)).
// Changes in the middle (LSET, LINSERT, LREM) re-pack the one node they
// touch into exact-size nodes.
//
// A large list is this object, kept by the store beside its record
// (core/store/collection.ts) and changed in place through KeyAccess.edit; a
// small one is stored as its compact bytes (list-compact.ts) and read into a
// one-node QuickList to be worked on.
//
// Memory: an element costs its payload plus one header byte (integers less),
// a node its buffer's slack plus NODE_OVERHEAD_BYTES; no object per element.
//
// Replication: encode() is the exact image (every node's capacity, start and
// bytes), and decode() rebuilds the identical layout, so a replica restored
// from a snapshot grows, splits and reports memory exactly as the writer.

import { assert } from '../../assert.js';
import type { Collection } from '../../store/collection.js';
import { ValueType } from '../../store/value-type.js';
import { countElements, elementBytes, elementEnd, elementIs, readElement, writeElement } from './list-element.js';

/** A node's bytes at most: Redis's list-max-listpack-size -2 (8 KiB), big enough that node overhead is ~1%, small enough that a change inside one is cheap. */
export const LIST_NODE_BYTES_MAX = 8 * 1024;
/** A new node's first buffer: small lists of a few short elements stay small; the buffer doubles as it fills. */
const NODE_BYTES_INITIAL = 64;
/** What V8 holds for one node beyond its bytes (the node object, its Uint8Array and ArrayBuffer, its slot in the chain): an estimate for accounting. */
const NODE_OVERHEAD_BYTES = 200;
/** The list object and its chain array, beyond the nodes. */
const LIST_OVERHEAD_BYTES = 120;

/** First byte of a large list's image (encode()); the compact form starts with LIST_COMPACT_TAG (list-compact.ts). */
export const LIST_LARGE_TAG = 0x4c; // 'L'

class ListNode {
  constructor(
    public bytes: Uint8Array,
    /** Elements live in bytes[start, end). */
    public start: number,
    public end: number,
    public count: number,
  ) {}

  get used(): number {
    return this.end - this.start;
  }
}

/** Offset of the k-th element of `node`. */
function offsetIn(node: ListNode, k: number): number {
  let off = node.start;
  for (let i = 0; i < k; i++) off = elementEnd(node.bytes, off);
  return off;
}

/** Offsets of every element of `node`, plus its end. */
function offsetsOf(node: ListNode): number[] {
  const out: number[] = [];
  for (let off = node.start; off < node.end; off = elementEnd(node.bytes, off)) out.push(off);
  out.push(node.end);
  return out;
}

function elementsOf(node: ListNode): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let off = node.start; off < node.end; off = elementEnd(node.bytes, off)) out.push(readElement(node.bytes, off));
  return out;
}

/** Elements packed front to back into exact-size nodes of at most LIST_NODE_BYTES_MAX (an element larger than that alone in its node). */
function packNodes(elements: readonly Uint8Array[]): ListNode[] {
  const nodes: ListNode[] = [];
  let i = 0;
  while (i < elements.length) {
    let bytes = elementBytes(elements[i]!);
    let j = i + 1;
    while (j < elements.length) {
      const next = elementBytes(elements[j]!);
      if (bytes + next > LIST_NODE_BYTES_MAX) break;
      bytes += next;
      j++;
    }
    const buf = new Uint8Array(bytes);
    let off = 0;
    for (let k = i; k < j; k++) off = writeElement(buf, off, elements[k]!);
    nodes.push(new ListNode(buf, 0, bytes, j - i));
    i = j;
  }
  return nodes;
}

/** Where an element is: its node's index in the chain and its place in the node. */
interface Place { ni: number; k: number }

export type ElementVisitor = (buf: Uint8Array, off: number, end: number, index: number) => boolean;

export class QuickList implements Collection {
  readonly type = ValueType.LIST;
  private nodes: ListNode[] = [];
  private elementCount = 0;
  private capacityBytes = 0;
  private usedBytes = 0;

  get length(): number {
    return this.elementCount;
  }

  /** Bytes of the elements' encodings (what the compact form would take, less its tag). */
  get encodedBytes(): number {
    return this.usedBytes;
  }

  get nodeCount(): number {
    return this.nodes.length;
  }

  get memoryBytes(): number {
    return LIST_OVERHEAD_BYTES + this.capacityBytes + this.nodes.length * NODE_OVERHEAD_BYTES;
  }

  /** A list of these elements in one node each LIST_NODE_BYTES_MAX (packed). */
  static of(elements: readonly Uint8Array[]): QuickList {
    const list = new QuickList();
    list.insertNodes(0, packNodes(elements));
    return list;
  }

  /** A one-node list over a copy of a run of elements (a compact form's body), holding `count` of them. */
  static ofRun(run: Uint8Array, count: number): QuickList {
    const list = new QuickList();
    if (count > 0) list.insertNodes(0, [new ListNode(run.slice(), 0, run.length, count)]);
    return list;
  }

  /** Every element's bytes, front to back, in one run (the compact form's body). */
  run(): Uint8Array {
    const out = new Uint8Array(this.usedBytes);
    let at = 0;
    for (const node of this.nodes) {
      out.set(node.bytes.subarray(node.start, node.end), at);
      at += node.used;
    }
    return out;
  }

  // ---- ends ----------------------------------------------------------------

  pushTail(v: Uint8Array): void {
    const need = elementBytes(v);
    let node = this.nodes[this.nodes.length - 1];
    if (node === undefined || node.used + need > LIST_NODE_BYTES_MAX) {
      node = this.newNode(this.nodes.length, need, false);
    } else if (node.bytes.length - node.end < need) {
      this.makeRoom(node, need, false);
    }
    node.end = writeElement(node.bytes, node.end, v);
    this.added(node, need);
  }

  pushHead(v: Uint8Array): void {
    const need = elementBytes(v);
    let node = this.nodes[0];
    if (node === undefined || node.used + need > LIST_NODE_BYTES_MAX) {
      node = this.newNode(0, need, true);
    } else if (node.start < need) {
      this.makeRoom(node, need, true);
    }
    node.start -= need;
    writeElement(node.bytes, node.start, v);
    this.added(node, need);
  }

  popHead(): Uint8Array | undefined {
    const node = this.nodes[0];
    if (node === undefined) return undefined;
    const v = readElement(node.bytes, node.start);
    this.removeHead(1);
    return v;
  }

  popTail(): Uint8Array | undefined {
    const node = this.nodes[this.nodes.length - 1];
    if (node === undefined) return undefined;
    const v = readElement(node.bytes, offsetIn(node, node.count - 1));
    this.removeTail(1);
    return v;
  }

  /** Drop the first n elements (n <= length): whole nodes at once, then part of one. */
  removeHead(n: number): void {
    assert(n >= 0 && n <= this.elementCount, 'removeHead beyond the list');
    while (n > 0) {
      const node = this.nodes[0]!;
      if (node.count <= n) {
        n -= node.count;
        this.dropNodes(0, 1);
        continue;
      }
      const off = offsetIn(node, n);
      this.usedBytes -= off - node.start;
      node.start = off;
      node.count -= n;
      this.elementCount -= n;
      n = 0;
    }
  }

  /** Drop the last n elements (n <= length). */
  removeTail(n: number): void {
    assert(n >= 0 && n <= this.elementCount, 'removeTail beyond the list');
    while (n > 0) {
      const ni = this.nodes.length - 1;
      const node = this.nodes[ni]!;
      if (node.count <= n) {
        n -= node.count;
        this.dropNodes(ni, 1);
        continue;
      }
      const off = offsetIn(node, node.count - n);
      this.usedBytes -= node.end - off;
      node.end = off;
      node.count -= n;
      this.elementCount -= n;
      n = 0;
    }
  }

  // ---- by index --------------------------------------------------------------

  /** The element at 0 <= index < length. */
  at(index: number): Uint8Array {
    const { ni, k } = this.locate(index);
    const node = this.nodes[ni]!;
    return readElement(node.bytes, offsetIn(node, k));
  }

  /** Replace the element at 0 <= index < length. */
  set(index: number, v: Uint8Array): void {
    const { ni, k } = this.locate(index);
    const elements = elementsOf(this.nodes[ni]!);
    elements[k] = v;
    this.replaceNode(ni, elements);
  }

  /** Insert `v` before the element at 0 <= index <= length (length: at the tail). */
  insert(index: number, v: Uint8Array): void {
    if (index === 0) return this.pushHead(v);
    if (index === this.elementCount) return this.pushTail(v);
    const { ni, k } = this.locate(index);
    const elements = elementsOf(this.nodes[ni]!);
    elements.splice(k, 0, v);
    this.replaceNode(ni, elements);
  }

  /** Elements [start, stop] (0 <= start <= stop < length), front to back. */
  range(start: number, stop: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    this.forEachFrom(start, (buf, off, _end, index) => {
      out.push(readElement(buf, off));
      return index < stop;
    });
    return out;
  }

  /** Visit elements from `index` towards the tail while `visit` returns true. */
  forEachFrom(index: number, visit: ElementVisitor): void {
    if (index >= this.elementCount) return;
    const place = this.locate(index);
    let i = index;
    for (let ni = place.ni; ni < this.nodes.length; ni++) {
      const node = this.nodes[ni]!;
      let off = ni === place.ni ? offsetIn(node, place.k) : node.start;
      while (off < node.end) {
        const end = elementEnd(node.bytes, off);
        if (!visit(node.bytes, off, end, i++)) return;
        off = end;
      }
    }
  }

  /** Visit elements from the tail towards the head while `visit` returns true. */
  forEachBackward(visit: ElementVisitor): void {
    let i = this.elementCount - 1;
    for (let ni = this.nodes.length - 1; ni >= 0; ni--) {
      const node = this.nodes[ni]!;
      const offsets = offsetsOf(node);
      for (let j = node.count - 1; j >= 0; j--) {
        if (!visit(node.bytes, offsets[j]!, offsets[j + 1]!, i--)) return;
      }
    }
  }

  /**
   * Remove elements encoded as `needle` (encodeElement), at most `max` of
   * them (0: all), from the head or from the tail; returns how many went.
   */
  removeMatching(needle: Uint8Array, max: number, fromTail: boolean): number {
    let removed = 0;
    const more = (): boolean => max === 0 || removed < max;
    const step = fromTail ? -1 : 1;
    for (let ni = fromTail ? this.nodes.length - 1 : 0; ni >= 0 && ni < this.nodes.length && more();) {
      const node = this.nodes[ni]!;
      const offsets = offsetsOf(node);
      const gone = new Uint8Array(node.count);
      let hits = 0;
      for (let n = 0; n < node.count && more(); n++) {
        const j = fromTail ? node.count - 1 - n : n;
        if (elementIs(node.bytes, offsets[j]!, offsets[j + 1]!, needle)) {
          gone[j] = 1;
          hits++;
          removed++;
        }
      }
      let added = 1;
      if (hits > 0) {
        const kept: Uint8Array[] = [];
        for (let j = 0; j < node.count; j++) if (gone[j] === 0) kept.push(readElement(node.bytes, offsets[j]!));
        added = this.replaceNode(ni, kept);
      }
      ni += fromTail ? step : added;
    }
    return removed;
  }

  // ---- the chain -------------------------------------------------------------

  private locate(index: number): Place {
    assert(index >= 0 && index < this.elementCount, () => `index ${index} outside a list of ${this.elementCount}`);
    if (index < this.elementCount / 2) {
      let ni = 0;
      while (index >= this.nodes[ni]!.count) index -= this.nodes[ni++]!.count;
      return { ni, k: index };
    }
    let fromEnd = this.elementCount - 1 - index;
    let ni = this.nodes.length - 1;
    while (fromEnd >= this.nodes[ni]!.count) fromEnd -= this.nodes[ni--]!.count;
    return { ni, k: this.nodes[ni]!.count - 1 - fromEnd };
  }

  private added(node: ListNode, bytes: number): void {
    node.count++;
    this.elementCount++;
    this.usedBytes += bytes;
  }

  /** A new empty node at chain position `at`, with room for `need` bytes on the side it grows. */
  private newNode(at: number, need: number, atHead: boolean): ListNode {
    const capacity = Math.max(need, NODE_BYTES_INITIAL);
    const node = new ListNode(new Uint8Array(capacity), atHead ? capacity : 0, atHead ? capacity : 0, 0);
    this.insertNodes(at, [node]);
    return node;
  }

  /**
   * Make `need` bytes free before (atHead) or after a node's elements, which
   * with them fit LIST_NODE_BYTES_MAX: grow the buffer (doubling) when it is
   * too small, else move the elements; the slack left is split, so pushes
   * on both ends do not move them back and forth each time.
   */
  private makeRoom(node: ListNode, need: number, atHead: boolean): void {
    const used = node.used;
    const oldCapacity = node.bytes.length;
    const capacity = used + need <= oldCapacity ? oldCapacity : Math.min(LIST_NODE_BYTES_MAX, Math.max(used + need, oldCapacity * 2));
    const spare = Math.floor((capacity - used - need) / 2);
    const start = atHead ? need + spare : spare;
    if (capacity === oldCapacity) {
      node.bytes.copyWithin(start, node.start, node.end);
    } else {
      const bytes = new Uint8Array(capacity);
      bytes.set(node.bytes.subarray(node.start, node.end), start);
      node.bytes = bytes;
      this.capacityBytes += capacity - oldCapacity;
    }
    node.start = start;
    node.end = start + used;
  }

  private insertNodes(at: number, nodes: readonly ListNode[]): void {
    this.nodes.splice(at, 0, ...nodes);
    for (const node of nodes) {
      this.capacityBytes += node.bytes.length;
      this.usedBytes += node.used;
      this.elementCount += node.count;
    }
  }

  private dropNodes(at: number, n: number): void {
    for (const node of this.nodes.splice(at, n)) {
      this.capacityBytes -= node.bytes.length;
      this.usedBytes -= node.used;
      this.elementCount -= node.count;
    }
  }

  /** Replace node `ni` by these elements packed into nodes; returns how many nodes took its place (0 when none are left). */
  private replaceNode(ni: number, elements: readonly Uint8Array[]): number {
    const packed = packNodes(elements);
    this.dropNodes(ni, 1);
    this.insertNodes(ni, packed);
    return packed.length;
  }

  // ---- image -----------------------------------------------------------------

  /** The exact image: LIST_LARGE_TAG, node count, then each node's capacity, start, byte length and bytes (varints). */
  encode(): Uint8Array {
    const out = new ImageWriter(1 + 10 + this.nodes.length * 15 + this.usedBytes);
    out.byte(LIST_LARGE_TAG);
    out.varint(this.nodes.length);
    for (const node of this.nodes) {
      out.varint(node.bytes.length);
      out.varint(node.start);
      out.varint(node.used);
      out.bytes(node.bytes.subarray(node.start, node.end));
    }
    return out.done();
  }

  /** The list an image describes (the same layout), or why the bytes are not one. */
  static decode(image: Uint8Array): QuickList | string {
    const input = new ImageReader(image);
    if (input.byte() !== LIST_LARGE_TAG) return 'not a large list image';
    const nodeCount = input.varint();
    const nodes: ListNode[] = [];
    for (let i = 0; i < nodeCount && !input.failed; i++) {
      const capacity = input.varint();
      const start = input.varint();
      const used = input.varint();
      const run = input.bytes(used);
      if (input.failed) break;
      if (used === 0 || start + used > capacity) return `node ${i} does not fit its buffer`;
      // No buffer is ever made larger (makeRoom stops at the maximum; a larger element gets an exact one).
      if (capacity > Math.max(LIST_NODE_BYTES_MAX, used)) return `node ${i} has a buffer of ${capacity} bytes`;
      const count = countElements(run, 0, run.length);
      if (typeof count === 'string') return `node ${i}: ${count}`;
      if (used > LIST_NODE_BYTES_MAX && count > 1) return `node ${i} is over ${LIST_NODE_BYTES_MAX} bytes`;
      const bytes = new Uint8Array(capacity);
      bytes.set(run, start);
      nodes.push(new ListNode(bytes, start, start + used, count));
    }
    if (input.failed || !input.atEnd) return 'a truncated or overlong large list image';
    const list = new QuickList();
    list.insertNodes(0, nodes);
    return list;
  }
}

/** Bytes out, growing as needed. */
class ImageWriter {
  private buf: Uint8Array;
  private at = 0;

  constructor(estimate: number) {
    this.buf = new Uint8Array(estimate);
  }

  private ensure(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.at + n));
    bigger.set(this.buf.subarray(0, this.at));
    this.buf = bigger;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.at++] = b;
  }

  varint(n: number): void {
    while (n >= 0x80) {
      this.byte((n % 0x80) | 0x80);
      n = Math.floor(n / 0x80);
    }
    this.byte(n);
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.at);
    this.at += b.length;
  }

  done(): Uint8Array {
    return this.buf.slice(0, this.at);
  }
}

/** Bytes in; any read past the end (or an overlong varint) sets `failed` instead of throwing. */
class ImageReader {
  private at = 0;
  failed = false;

  constructor(private readonly buf: Uint8Array) {}

  get atEnd(): boolean {
    return this.at === this.buf.length;
  }

  byte(): number {
    if (this.at >= this.buf.length) {
      this.failed = true;
      return 0;
    }
    return this.buf[this.at++]!;
  }

  varint(): number {
    let n = 0;
    let scale = 1;
    for (let i = 0; i < 7; i++) {
      const b = this.byte();
      n += (b & 0x7f) * scale;
      if (b < 0x80) return n;
      scale *= 0x80;
    }
    this.failed = true;
    return 0;
  }

  bytes(n: number): Uint8Array {
    if (this.at + n > this.buf.length) {
      this.failed = true;
      return new Uint8Array(0);
    }
    const out = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }
}
