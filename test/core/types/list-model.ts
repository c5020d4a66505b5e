// A plain model of Redis 7's list commands, written from Redis's documented
// semantics (not from core/types/list/): each key holds an array of strings,
// or 'string' (a key SET as a string, for WRONGTYPE). Replies are plain data
// in the shape `plainReply` (list-model.test.ts) turns the shard's into.

export type ModelValue = string[] | 'string';
export type Plain = null | 'nilArray' | number | string | Plain[] | { err: string };

export const WRONGTYPE: Plain = { err: 'WRONG_TYPE Operation against a key holding the wrong kind of value' };
const err = (message: string): Plain => ({ err: `BAD_REQUEST ${message}` });
const NOT_INT = err('value is not an integer or out of range');
const SYNTAX = err('syntax error');

const isInt = (s: string): boolean => /^-?(0|[1-9][0-9]{0,17})$/.test(s) && s !== '-0';

export class ListModel {
  readonly keys = new Map<string, ModelValue>();

  private list(key: string): string[] | null | 'wrong' {
    const v = this.keys.get(key);
    if (v === undefined) return null;
    return v === 'string' ? 'wrong' : v;
  }

  private store(key: string, list: string[]): void {
    if (list.length === 0) this.keys.delete(key);
    else this.keys.set(key, list);
  }

