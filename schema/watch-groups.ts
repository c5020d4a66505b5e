// The rules a watch's `groups` list follows (docs/watch.md, "Cluster nodes
// and the gateway"), one place for both formats: the JSON frame's
// `"groups": [0, 3]` (runtime-node/watch/watch-frame.ts) and the Cap'n Proto
// WatchRequest's `groups` (schema/binary-watch.ts). Which groups exist is the
// node's business (watch-hub.ts refusal: "no group 7"); this file checks only
// what a list can be wrong in by itself.

import { TOKEN_GROUPS_MAX } from '../core/watch/resume-token.js';

/** What a group list must be, as a refusal says it. */
export const WATCH_GROUPS_RULE = `groups must be a list of distinct group numbers (integers from 0), 1 to ${TOKEN_GROUPS_MAX} of them`;

/**
 * Why a watch cannot name `groups` (BAD_REQUEST), or null when it may: only
 * a prefix spans groups (a key is in one), and the list is non-empty,
 * distinct, of non-negative integers, at most TOKEN_GROUPS_MAX long (the most
 * groups a token names, so the most a watch can cover).
 */
export function watchGroupsRefusal(match: 'prefix' | 'key', groups: unknown): string | null {
  if (match === 'key') return 'groups is for a prefix watch (a key is in one group)';
  return isGroupList(groups) ? null : WATCH_GROUPS_RULE;
}

function isGroupList(value: unknown): value is number[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > TOKEN_GROUPS_MAX) return false;
  return value.every((g) => Number.isSafeInteger(g) && (g as number) >= 0) && new Set(value).size === value.length;
}
