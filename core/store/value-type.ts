// What a key holds: a string, or one of the collection types. Kept in three
// bits of a record's flags (record-layout.ts), so TYPE and WRONGTYPE cost no
// lookup beyond the key's own record. Numbers are stored (records,
// snapshots): never renumber, only add.

export const ValueType = {
  STRING: 0,
  HASH: 1,
  LIST: 2,
  SET: 3,
  ZSET: 4,
} as const;

export type ValueType = (typeof ValueType)[keyof typeof ValueType];

/** The highest type number; three flag bits hold up to 7. */
export const VALUE_TYPE_MAX = 4;

/** TYPE's answer for each type (Redis's words). */
export const VALUE_TYPE_NAMES: readonly string[] = ['string', 'hash', 'list', 'set', 'zset'];

export function isValueType(n: number): n is ValueType {
  return Number.isInteger(n) && n >= 0 && n <= VALUE_TYPE_MAX;
}