  run(name: string, args: string[]): Plain {
    const key = args[0]!;
    switch (name) {
      case 'lpush': case 'rpush': case 'lpushx': case 'rpushx': {
        const l = this.list(key);
        if (l === 'wrong') return WRONGTYPE;
        if (name.endsWith('x') && l === null) return 0;
        const list = l ?? [];
        for (const v of args.slice(1)) if (name[0] === 'l') list.unshift(v); else list.push(v);
        this.store(key, list);
        return list.length;
      }
      case 'lpop': case 'rpop': {
        const hasCount = args.length === 2;
        let count = 1;
        if (hasCount) {
          if (!isInt(args[1]!)) return NOT_INT;
          count = Number(args[1]);
          if (count < 0) return err('value is out of range, must be positive');
        }
        const l = this.list(key);
        if (l === 'wrong') return WRONGTYPE;
        if (l === null) return hasCount ? 'nilArray' : null;
        if (hasCount && count === 0) return [];
        const out = name === 'lpop' ? l.splice(0, count) : l.splice(Math.max(0, l.length - count)).reverse();
        this.store(key, l);
        return hasCount ? out : out[0]!;
      }
      case 'llen': {
        const l = this.list(key);
        if (l === 'wrong') return WRONGTYPE;
        return l?.length ?? 0;
      }
      case 'lrange': {
        if (!isInt(args[1]!) || !isInt(args[2]!)) return NOT_INT;
        const l = this.list(key);
        if (l === 'wrong') return WRONGTYPE;
        if (l === null) return [];
        let start = Number(args[1]);
        let stop = Number(args[2]);
        if (start < 0) start += l.length;
        if (stop < 0) stop += l.length;
        if (start < 0) start = 0;
        if (start > stop || start >= l.length) return [];
        return l.slice(start, Math.min(stop, l.length - 1) + 1);
      }
      case 'lindex': {
        // Redis 7 looks the key up first, then reads the index.
        const l = this.list(key);
        if (l === 'wrong') return WRONGTYPE;
        if (l === null) return null;
        if (!isInt(args[1]!)) return NOT_INT;
        let i = Number(args[1]);
        if (i < 0) i += l.length;
        return l[i] ?? null;
      }
      case 'lset': {
        const l = this.list(key);
        if (l === null) return err('no such key');
        if (l === 'wrong') return WRONGTYPE;
        if (!isInt(args[1]!)) return NOT_INT;
        let i = Number(args[1]);
        if (i < 0) i += l.length;
        if (i < 0 || i >= l.length) return err('index out of range');
        l[i] = args[2]!;
        return 'OK';
      }
      case 'linsert': {
        const where = args[1]!.toUpperCase();
        if (where !== 'BEFORE' && where !== 'AFTER') return SYNTAX;
        const l = this.list(key);
        if (l === 'wrong') return WRONGTYPE;
        if (l === null) return 0;
        const i = l.indexOf(args[2]!);
        if (i < 0) return -1;
        l.splice(where === 'BEFORE' ? i : i + 1, 0, args[3]!);
        return l.length;
      }
      case 'lrem': {
        if (!isInt(args[1]!)) return NOT_INT;
        const l = this.list(key);
        if (l === 'wrong') return WRONGTYPE;
        if (l === null) return 0;
        const count = Number(args[1]);
        let removed = 0;
        const order = [...l.keys()];
        if (count < 0) order.reverse();
        const gone = new Set<number>();
        for (const i of order) {
          if (count !== 0 && removed >= Math.abs(count)) break;
          if (l[i] === args[2]) { gone.add(i); removed++; }
        }
        this.store(key, l.filter((_, i) => !gone.has(i)));
        return removed;
      }
      case 'ltrim': {
        if (!isInt(args[1]!) || !isInt(args[2]!)) return NOT_INT;
        const l = this.list(key);
        if (l === 'wrong') return WRONGTYPE;
        if (l === null) return 'OK';
        let start = Number(args[1]);
        let stop = Number(args[2]);
        if (start < 0) start += l.length;
        if (stop < 0) stop += l.length;
        if (start < 0) start = 0;
        this.store(key, start > stop || start >= l.length ? [] : l.slice(start, Math.min(stop, l.length - 1) + 1));
        return 'OK';
      }
      case 'lpos': return this.lpos(args);
      case 'lmove': case 'rpoplpush': case 'blmove': case 'brpoplpush': {
        let from = 'RIGHT';
        let to = 'LEFT';
        if (name.endsWith('lmove')) {
          from = args[2]!.toUpperCase();
          to = args[3]!.toUpperCase();
          if (!['LEFT', 'RIGHT'].includes(from) || !['LEFT', 'RIGHT'].includes(to)) return SYNTAX;
        }
        const src = this.list(key);
        if (src === 'wrong') return WRONGTYPE;
        if (src === null) return null;
        const dst = this.list(args[1]!);
        if (dst === 'wrong') return WRONGTYPE;
        const v = from === 'LEFT' ? src.shift()! : src.pop()!;
        this.store(key, src);
        const target = this.list(args[1]!) as string[] | null ?? [];
        if (to === 'LEFT') target.unshift(v); else target.push(v);
        this.store(args[1]!, target);
        return v;
      }
      case 'blpop': case 'brpop': {
        for (const k of args.slice(0, -1)) {
          const l = this.list(k);
          if (l === 'wrong') return WRONGTYPE;
          if (l === null) continue;
          const v = name === 'blpop' ? l.shift()! : l.pop()!;
          this.store(k, l);
          return [k, v];
        }
        return 'nilArray';
      }
      case 'lmpop': {
        const n = Number(args[0]);
        const keys = args.slice(1, 1 + n);
        const tail = args[1 + n]!.toUpperCase() === 'RIGHT';
        const count = args.length > n + 2 ? Number(args[n + 3]) : 1;
        for (const k of keys) {
          const l = this.list(k);
          if (l === 'wrong') return WRONGTYPE;
          if (l === null) continue;
          const out = tail ? l.splice(Math.max(0, l.length - count)).reverse() : l.splice(0, count);
          this.store(k, l);
          return [k, out];
        }
        return 'nilArray';
      }
      case 'type': {
        const v = this.keys.get(key);
        return v === undefined ? 'none' : v === 'string' ? 'string' : 'list';
      }
      default: throw new Error(`the model has no ${name}`);
    }
  }

  private lpos(args: string[]): Plain {
    let rank = 1;
    let count: number | null = null;
    let maxlen = 0;
    for (let i = 2; i < args.length; i += 2) {
      const option = args[i]!.toUpperCase();
      const value = Number(args[i + 1]);
      if (option === 'RANK') {
        // Redis refuses RANK 0 as it reads it, before later options.
        if (value === 0) {
          return err("RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list");
        }
        rank = value;
      } else if (option === 'COUNT') count = value;
      else maxlen = value;
    }
    const l = this.list(args[0]!);
    if (l === 'wrong') return WRONGTYPE;
    if (l === null) return count !== null ? [] : null;
    const order = [...l.keys()];
    if (rank < 0) order.reverse();
    const matches: number[] = [];
    let seen = 0;
    for (let n = 0; n < order.length && (maxlen === 0 || n < maxlen); n++) {
      const i = order[n]!;
      if (l[i] !== args[1]) continue;
      if (++seen < Math.abs(rank)) continue;
      matches.push(i);
      if (count === null || (count !== 0 && matches.length >= count)) break;
    }
    return count !== null ? matches : (matches[0] ?? null);
  }
}
